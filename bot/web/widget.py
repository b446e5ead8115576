"""What visitors' browsers load: the demo product page with the chat widget, and their chat history."""
from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from bot import config
from bot.conversation import product
from bot.conversation.transcript import visible_messages
from bot.web import rasa_client, render
from bot.web.common import error

STATIC_DIR = Path(__file__).resolve().parent / "static"
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


async def product_page(request: web.Request) -> web.Response:
    return web.Response(text=render.page("product.html", facts=product.facts(),
                                         rasa_public_url=config.rasa_public_url()),
                        content_type="text/html")


async def chat_history(request: web.Request) -> web.Response:
    """A visitor's conversation so far, for the widget after a reload or in a second tab.

    The session id is the visitor's own unguessable id; the web app reads the tracker through Rasa's
    token-protected HTTP API, so the browser never sees the token.
    """
    session_id = request.match_info["session_id"]
    if not SESSION_ID.fullmatch(session_id):
        return error(400, "A session id is 8 to 64 letters, digits, '-' or '_'.")
    tracker = await rasa_client.tracker(request, session_id)
    response = web.json_response({"session_id": session_id, "paused": tracker.get("paused", False),
                                  "messages": visible_messages(tracker.get("events") or [])})
    # The widget may be embedded on another site: those allowed by WIDGET_ORIGINS may read the history.
    origin, allowed = request.headers.get("Origin"), config.widget_origins()
    if origin and ("*" in allowed or origin in allowed):
        response.headers["Access-Control-Allow-Origin"] = "*" if "*" in allowed else origin
        response.headers["Vary"] = "Origin"
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", product_page)
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_get("/chat/history/{session_id}", chat_history)
