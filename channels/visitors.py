"""The channels visitors talk through, guarded for a public website (credentials.yml names them).

Both keep Rasa's names ("socketio", "rest"), so a salesperson's message still reaches the widget with
`output_channel=socketio`. On top of Rasa's own channels they
- refuse messages over MAX_MESSAGE_CHARS and visitors or addresses sending too fast, before NLU;
- answer honestly when the bot could not (an action failed or timed out) instead of staying silent;
- (socket.io) accept only the allowed origins, and only conversation ids the web app signed
  (bot/safety.py), in `session_request` and in every message;
- (socket.io) record when a visitor's widget joins its conversation and goes (the inbox shows who is on the page).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic, response
from socketio import AsyncRedisManager, AsyncServer

from bot import config, safety
from bot.clock import zone
from bot.conversation.transcript import without_query
from bot.store import presence
from channels import runtime  # Rasa's server tuned: actions run here, faster turns and start-up

logger = logging.getLogger(__name__)

HICCUP = "Sorry, I had a hiccup — could you say that again?"
TOO_LONG = ("That message is longer than I can read ({limit} characters at most). Could you say it in "
            "fewer words? A person from our team can take the details later.")
TOO_FAST = "You're sending messages faster than I can read them: give me a moment, then try again."

NewMessage = Callable[[UserMessage], Awaitable[Any]]


def source_of(address: str) -> str:
    """A visitor's address, pseudonymised with the server's secret: rate limits and handoffs are counted
    per source without storing the address in conversations."""
    return hmac.new(config.session_secret().encode(), address.encode(), hashlib.sha256).hexdigest()[:16]


class _TextOnlyServer(AsyncServer):
    """Neither our widget nor rasa-webchat sends binary: a binary packet could announce millions of
    attachments the server would buffer before any guard sees the message, so its socket is closed."""

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        if not isinstance(data, str) or data[:1] in ("5", "6"):  # attachments; BINARY_EVENT, BINARY_ACK
            logger.info("Closed a socket that sent binary data")
            return await self.eio.disconnect(eio_sid)
        return await super()._handle_eio_message(eio_sid, data)


class PresenceWriter:
    """Records who is on the page (bot/store/presence.py) in the order it happened, one write at a time, so that a
    socket's going is never written before its coming; the chat goes on if the database does not answer."""

    def __init__(self) -> None:
        self.writes: asyncio.Queue = asyncio.Queue(maxsize=10_000)
        self.tasks: List[asyncio.Task] = []

    def record(self, change: Callable[..., None], *args: Any) -> None:
        try:
            self.writes.put_nowait((change, args))
        except asyncio.QueueFull:  # the database has not answered for a long while: presence is a nicety
            logger.warning("Too many widget presence changes waiting for the database; dropped one")

    def start(self, sockets: Callable[[], List[str]]) -> None:
        """Writes in order, and says every BEAT that this server's sockets (`sockets()`) are still there (a server
        that stopped without a word lets its visitors go stale)."""
        async def write() -> None:
            while True:
                change, args = await self.writes.get()
                await self._write(change, *args)

        async def beat() -> None:
            while True:
                await asyncio.sleep(presence.BEAT.total_seconds())
                self.record(presence.still_open, sockets())

        self.tasks = [asyncio.create_task(write()), asyncio.create_task(beat())]

    async def stop(self, sockets: List[str]) -> None:
        """The server is stopping: what is queued is written, then its sockets are gone."""
        for task in self.tasks:
            task.cancel()
        while not self.writes.empty():
            change, args = self.writes.get_nowait()
            await self._write(change, *args)
        if sockets:
            await self._write(presence.closed, sockets)

    @staticmethod
    async def _write(change: Callable[..., None], *args: Any) -> None:
        try:
            await asyncio.to_thread(change, *args)
        except Exception:
            logger.warning("Could not record a widget's presence", exc_info=True)


def visitor_metadata(sent: Any, source: str) -> Dict[str, Any]:
    """What a message may carry besides its text: the page and referrer (without query strings), the
    browser's time zone (a real IANA name), the widget's opening flag and the server's own `source`. Anything
    else a client sends is dropped, so metadata cannot smuggle megabytes or NULs into the tracker and the brief."""
    if isinstance(sent, str):
        try:
            sent = json.loads(sent)
        except (ValueError, RecursionError):
            sent = {}
    sent = sent if isinstance(sent, dict) else {}
    kept: Dict[str, Any] = {"source": source}
    for key in ("page_url", "referrer"):
        if isinstance(sent.get(key), str):
            kept[key] = without_query(sent[key].replace("\x00", "")[:2000])
    if zone(sent.get("time_zone")) is not None:  # the visitor's own, to offer call times they can read
        kept["time_zone"] = sent["time_zone"]
    if sent.get("widget_opened") is True:
        kept["widget_opened"] = True
    return kept


