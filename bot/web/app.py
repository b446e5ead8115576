"""The web app: the product page with the chat widget, the salespeople's inbox and the brief API."""
from __future__ import annotations

import asyncio
import logging
import re
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from bot import config
from bot.sales import notify
from bot.store import pending, privacy, progress
from bot.store.engine import engine
from bot.web import api, auth, inbox, live, meetings, rasa_client, widget
from bot.web.common import in_thread

MAX_REQUEST_BYTES = 64 * 1024  # forms and sign-ins are small: a bigger body is refused with 413
# Every page's own scripts, styles and fetches come from this app; nothing inline, no plugins, no framing.
PAGE_POLICY = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"


def _product_page_policy() -> str:
    """The product page's widget also talks to Rasa's socket.io channel: over HTTP(S) and web sockets."""
    rasa = urlsplit(config.rasa_public_url())
    socket = "wss" if rasa.scheme == "https" else "ws"
    return (f"default-src 'self'; connect-src 'self' {rasa.scheme}://{rasa.netloc} {socket}://{rasa.netloc}; "
            "object-src 'none'; base-uri 'none'; form-action 'self'")


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Run as every response is prepared: pages, errors, redirects and streamed downloads alike."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Content-Security-Policy",
                                _product_page_policy() if request.path == "/" else PAGE_POLICY)
    if config.cookie_secure():  # served over HTTPS: browsers must not fall back to plain HTTP
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.path.startswith(("/inbox", "/login", "/meetings")):
        response.headers.setdefault("X-Frame-Options", "DENY")  # no clickjacking of the inbox or a visitor's call
        # A meeting's URL is the key to it: sent nowhere, not even with this site's own stylesheet request.
        response.headers.setdefault("Referrer-Policy",
                                    "no-referrer" if request.path.startswith("/meetings") else "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _notification_worker(app: web.Application):
    """Stores briefs kept on disk, sends due notifications and counts new conversation events every couple
    of seconds while the web app runs, and once an hour
    deletes the conversations and briefs older than RETENTION_DAYS (when set)."""
    log = logging.getLogger(__name__)

    async def loop() -> None:
        clock = asyncio.get_running_loop().time  # monotonic: a change of the system clock cannot skip it
        retention_ran = None
        while True:
            for step in (pending.store_pending,  # briefs kept on disk while the database was down
                         notify.deliver_due,
                         progress.refresh):  # the dashboard's counts, from the newest events
                try:
                    await in_thread(step)
                except Exception:  # one failing step must not stop the others, nor itself for good
                    log.exception("The worker's %s failed; trying again", step.__name__)
            try:
                days = config.retention_days()
                if days > 0 and (retention_ran is None or clock() - retention_ran >= 3600):
                    retention_ran = clock()
                    deleted = await in_thread(privacy.delete_expired, days)
                    log.info("Retention of %s days deleted %s", days,
                             ", ".join(f"{what}: {count}" for what, count in deleted.items()))
            except Exception:  # tried again in an hour; notifications go on meanwhile
                log.exception("Deleting what is older than RETENTION_DAYS failed")
            await asyncio.sleep(2)

    task = asyncio.create_task(loop())
    yield
    task.cancel()


def create_app(sales_api_token: str = "") -> web.Application:
    app = web.Application(middlewares=[api.require_sales_token, auth.require_salesperson],
                          client_max_size=MAX_REQUEST_BYTES)
    app.on_response_prepare.append(security_headers)
    app[api.SALES_API_TOKEN] = sales_api_token or config.sales_api_token()
    app[auth.SIGN_IN_THROTTLE] = auth.SignInThrottle()
    app.cleanup_ctx.append(rasa_client.session)
    app.cleanup_ctx.append(_notification_worker)
    app.cleanup_ctx.append(live.feed)
    app.router.add_get("/healthz", health)
    widget.add_routes(app)
    auth.add_routes(app)
    inbox.add_routes(app)
    meetings.add_routes(app)
    api.add_routes(app)
    return app


class AccessLog(AbstractAccessLogger):
    """aiohttp's access log without the secrets some URLs carry: a visitor's meeting link is the key to their call,
    and whoever reads the log must not be able to cancel it."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        path = re.sub(r"^/meetings/[^/?]+", "/meetings/…", request.path)
        self.logger.info('%s "%s %s" %s %.3fs', request.remote, request.method, path, response.status, time)


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    engine()  # fail fast on a bad DATABASE_URL, and create the tables
    web.run_app(create_app(), host=host, port=port, print=None, access_log_class=AccessLog)
