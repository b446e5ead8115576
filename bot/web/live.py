"""The live inbox: Server-Sent Events to open inbox pages (`/inbox/events`), pushed from one look a second at
the databases while any page listens (each web app looks on its own, so several web apps work alike)."""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Optional, Set

from aiohttp import web

from bot.sales import accounts, live
from bot.web.auth import SESSION_COOKIE
from bot.web.common import in_thread

log = logging.getLogger(__name__)

LOOK_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0  # keeps proxies from closing a quiet stream, and checks the sign-in is still valid


class Feed:
    """One look a second while pages listen; each page gets every change on its own queue."""

    def __init__(self) -> None:
        self.pages: Set[asyncio.Queue] = set()
        self.task: Optional[asyncio.Task] = None
        self.watching = asyncio.Event()  # set once the look knows where "now" is: later changes are news
        self.tracker = live.tracker_engine()  # connects when first used

    def listen(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=1000)
        self.pages.add(queue)
        if self.task is None or self.task.done():
            self.watching.clear()
            self.task = asyncio.create_task(self._look())
        return queue

    def leave(self, queue: asyncio.Queue) -> None:
        self.pages.discard(queue)

    def publish(self, kind: str, data: dict) -> None:
        for queue in list(self.pages):
            if queue.full():  # a page that stopped reading: its stream ends, and the browser connects anew
                self.pages.discard(queue)
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(("end", {}))
            else:
                queue.put_nowait((kind, data))

    async def _look(self) -> None:
        try:
            watch = await in_thread(live.start, self.tracker)
        finally:
            self.watching.set()  # (a failed start ends the look: the next page to listen starts another)
        while self.pages:
            await asyncio.sleep(LOOK_SECONDS)
            try:
                for kind, data in await in_thread(live.changes, watch, self.tracker):
                    self.publish(kind, data)
            except Exception:  # a database hiccup: the next look catches up (it goes back LOOKBACK ids)
                log.exception("Looking for inbox changes failed; trying again")

    def end_streams(self) -> None:
        """Ends every page's stream (the app is stopping: browsers reconnect to another or a restarted one)."""
        for queue in list(self.pages):
            if not queue.full():
                queue.put_nowait(("end", {}))

    async def close(self) -> None:
        if self.task:
            self.task.cancel()
        self.tracker.dispose()


FEED = web.AppKey("live_feed", Feed)


async def feed(app: web.Application):
    """The app's feed (an aiohttp cleanup context); open streams end as the app shuts down."""
    app[FEED] = Feed()

    async def end_streams(_: web.Application) -> None:
        app[FEED].end_streams()

    app.on_shutdown.append(end_streams)
    yield
    await app[FEED].close()


def event(kind: str, data: dict) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()


async def events(request: web.Request) -> web.StreamResponse:
    """The stream an inbox page listens to: `brief` (a new brief's listed fields), `message` (a visitor wrote
    after their handoff), `update` (a salesperson claimed, released, gave away, answered or closed a brief),
    `presence` (a visitor came to or left the page) and `read` (this salesperson opened a brief, maybe in another
    tab)."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})  # nginx passes each event on at once
    await response.prepare(request)
    reader = request["user"].email
    feed_ = request.app[FEED]
    queue = feed_.listen()
    try:
        await feed_.watching.wait()
        await response.write(b"retry: 2000\n\n")  # from here on, every change reaches this page
        while True:
            try:
                kind, data = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
            except asyncio.TimeoutError:
                if await in_thread(accounts.signed_in, request.cookies.get(SESSION_COOKIE)) is None:
                    break  # signed out (or the session expired): no more news
                await response.write(b": still here\n\n")
                continue
            if kind == "end":
                break
            if kind == "read" and data.get("reader") != reader:
                continue
            await response.write(event(kind, {key: value for key, value in data.items() if key != "reader"}))
    except ConnectionResetError:  # the page went away
        pass
    finally:
        feed_.leave(queue)
    return response


def read(request: web.Request, brief_id: int) -> None:
    """Tells this salesperson's other pages that they read the brief."""
    request.app[FEED].publish("read", {"brief_id": brief_id, "reader": request["user"].email})