class _Recording(OutputChannel):
    """The channel's own output, noting whether the visitor got any reply."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner, self.replied = inner, False

    def name(self) -> Text:  # channel-specific responses are chosen by this name
        return self.inner.name()

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.inner, attribute)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.replied = True
        await self.inner.send_response(recipient_id, message)


# What a widget may learn about a message besides its text: the salesperson who wrote it (their name), or that the
# bot just handed the conversation to a person or took it back (the widget shows "typing…" only for the bot).
SPEAKER_KEYS = ("agent_name", "handed_over", "handed_back")


class VisitorOutput(SocketIOOutput):
    """Rasa's socket.io output, plus SPEAKER_KEYS when a message has them (widgets that do not know them, such as
    rasa-webchat, ignore them)."""

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        extra = {key: message[key] for key in SPEAKER_KEYS if message.get(key)}
        if not extra or not message.get("text"):
            return await super().send_response(recipient_id, message)
        await self._send_message(recipient_id, {"text": message["text"], **extra})


class Guard:
    """What both channels do around Rasa's handling of one visitor message."""

    def __init__(self) -> None:
        self.per_visitor = safety.RateLimiter(config.limit("MESSAGES_PER_MINUTE_PER_VISITOR", 20), 60)
        self.per_source = safety.RateLimiter(config.limit("MESSAGES_PER_MINUTE_PER_ADDRESS", 120), 60)
        self.unanswered = 0
        self.app: Optional[Sanic] = None

    def remember_app(self, blueprint: Blueprint) -> None:
        @blueprint.listener("after_server_start")
        async def remember(app: Sanic, _: Any) -> None:
            self.app = app
            runtime.load_actions(app.ctx.agent)

    def wrap(self, on_new_message: NewMessage) -> NewMessage:
        async def guarded(message: UserMessage) -> None:
            # NUL is the one character PostgreSQL cannot store in text: it would make the brief unstorable.
            message.text = (message.text or "").replace("\x00", "")
            text, limit = message.text, config.max_message_chars()
            source = (message.metadata or {}).get("source", "unknown")
            if len(text) > limit:
                logger.info("Refused a message of %d characters from %s", len(text), message.sender_id)
                return await message.output_channel.send_text_message(message.sender_id,
                                                                      TOO_LONG.format(limit=limit))
            if not self.per_visitor.allow(message.sender_id) or not self.per_source.allow(source):
                logger.info("Too many messages from %s (source %s)", message.sender_id, source)
                return await message.output_channel.send_text_message(message.sender_id, TOO_FAST)
            recording = message.output_channel = _Recording(message.output_channel)
            try:
                await on_new_message(message)
            except Exception:
                logger.exception("Handling a message from %s failed", message.sender_id)
            if not recording.replied and not await self._paused(message.sender_id):
                self.unanswered += 1
                logger.error("A visitor's message got no reply (an action failed or timed out); %d since "
                             "start. Sent them: %r", self.unanswered, HICCUP)
                await recording.inner.send_text_message(message.sender_id, HICCUP)

        return guarded

    async def _paused(self, sender_id: str) -> bool:
        """A person has taken over: the bot is silent on purpose."""
        try:
            tracker = await self.app.ctx.agent.tracker_store.retrieve(sender_id)
        except Exception:
            logger.exception("Could not read the conversation %s", sender_id)
            return False
        return bool(tracker and tracker.is_paused())


