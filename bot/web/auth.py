"""Salespeople signing in and out: session cookies, CSRF tokens on every form, and a throttle on guessing."""
from __future__ import annotations

import hmac
import secrets
import time
from urllib.parse import urlencode

from aiohttp import web

from bot import config
from bot.sales import accounts
from bot.web import render
from bot.web.common import Handler, error, in_thread

SESSION_COOKIE = "dsb_session"
LOGIN_CSRF_COOKIE = "dsb_login_csrf"


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


SIGN_IN_THROTTLE = web.AppKey("sign_in_throttle", SignInThrottle)


def _cookie_options() -> dict:
    return {"httponly": True, "samesite": "Lax", "secure": config.cookie_secure(), "path": "/"}


@web.middleware
async def require_salesperson(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Everything under /inbox needs a signed-in salesperson; every form post needs its CSRF token."""
    if not request.path.startswith("/inbox") and request.path != "/logout":
        return await handler(request)
    user = await in_thread(accounts.signed_in, request.cookies.get(SESSION_COOKIE))
    if user is None:
        if request.method == "GET" and not request.path.endswith((".json", "/messages")):
            raise web.HTTPSeeOther("/login?" + urlencode({"next": request.path_qs}))
        return error(401, "Sign in first.")
    if request.method == "POST":
        form = await request.post()
        if not hmac.compare_digest(str(form.get("csrf", "")).encode(), user.csrf_token.encode()):
            return error(403, "The form's CSRF token is missing or wrong; reload the page and try again.")
    request["user"] = user
    return await handler(request)


def _safe_next(target: str) -> str:
    return target if target.startswith("/inbox") and "//" not in target and "\\" not in target else "/inbox"


async def login_page(request: web.Request) -> web.Response:
    token = secrets.token_urlsafe(32)
    response = web.Response(text=render.page("login.html", csrf=token, error="",
                                             next_path=_safe_next(request.query.get("next", "/inbox"))),
                            content_type="text/html")
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **_cookie_options())
    return response


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(str(form.get("csrf", "")).encode(), expected.encode()):
        return error(403, "The sign-in form's CSRF token is missing or wrong; reload the page and try again.")
    email = str(form.get("email", "")).strip().lower()
    throttle = request.app[SIGN_IN_THROTTLE]
    if throttle.blocked(email):
        return error(429, "Too many wrong passwords for this email; try again in 15 minutes.")
    token = await in_thread(accounts.sign_in, email, str(form.get("password", "")))
    if token is None:
        throttle.failed(email)
        fresh = secrets.token_urlsafe(32)
        response = web.Response(text=render.page("login.html", csrf=fresh, error="Wrong email or password.",
                                                 next_path=_safe_next(str(form.get("next", "")))),
                                content_type="text/html", status=401)
        response.set_cookie(LOGIN_CSRF_COOKIE, fresh, max_age=3600, **_cookie_options())
        return response
    response = web.HTTPSeeOther(_safe_next(str(form.get("next", "/inbox"))))
    response.set_cookie(SESSION_COOKIE, token, max_age=accounts.SESSION_HOURS * 3600, **_cookie_options())
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    raise response


async def logout(request: web.Request) -> web.Response:
    await in_thread(accounts.sign_out, request.cookies.get(SESSION_COOKIE, ""))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
