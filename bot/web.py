"""The web app: the product page with the chat widget, the visitor's chat history, and the brief API."""
from __future__ import annotations

import asyncio
import csv
import functools
import hmac
import io
import json
import logging
import re
import secrets
import time
from typing import Awaitable, Callable, Optional

from pathlib import Path
from urllib.parse import quote, urlencode

import aiohttp
from aiohttp import web

from bot import accounts, config, inbox, inbox_pages, pages, storage
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
    tracker = await _tracker(request, session_id)
    response = web.json_response({"session_id": session_id, "paused": tracker.get("paused", False),
                                  "messages": visible_messages(tracker.get("events") or [])})
    # The widget may be embedded on another site: those allowed by WIDGET_ORIGINS may read the history.
    origin, allowed = request.headers.get("Origin"), config.widget_origins()
    if origin and ("*" in allowed or origin in allowed):
        response.headers["Access-Control-Allow-Origin"] = "*" if "*" in allowed else origin
        response.headers["Vary"] = "Origin"
    return response


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _in_thread(function, *args, **kwargs):
    """Database calls are blocking: keep them off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args, **kwargs))


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


class SignInThrottle:
    """At most MAX_FAILURES wrong passwords per email in WINDOW seconds, against password guessing."""

    MAX_FAILURES, WINDOW = 5, 900

    def __init__(self) -> None:
        self.failures: dict = {}

    def _recent(self, email: str) -> list:
        now = time.monotonic()
        recent = [t for t in self.failures.get(email, []) if now - t < self.WINDOW]
        self.failures[email] = recent
        return recent

    def blocked(self, email: str) -> bool:
        return len(self._recent(email)) >= self.MAX_FAILURES

    def failed(self, email: str) -> None:
        self._recent(email).append(time.monotonic())


SESSION_COOKIE = "dsb_session"
LOGIN_CSRF_COOKIE = "dsb_login_csrf"


def _cookie_options() -> dict:
    return {"httponly": True, "samesite": "Lax", "secure": config.cookie_secure(), "path": "/"}


@web.middleware
async def require_salesperson(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Everything under /inbox needs a signed-in salesperson; every form post needs its CSRF token."""
    if not request.path.startswith("/inbox") and request.path != "/logout":
        return await handler(request)
    user = await _in_thread(accounts.signed_in, request.cookies.get(SESSION_COOKIE))
    if user is None:
        if request.method == "GET" and not request.path.endswith((".json", "/messages")):
            raise web.HTTPSeeOther("/login?" + urlencode({"next": request.path_qs}))
        return _error(401, "Sign in first.")
    if request.method == "POST":
        form = await request.post()
        if not hmac.compare_digest(str(form.get("csrf", "")).encode(), user.csrf_token.encode()):
            return _error(403, "The form's CSRF token is missing or wrong; reload the page and try again.")
    request["user"] = user
    return await handler(request)


def _safe_next(target: str) -> str:
    return target if target.startswith("/inbox") and "//" not in target and "\\" not in target else "/inbox"


async def login_page(request: web.Request) -> web.Response:
    token = secrets.token_urlsafe(32)
    response = web.Response(text=inbox_pages.login(token, _safe_next(request.query.get("next", "/inbox"))),
                            content_type="text/html")
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **_cookie_options())
    return response


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(str(form.get("csrf", "")).encode(), expected.encode()):
        return _error(403, "The sign-in form's CSRF token is missing or wrong; reload the page and try again.")
    email = str(form.get("email", "")).strip().lower()
    throttle = request.app["sign_in_throttle"]
    if throttle.blocked(email):
        return _error(429, "Too many wrong passwords for this email; try again in 15 minutes.")
    token = await _in_thread(accounts.sign_in, email, str(form.get("password", "")))
    if token is None:
        throttle.failed(email)
        fresh = secrets.token_urlsafe(32)
        response = web.Response(text=inbox_pages.login(fresh, _safe_next(str(form.get("next", ""))),
                                                       "Wrong email or password."),
                                content_type="text/html", status=401)
        response.set_cookie(LOGIN_CSRF_COOKIE, fresh, max_age=3600, **_cookie_options())
        return response
    response = web.HTTPSeeOther(_safe_next(str(form.get("next", "/inbox"))))
    response.set_cookie(SESSION_COOKIE, token, max_age=accounts.SESSION_HOURS * 3600, **_cookie_options())
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    raise response