class VisitorRest(RestInput):
    """Rasa's REST channel, guarded (development and tests; production switches it off)."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(self) -> None:
        self.guard = Guard()

    def get_metadata(self, request: Any) -> Optional[Dict[Text, Any]]:
        address = safety.client_address(request.ip, request.headers)
        return visitor_metadata((request.json or {}).get("metadata"), source_of(address))

    def blueprint(self, on_new_message: NewMessage) -> Blueprint:
        blueprint = super().blueprint(self.guard.wrap(on_new_message))
        self.guard.remember_app(blueprint)
        return blueprint


class VisitorSocketIO(SocketIOInput):
    """Rasa's socket.io channel (what our widget and rasa-webchat speak), guarded."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: NewMessage) -> Blueprint:
        guard = Guard()
        guarded = guard.wrap(on_new_message)
        origins = config.widget_origins()
        # Several Rasa servers (`bot run-scaled`) share their sockets through Redis: a message for a
        # conversation (a bot reply, a salesperson's message) reaches its visitor whichever server holds them.
        shared = config.socketio_redis_url()
        # A packet over 64 KB closes the connection before it is parsed; shorter ones meet MAX_MESSAGE_CHARS.
        sio = _TextOnlyServer(async_mode="sanic", cors_allowed_origins="*" if "*" in origins else origins,
                              max_http_buffer_size=64 * 1024,
                              client_manager=AsyncRedisManager(shared, channel="bot-socketio") if shared else None)
        blueprint = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        guard.remember_app(blueprint)
        self.sio = sio  # Rasa's output channel for the conversation API uses it
        sources: Dict[str, str] = {}  # socket id -> its visitor's pseudonymous source
        sessions: Dict[str, str] = {}  # socket id -> the conversation it may speak in
        presence_writer = PresenceWriter()

        @blueprint.route("/", methods=["GET"])
        async def health(_: Any) -> Any:
            return response.json({"status": "ok"})

        @blueprint.route("/typing", methods=["POST"])
        async def someone_is_typing(request: Any) -> Any:
            """The web app's word that a salesperson is typing to a conversation: its widget shows "Ann is
            typing…" (`agent_typing`; widgets that do not know the event ignore it). Needs RASA_TOKEN."""
            token = request.args.get("token") or ""
            if not hmac.compare_digest(token.encode(), config.rasa_token().encode()):
                return response.json({"error": "A valid token is required."}, status=401)
            sent = request.json if isinstance(request.json, dict) else {}
            session_id, name = sent.get("session_id"), sent.get("agent_name")
            if not isinstance(session_id, str) or not isinstance(name, str) or not name.strip():
                return response.json({"error": "session_id and agent_name are required."}, status=400)
            await sio.emit("agent_typing", {"agent_name": name.strip()[:40]}, room=session_id,
                           namespace=self.namespace)
            return response.json({"ok": True})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict]) -> bool:
            request = environ.get("sanic.request")
            address = safety.client_address(getattr(request, "ip", None), getattr(request, "headers", {}))
            sources[sid] = source_of(address)
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text) -> None:
            sources.pop(sid, None)
            if sessions.pop(sid, None):
                presence_writer.record(presence.closed, [sid])

        @blueprint.listener("after_server_start")
        async def start_presence(*_: Any) -> None:
            presence_writer.start(lambda: list(sessions))

        @blueprint.listener("before_server_stop")
        async def stop_presence(*_: Any) -> None:
            await presence_writer.stop(list(sessions))

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any = None, *_: Any) -> None:
            asked = data.get("session_id") if isinstance(data, dict) else None
            session_id = asked if safety.session_allowed(asked) else safety.new_session_id()
            if asked and asked != session_id:  # a fresh conversation: the one asked for stays closed
                logger.info("Refused a session id the server did not sign; confirmed a new one")
            if self.session_persistence:
                if sessions.get(sid):
                    sio.leave_room(sid, sessions[sid])  # one conversation per socket
                sio.enter_room(sid, session_id)
            sessions[sid] = session_id
            await sio.emit("session_confirm", session_id, room=sid)
            presence_writer.record(presence.opened, sid, session_id)  # the visitor is on the page

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any = None, *_: Any) -> None:
            # Only the conversation this socket was confirmed in: an id in the message alone proves nothing.
            session_id = sessions.get(sid) if self.session_persistence else sid
            data = data if isinstance(data, dict) else {}
            if not session_id or (self.session_persistence and data.get("session_id") not in (None, session_id)):
                logger.info("Ignored a message outside the socket's confirmed session")
                return
            metadata = visitor_metadata(data.get(self.metadata_key), sources.get(sid, "unknown"))
            text = data.get("message", "")
            await guarded(UserMessage(text if isinstance(text, str) else "",
                                      VisitorOutput(sio, self.bot_message_evt), session_id,
                                      input_channel=self.name(), metadata=metadata))

        return blueprint

    def get_output_channel(self) -> Optional[OutputChannel]:
        """The output of the conversation API (a salesperson's message, the bot taking over again)."""
        return VisitorOutput(self.sio, self.bot_message_evt) if self.sio else super().get_output_channel()
