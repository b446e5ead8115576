"""A load driver: many visitors talking to the bot at once, over the REST channel or socket.io as the widget
speaks it. Used by `scripts/bench --only load` and by tests.

    conversations = yaml.safe_load(Path("tests/conversations.yml").read_text())
    result = run_load("http://127.0.0.1:5005", visitors=10, channel="socketio", conversations=conversations)
    print(result.summary())

Each visitor plays `per_visitor` whole conversations, one after another, each with a fresh sender id;
conversations are dealt round-robin, so visitors play different ones. Before the first load on a server
the driver plays each distinct conversation once over REST, one at a time (the reference run): socket.io
has no end-of-turn marker, so a socket.io turn ends at the last reply the reference run got for it, and
over both channels a turn whose replies differ from the reference counts as `unexpected_replies`.
"""
from __future__ import annotations

import asyncio
import inspect
import json
import math
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import aiohttp
import socketio

TURN_TIMEOUT = 30.0  # seconds a turn may take before it counts as an error
PAGE_URL = "https://load.example/pricing"  # the page the widget says it is on

# (rasa_url, turns) -> each turn's REST replies in the reference run
_reference: Dict[Tuple[str, Tuple[str, ...]], List[List[dict]]] = {}


@dataclass
class LoadResult:
    latencies_ms: List[float] = field(default_factory=list)  # one per answered turn (empty replies included)
    turns: int = 0  # turns answered; a failed turn counts in `errors` instead
    errors: int = 0  # non-200, exception, timeout, fewer socket.io replies than expected, failed connection
    empty_replies: int = 0  # REST answered [] (socket.io: the reference run itself got no reply)
    unexpected_replies: int = 0  # answered, but not with the replies the reference run got
    conversations: int = 0
    finished_as_expected: int = 0  # every turn answered as in the reference run, none empty, no error
    wall_seconds: float = 0.0
    senders: List[str] = field(default_factory=list)
    senders_expecting_brief: set = field(default_factory=set)  # their conversation's expect.outcome is handoff
    mismatches: List[tuple] = field(default_factory=list)  # (sender, message, replies got, replies expected)

    @property
    def turns_per_second(self) -> float:
        return self.turns / self.wall_seconds if self.wall_seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the per-turn latencies, in ms (nan without any)."""
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return math.nan
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]

    def summary(self) -> str:
        return (f"{self.conversations} conversations ({self.finished_as_expected} as expected), {self.turns} turns "
                f"in {self.wall_seconds:.1f} s = {self.turns_per_second:.1f} turns/s; p50 {self.percentile(50):.0f} "
                f"ms, p95 {self.percentile(95):.0f} ms, p99 {self.percentile(99):.0f} ms; {self.errors} errors, "
                f"{self.empty_replies} empty replies, {self.unexpected_replies} unexpected replies")


def _socketio_texts(rest_replies: List[dict]) -> List[Optional[str]]:
    """What socket.io sends for a turn's REST replies: Rasa's socket.io channel splits a text with buttons
    at blank lines into several messages, its REST channel does not (plain texts are split by both)."""
    texts: List[Optional[str]] = []
    for reply in rest_replies:
        text = reply.get("text")
        texts.extend(text.strip().split("\n\n") if text and reply.get("buttons") else [text])
    return texts


async def _post_turn(http: aiohttp.ClientSession, rasa_url: str, sender: str, text: str) -> Tuple[int, list]:
    async with http.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as reply:
        return reply.status, (await reply.json() if reply.status == 200 else [])


async def _reference_run(http: aiohttp.ClientSession, rasa_url: str, conversations: list) -> None:
    """Plays each distinct conversation not yet known for this server once, one at a time, over REST."""
    for conversation in conversations:
        key = (rasa_url, tuple(conversation["turns"]))
        if key in _reference:
            continue
        sender, turns = f"reference-{uuid.uuid4().hex[:12]}", []
        for text in conversation["turns"]:
            status, replies = await _post_turn(http, rasa_url, sender, text)
            if status != 200:
                raise RuntimeError(f"reference run: {text!r} got HTTP {status} from {rasa_url} (REST channel off?)")
            turns.append(replies)
        _reference[key] = turns


class _Visitor:
    """Plays conversations and adds what happened to the shared result."""

    def __init__(self, result: LoadResult, http: aiohttp.ClientSession, rasa_url: str, channel: str,
                 new_id: Callable, think_seconds: float, transport: str, origin: Optional[str]):
        self.result, self.http, self.rasa_url, self.channel = result, http, rasa_url, channel
        self.new_id, self.think, self.transport, self.origin = new_id, think_seconds, transport, origin

    async def play(self, conversation: dict) -> None:
        self.result.conversations += 1
        sender = self.new_id()
        if inspect.isawaitable(sender):  # e.g. a signed id fetched from the web app
            sender = await sender
        reference = _reference[(self.rasa_url, tuple(conversation["turns"]))]
        play = self._rest if self.channel == "rest" else self._socketio
        expects_brief = (conversation.get("expect") or {}).get("outcome") == "handoff"
        if await play(sender, conversation["turns"], reference, expects_brief):
            self.result.finished_as_expected += 1

    def _sender(self, sender: str, expects_brief: bool) -> None:
        self.result.senders.append(sender)
        if expects_brief:
            self.result.senders_expecting_brief.add(sender)

    def _answered(self, sender: str, text: str, began: float, ended: float, got: list, expected: list) -> bool:
        """Records an answered turn; True when it is what the reference run got."""
        self.result.latencies_ms.append((ended - began) * 1000)
        self.result.turns += 1
        if not got:
            self.result.empty_replies += 1
        if got != expected:
            self.result.unexpected_replies += 1
            self.result.mismatches.append((sender, text, got, expected))
        return bool(got) and got == expected

    async def _rest(self, sender: str, turns: list, reference: list, expects_brief: bool) -> bool:
        self._sender(sender, expects_brief)
        as_expected = True
        for number, text in enumerate(turns):
            if number and self.think:
                await asyncio.sleep(self.think)
            began = time.perf_counter()
            try:
                status, replies = await _post_turn(self.http, self.rasa_url, sender, text)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                status = None
            if status != 200:  # the conversation's state is unknown: it ends here
                self.result.errors += 1
                return False
            as_expected &= self._answered(sender, text, began, time.perf_counter(), [r.get("text") for r in replies],
                                          [r.get("text") for r in reference[number]])
        return as_expected

    async def _socketio(self, sender: str, turns: list, reference: list, expects_brief: bool) -> bool:
        events: asyncio.Queue = asyncio.Queue()
        client = socketio.AsyncClient(reconnection=False, handle_sigint=False, http_session=self.http)
        # the time a reply arrived, not when this task got round to reading it
        client.on("session_confirm", lambda data: events.put_nowait(("session_confirm", time.perf_counter(), data)))
        client.on("bot_uttered", lambda data: events.put_nowait(("bot_uttered", time.perf_counter(), data)))
        try:
            await client.connect(self.rasa_url, transports=[self.transport], socketio_path="socket.io",
                                 headers={"Origin": self.origin} if self.origin else {}, wait_timeout=TURN_TIMEOUT)
            await client.emit("session_request", {"session_id": sender})
            kind, _, confirmed = await asyncio.wait_for(events.get(), TURN_TIMEOUT)
        except (socketio.exceptions.SocketIOError, aiohttp.ClientError, asyncio.TimeoutError, OSError):
            self.result.errors += 1
            await self._close(client)
            return False
        # the server confirms another id when it refuses ours: that conversation is the one that gets the brief
        sender = confirmed if kind == "session_confirm" and isinstance(confirmed, str) else sender
        self._sender(sender, expects_brief)
        as_expected = True
        try:
            for number, text in enumerate(turns):
                if number and self.think:
                    await asyncio.sleep(self.think)
                expected = _socketio_texts(reference[number])
                began = time.perf_counter()
                got, ended, deadline = [], began, began + TURN_TIMEOUT
                try:
                    await client.emit("user_uttered", {"message": text, "session_id": sender,
                                                       "customData": {"page_url": PAGE_URL}})
                    while len(got) < len(expected):  # the turn ends at its last expected reply
                        kind, ended, data = await asyncio.wait_for(events.get(), deadline - time.perf_counter())
                        if kind == "bot_uttered":
                            got.append(data.get("text") if isinstance(data, dict) else data)
                # fewer replies than the reference run got within the timeout, or the socket closed
                except (asyncio.TimeoutError, socketio.exceptions.SocketIOError):
                    self.result.errors += 1
                    return False
                as_expected &= self._answered(sender, text, began, ended, got, expected)
            return as_expected
        finally:
            await self._close(client)

    @staticmethod
    async def _close(client: socketio.AsyncClient) -> None:
        try:
            await client.disconnect()
        except Exception:  # already gone: nothing to close
            pass
        # engine.io leaves its reading task running: with polling it waits on a long poll the server holds
        # for up to 25 s, then would open an aiohttp session of its own. A closing browser tab abandons it too.
        reading = client.eio.read_loop_task
        if reading and not reading.done():
            reading.cancel()
            await asyncio.wait([reading], timeout=5)

    async def run(self, playlist: List[dict]) -> None:
        for conversation in playlist:
            await self.play(conversation)


async def play_load(rasa_url: str, visitors: int, channel: str, conversations: list, per_visitor: int = 1,
                    session_ids: Optional[Callable] = None, think_seconds: float = 0.0,
                    transport: str = "websocket", origin: Optional[str] = None) -> LoadResult:
    """`visitors` visitors at once, each playing `per_visitor` conversations (dealt round-robin from
    `conversations`, as loaded from tests/conversations.yml) over `channel` ("rest" or "socketio").
    `session_ids`: a callable (plain or async) giving each conversation its id; by default a random one,
    which the socket.io channel accepts in development. `transport`: "websocket" (what our widget tries
    first) or "polling". `think_seconds`: a pause between a turn's reply and the next message."""
    if channel not in ("rest", "socketio"):
        raise ValueError(f"channel must be 'rest' or 'socketio', not {channel!r}")
    rasa_url = rasa_url.rstrip("/")
    new_id = session_ids or (lambda: f"load-{uuid.uuid4().hex[:16]}")
    result = LoadResult()
    # one pool of connections for every visitor: the client's CPU competes with the server's
    timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT * 2)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as http:
        await _reference_run(http, rasa_url, conversations)
        playlists = [[conversations[(round_ * visitors + visitor) % len(conversations)]
                      for round_ in range(per_visitor)] for visitor in range(visitors)]
        players = [_Visitor(result, http, rasa_url, channel, new_id, think_seconds, transport, origin)
                   for _ in range(visitors)]
        began = time.perf_counter()
        await asyncio.gather(*(player.run(playlist) for player, playlist in zip(players, playlists)))
        result.wall_seconds = time.perf_counter() - began
    return result


