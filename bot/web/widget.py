"""What visitors' browsers load: the demo product page with the chat widget, and their chat history."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot import config, safety
from bot.conversation import product
from bot.conversation.transcript import visible_messages
from bot.web import rasa_client, render
from bot.web.common import error

STATIC_DIR = Path(__file__).resolve().parent / "static"


async def product_page(request: web.Request) -> web.Response:
    return web.Response(text=render.page("product.html", facts=product.facts(),
                                         rasa_public_url=config.rasa_public_url()),
                        content_type="text/html")


def _for_widget(request: web.Request, response: web.Response) -> web.Response:
    """The widget may be embedded on another site: those allowed by WIDGET_ORIGINS may read the answer."""
    origin, allowed = request.headers.get("Origin"), config.widget_origins()
    if origin and ("*" in allowed or origin in allowed):
        response.headers["Access-Control-Allow-Origin"] = "*" if "*" in allowed else origin
        response.headers["Vary"] = "Origin"
    return response


async def new_session(request: web.Request) -> web.Response:
    """A conversation id signed by the server, for a widget opening its first conversation."""
    return _for_widget(request, web.json_response({"session_id": safety.new_session_id()}))


async def chat_history(request: web.Request) -> web.Response:
    """A visitor's conversation so far, for the widget after a reload or in a second tab.

    The session id is the visitor's unguessable id, posted in the body (never in a URL, where logs and
    referrers keep it); the web app reads the tracker through Rasa's token-protected HTTP API, so the
    browser never sees the token.
    """
    session_id = str((await request.post()).get("session_id", ""))
    if not safety.session_allowed(session_id):
        return _for_widget(request, error(403, "This conversation id was not issued by this server."))
    tracker = await rasa_client.tracker(request, session_id)
    return _for_widget(request, web.json_response({
        "session_id": session_id, "paused": tracker.get("paused", False),
        "messages": visible_messages(tracker.get("events") or [])}))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", product_page)
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_post("/chat/session", new_session)
    app.router.add_post("/chat/history", chat_history)
