"""The web app: the product page with the chat widget, the salespeople's inbox and the brief API."""
from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot import config
from bot.sales import notify
from bot.store.engine import engine
from bot.web import api, auth, inbox, rasa_client, widget
from bot.web.common import Handler, in_thread


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:  # redirects and errors carry the headers too
        response = error
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.path.startswith(("/inbox", "/login")):
        response.headers.setdefault("X-Frame-Options", "DENY")  # no clickjacking of the inbox
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
    if isinstance(response, web.HTTPException):
        raise response
    return response


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _notification_worker(app: web.Application):
    """Sends due brief notifications every couple of seconds while the web app runs."""

    async def loop() -> None:
        while True:
            try:
                await in_thread(notify.deliver_due)
            except Exception:  # a database hiccup must not stop notifications for good
                logging.getLogger(__name__).exception("The notification worker failed; trying again")
            await asyncio.sleep(2)

    task = asyncio.create_task(loop())
    yield
    task.cancel()


def create_app(sales_api_token: str = "") -> web.Application:
    app = web.Application(middlewares=[security_headers, api.require_sales_token, auth.require_salesperson])
    app[api.SALES_API_TOKEN] = sales_api_token or config.sales_api_token()
    app[auth.SIGN_IN_THROTTLE] = auth.SignInThrottle()
    app.cleanup_ctx.append(rasa_client.session)
    app.cleanup_ctx.append(_notification_worker)
    app.router.add_get("/healthz", health)
    widget.add_routes(app)
    auth.add_routes(app)
    inbox.add_routes(app)
    api.add_routes(app)
    return app


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    engine()  # fail fast on a bad DATABASE_URL, and create the tables
    web.run_app(create_app(), host=host, port=port, print=None)