def run_load(rasa_url: str, visitors: int, channel: str, conversations: list, per_visitor: int = 1,
             session_ids: Optional[Callable] = None, think_seconds: float = 0.0, transport: str = "websocket",
             origin: Optional[str] = None) -> LoadResult:
    """play_load, from code that is not async."""
    return asyncio.run(play_load(rasa_url, visitors, channel, conversations, per_visitor, session_ids,
                                 think_seconds, transport, origin))


def briefs_per_sender(web_url: str, sales_token: str, senders: Iterable[str]) -> Dict[str, int]:
    """How many briefs the brief API holds for each sender (GET /api/briefs?sender_id=...)."""
    counts = {}
    for sender in senders:
        url = f"{web_url.rstrip('/')}/api/briefs?" + urllib.parse.urlencode({"sender_id": sender, "limit": 200})
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {sales_token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            counts[sender] = len(json.load(response))
    return counts


def check_briefs(web_url: str, sales_token: str, result: LoadResult, wait: float = 10) -> Dict[str, int]:
    """Briefs per sender once every expected one is stored (or after `wait` seconds): stored, expected,
    missing, doubled, and unasked-for (a brief for a conversation that expected none)."""
    deadline = time.monotonic() + wait  # handoffs store before replying; allow for the pending-on-disk path
    while True:
        counts = briefs_per_sender(web_url, sales_token, result.senders)
        missing = [s for s in result.senders_expecting_brief if not counts.get(s)]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(1)
    return {"stored": sum(counts.values()), "expected": len(result.senders_expecting_brief), "missing": len(missing),
            "doubled": sum(1 for s in result.senders_expecting_brief if counts.get(s, 0) > 1),
            "unasked": sum(1 for s, n in counts.items() if n and s not in result.senders_expecting_brief)}