async def logout(request: web.Request) -> web.Response:
    await _in_thread(accounts.sign_out, request.cookies.get(SESSION_COOKIE, ""))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


def _filters(request: web.Request) -> dict:
    filters = {name: request.query.get(name, "").strip() for name in ("status", "stage", "q")}
    if filters["status"] and filters["status"] not in inbox.STATUSES:
        raise web.HTTPBadRequest(reason=f"Unknown status {filters['status']!r}.")
    if filters["stage"] and filters["stage"] not in inbox.STAGES:
        raise web.HTTPBadRequest(reason=f"Unknown stage {filters['stage']!r}.")
    return filters


async def inbox_list(request: web.Request) -> web.Response:
    filters = _filters(request)
    briefs = await _in_thread(inbox.find, filters["status"] or None, filters["stage"] or None, filters["q"])
    failing = await _in_thread(inbox.failing_deliveries)
    user = request["user"]
    return web.Response(text=inbox_pages.brief_list(briefs, filters, user.email, user.csrf_token, failing),
                        content_type="text/html")


async def _brief_or_404(request: web.Request) -> dict:
    raw_id = request.match_info["brief_id"]
    brief = await _in_thread(storage.get_brief, int(raw_id)) if re.fullmatch(r"[0-9]{1,18}", raw_id) else None
    if brief is None:
        raise web.HTTPNotFound(reason=f"No brief with id {raw_id!r}.")
    return brief


async def inbox_brief(request: web.Request) -> web.Response:
    brief = await _brief_or_404(request)
    events = await _in_thread(inbox.history, brief["id"])
    user = request["user"]
    printable = request.path.endswith("/print")
    return web.Response(text=inbox_pages.brief_page(brief, events, user.email, user.csrf_token, printable),
                        content_type="text/html")


async def inbox_change(request: web.Request) -> web.StreamResponse:
    brief = await _brief_or_404(request)
    form, actor, action = await request.post(), request["user"].email, request.match_info["action"]
    try:
        if action == "claim":
            await _in_thread(inbox.claim, brief["id"], actor, bool(form.get("take_over")))
        elif action == "status":
            await _in_thread(inbox.set_status, brief["id"], str(form.get("status", "")), actor)
        elif action == "note":
            await _in_thread(inbox.add_note, brief["id"], str(form.get("note", "")), actor)
        elif action == "message":
            text = str(form.get("message", "")).strip()
            if not text or len(text) > 2000:
                raise ValueError("A message needs 1 to 2000 characters.")
            await _post_to_conversation(request, brief["sender_id"],
                                        [{"event": "pause"}, {"event": "bot", "text": text,
                                                              "metadata": {"agent": actor}}])
            await _in_thread(inbox.record_message, brief["id"], text, actor)
        elif action == "hand-back":
            # A bare "resume" leaves the handoff as the bot's last action, and the next message would
            # replay it: the bot listens again first, as it would have had it not been paused.
            await _post_to_conversation(request, brief["sender_id"],
                                        [{"event": "resume"}, {"event": "action", "name": "action_listen"}])
            await _in_thread(inbox.record_hand_back, brief["id"], actor)
        else:
            raise web.HTTPNotFound(reason=f"No action {action!r}.")
    except ValueError as error:
        return _error(400, str(error))
    except inbox.ClaimedByOther as error:
        return _error(409, str(error))
    if "application/json" in request.headers.get("Accept", ""):
        return web.json_response({"ok": True})
    raise web.HTTPSeeOther(f"/inbox/briefs/{brief['id']}")


async def _post_to_conversation(request: web.Request, sender_id: str, events: list) -> None:
    """Adds events to a conversation through Rasa's API; a bot event reaches the visitor's widget."""
    await _call_rasa(request, "POST", sender_id, "tracker/events", events=events,
                     params={"output_channel": "socketio", "execute_side_effects": "true"})


async def _tracker(request: web.Request, sender_id: str) -> dict:
    return await _call_rasa(request, "GET", sender_id, "tracker", params={"include_events": "ALL"})


