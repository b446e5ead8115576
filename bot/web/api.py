"""The brief API for salespeople's tools: GET /api/briefs and /api/briefs/{id}, behind a bearer token."""
from __future__ import annotations

import hmac

from aiohttp import web

from bot.store import briefs
from bot.web.common import BRIEF_ID, Handler, error, in_thread

SALES_API_TOKEN = web.AppKey("sales_api_token", str)


@web.middleware
async def require_sales_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/api/"):
        return await handler(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = request.app[SALES_API_TOKEN]
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        return error(401, "Missing or wrong token: send 'Authorization: Bearer <SALES_API_TOKEN>'.",
                     **{"WWW-Authenticate": 'Bearer realm="briefs"'})
    try:
        return await handler(request)
    except web.HTTPException as failure:  # unknown paths and methods answer in JSON too
        return error(failure.status, failure.reason)


async def list_briefs(request: web.Request) -> web.Response:
    filters = {}
    for name in ("sender_id", "status"):
        value = request.query.get(name)
        if value is not None:
            if not value.strip() or len(value) > 255:
                return error(400, f"'{name}' must be a non-empty string of at most 255 characters.")
            filters[name] = value
    return web.json_response(await in_thread(briefs.list_briefs, **filters))


async def show_brief(request: web.Request) -> web.Response:
    raw_id = request.match_info["brief_id"]
    if not BRIEF_ID.fullmatch(raw_id):
        return error(400, f"Brief id must be a positive integer, not {raw_id!r}.")
    brief = await in_thread(briefs.get_brief, int(raw_id))
    if brief is None:
        return error(404, f"No brief with id {raw_id}.")
    return web.json_response(brief)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/briefs", list_briefs)
    app.router.add_get("/api/briefs/{brief_id}", show_brief)
