"""The web app: the product page with the chat widget, the visitor's chat history, and the brief API."""
from __future__ import annotations

import asyncio
import functools
import hmac
import re
from typing import Awaitable, Callable

from pathlib import Path

import aiohttp
from aiohttp import web

from bot import config, pages, storage
from bot.conversation import visible_messages

STATIC_DIR = Path(__file__).resolve().parent / "static"
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, reason: str, **headers: str) -> web.Response:
    return web.json_response({"error": reason}, status=status, headers=headers)


@web.middleware
async def require_sales_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/api/"):
        return await handler(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = request.app["sales_api_token"]
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        return _error(401, "Missing or wrong token: send 'Authorization: Bearer <SALES_API_TOKEN>'.",
                      **{"WWW-Authenticate": 'Bearer realm="briefs"'})
    try:
        return await handler(request)
    except web.HTTPException as error:  # unknown paths and methods answer in JSON too
        return _error(error.status, error.reason)


async def list_briefs(request: web.Request) -> web.Response:
    filters = {}
    for name in ("sender_id", "status"):
        value = request.query.get(name)
        if value is not None:
            if not value.strip() or len(value) > 255:
                return _error(400, f"'{name}' must be a non-empty string of at most 255 characters.")
            filters[name] = value
    briefs = await _in_thread(storage.list_briefs, **filters)
    return web.json_response(briefs)


async def show_brief(request: web.Request) -> web.Response:
    raw_id = request.match_info["brief_id"]
    if not re.fullmatch(r"[0-9]{1,18}", raw_id):
        return _error(400, f"Brief id must be a positive integer, not {raw_id!r}.")
    brief = await _in_thread(storage.get_brief, int(raw_id))
    if brief is None:
        return _error(404, f"No brief with id {raw_id}.")
    return web.json_response(brief)


async def product_page(request: web.Request) -> web.Response:
    return web.Response(text=pages.product_page(config.rasa_public_url()), content_type="text/html")


async def chat_history(request: web.Request) -> web.Response:
    """A visitor's conversation so far, for the widget after a reload or in a second tab.

    The session id is the visitor's own unguessable id; the web app reads the tracker through Rasa's
    token-protected HTTP API, so the browser never sees the token.
    """
    session_id = request.match_info["session_id"]
    if not SESSION_ID.fullmatch(session_id):
        return _error(400, "A session id is 8 to 64 letters, digits, '-' or '_'.")
    url = f"{config.rasa_url()}/conversations/{session_id}/tracker"
    try:
        async with request.app["http"].get(url, params={"token": config.rasa_token(),
                                                        "include_events": "ALL"}) as response:
            if response.status != 200:
                return _error(502, f"The conversation service answered {response.status}.")
            tracker = await response.json()
    except aiohttp.ClientError as error:
        return _error(502, f"The conversation service is unreachable: {error.__class__.__name__}.")
    return web.json_response({"session_id": session_id, "paused": tracker.get("paused", False),
                              "messages": visible_messages(tracker.get("events") or [])})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _in_thread(function, *args, **kwargs):
    """Database calls are blocking: keep them off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args, **kwargs))


async def _http_client(app: web.Application):
    app["http"] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    yield
    await app["http"].close()


def create_app(sales_api_token: str = "") -> web.Application:
    app = web.Application(middlewares=[require_sales_token])
    app["sales_api_token"] = sales_api_token or config.sales_api_token()
    app.cleanup_ctx.append(_http_client)
    app.router.add_get("/", product_page)
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_get("/chat/history/{session_id}", chat_history)
    app.router.add_get("/healthz", health)
    app.router.add_get("/api/briefs", list_briefs)
    app.router.add_get("/api/briefs/{brief_id}", show_brief)
    return app


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    storage.engine()  # fail fast on a bad DATABASE_URL, and create the tables
    web.run_app(create_app(), host=host, port=port, print=None)
