"""The web app: the brief API for salespeople (and a health check)."""
from __future__ import annotations

import asyncio
import functools
import hmac
import re
from typing import Awaitable, Callable

from aiohttp import web

from bot import config, storage

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


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _in_thread(function, *args, **kwargs):
    """Database calls are blocking: keep them off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args, **kwargs))


def create_app(sales_api_token: str = "") -> web.Application:
    app = web.Application(middlewares=[require_sales_token])
    app["sales_api_token"] = sales_api_token or config.sales_api_token()
    app.router.add_get("/healthz", health)
    app.router.add_get("/api/briefs", list_briefs)
    app.router.add_get("/api/briefs/{brief_id}", show_brief)
    return app


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    storage.engine()  # fail fast on a bad DATABASE_URL, and create the tables
    web.run_app(create_app(), host=host, port=port, print=None)
