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
    """A page of briefs, newest first; the `Link` header names the next (older) and previous pages."""
    filters = {}
    for name in ("sender_id", "status"):
        value = request.query.get(name)
        if value is not None:
            if not value.strip() or len(value) > 255:
                return error(400, f"'{name}' must be a non-empty string of at most 255 characters.")
            filters[name] = value
    for name in ("after", "before"):
        value = request.query.get(name)
        if value is not None:
            if not BRIEF_ID.fullmatch(value):
                return error(400, f"'{name}' must be a brief id.")
            filters[name] = int(value)
    limit = request.query.get("limit", str(briefs.PAGE))
    if not (limit.isascii() and limit.isdigit() and 0 < int(limit) <= briefs.MAX_PAGE):
        return error(400, f"'limit' must be a whole number from 1 to {briefs.MAX_PAGE}.")
    found = await in_thread(briefs.page, **filters, limit=int(limit))
    links = [f'<{_page_url(request, name, cursor)}>; rel="{rel}"'
             for name, cursor, rel in (("after", found.older, "next"), ("before", found.newer, "prev")) if cursor]
    return web.json_response(found.briefs, headers={"Link": ", ".join(links)} if links else None)


def _page_url(request: web.Request, name: str, cursor: int) -> str:
    query = {key: value for key, value in request.query.items() if key not in ("after", "before")}
    return str(request.rel_url.with_query({**query, name: cursor}))


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