async def _call_rasa(request: web.Request, method: str, sender_id: str, path: str, params: dict,
                     events: Optional[list] = None) -> dict:
    """One call to Rasa's token-protected conversation API; failures become a 502 with a JSON reason."""
    # Sender ids are chosen by visitors: quoted, one cannot reach another conversation or endpoint.
    url = f"{config.rasa_url()}/conversations/{quote(sender_id, safe='')}/{path}"
    try:
        async with request.app["http"].request(method, url, params={"token": config.rasa_token(), **params},
                                               json=events) as response:
            if response.status != 200:
                raise _bad_gateway(f"The conversation service answered {response.status}.")
            return await response.json()
    except aiohttp.ClientError as error:
        raise _bad_gateway(f"The conversation service is unreachable: {error.__class__.__name__}.")


def _bad_gateway(reason: str) -> web.HTTPBadGateway:
    return web.HTTPBadGateway(text=json.dumps({"error": reason}), content_type="application/json")


async def inbox_messages(request: web.Request) -> web.Response:
    brief = await _brief_or_404(request)
    tracker = await _tracker(request, brief["sender_id"])
    return web.json_response({"paused": tracker.get("paused", False),
                              "messages": visible_messages(tracker.get("events") or [])})


CSV_COLUMNS = ("id", "created_at", "status", "claimed_by", "handoff_reason", "qualified", "buying_stage",
               "struggle", "situation", "current_solution", "desired_progress", "trigger", "timeline",
               "anxieties", "cost_of_inaction", "name", "email", "company", "summary", "page_url")


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A visitor's "=HYPERLINK(...)" must stay text in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def inbox_csv(request: web.Request) -> web.Response:
    filters = _filters(request)
    briefs = await _in_thread(inbox.find, filters["status"] or None, filters["stage"] or None, filters["q"])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for brief in briefs:
        row = {**brief, **(brief["contact"] or {})}
        writer.writerow([_csv_cell(row.get(column)) for column in CSV_COLUMNS])
    return web.Response(text=out.getvalue(), content_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="briefs.csv"'})


async def inbox_dashboard(request: web.Request) -> web.Response:
    from bot import dashboard

    stats, drop_off = await _in_thread(dashboard.figures)
    user = request["user"]
    return web.Response(text=inbox_pages.dashboard(stats, drop_off, user.email, user.csrf_token),
                        content_type="text/html")


async def _http_client(app: web.Application):
    app["http"] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    yield
    await app["http"].close()


async def _notification_worker(app: web.Application):
    """Sends due brief notifications every couple of seconds while the web app runs."""
    from bot import notify

    async def loop() -> None:
        while True:
            try:
                await _in_thread(notify.deliver_due)
            except Exception:  # a database hiccup must not stop notifications for good
                logging.getLogger(__name__).exception("The notification worker failed; trying again")
            await asyncio.sleep(2)

    task = asyncio.create_task(loop())
    yield
    task.cancel()


def create_app(sales_api_token: str = "") -> web.Application:
    app = web.Application(middlewares=[security_headers, require_sales_token, require_salesperson])
    app["sign_in_throttle"] = SignInThrottle()
    app["sales_api_token"] = sales_api_token or config.sales_api_token()
    app.cleanup_ctx.append(_http_client)
    app.cleanup_ctx.append(_notification_worker)
    app.router.add_get("/", product_page)
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_get("/chat/history/{session_id}", chat_history)
    app.router.add_get("/healthz", health)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/inbox", inbox_list)
    app.router.add_get("/inbox/briefs.csv", inbox_csv)
    app.router.add_get("/inbox/dashboard", inbox_dashboard)
    app.router.add_get("/inbox/briefs/{brief_id}", inbox_brief)
    app.router.add_get("/inbox/briefs/{brief_id}/print", inbox_brief)
    app.router.add_get("/inbox/briefs/{brief_id}/messages", inbox_messages)
    app.router.add_post("/inbox/briefs/{brief_id}/{action}", inbox_change)
    app.router.add_get("/api/briefs", list_briefs)
    app.router.add_get("/api/briefs/{brief_id}", show_brief)
    return app


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    storage.engine()  # fail fast on a bad DATABASE_URL, and create the tables
    web.run_app(create_app(), host=host, port=port, print=None)
