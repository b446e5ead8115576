"""Salespeople signing in and out: session cookies, CSRF tokens on every form, and a throttle on guessing."""
from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict, deque
from typing import Optional
from urllib.parse import urlencode

from aiohttp import web

from bot import config, safety
from bot.sales import accounts
from bot.web import render
from bot.web.common import Handler, error, in_thread

SESSION_COOKIE = "dsb_session"
LOGIN_CSRF_COOKIE = "dsb_login_csrf"


class SignInThrottle:
    """Sign-in attempts per WINDOW seconds, against password guessing: at most LIMITS["email"] for one
    email, LIMITS["address"] from one client address and LIMITS["overall"] in all.

    An attempt is counted before its password is checked, so parallel requests cannot slip past the
    limit; a right password gives its attempt back. Memory stays bounded: expired counts are dropped and
    only the MAX_KEYS most recently used emails and addresses are remembered.
    """

    LIMITS = {"email": 5, "address": 20, "overall": 100}
    WINDOW = 15 * 60
    MAX_KEYS = 10_000

    def __init__(self, limits: Optional[dict] = None, max_keys: int = MAX_KEYS) -> None:
        self.limits, self.max_keys = limits or self.LIMITS, max_keys
        self.attempts: OrderedDict = OrderedDict()  # (kind, value) -> times of its attempts, oldest first

    def _keys(self, email: str, address: str) -> list:
        return [("email", email[:254]), ("address", address), ("overall", "")]  # 254: the longest email

    def _recent(self, key: tuple, now: float) -> deque:
        times = self.attempts.get(key, deque())
        while times and now - times[0] >= self.WINDOW:
            times.popleft()
        return times

    def reserve(self, email: str, address: str) -> Optional[str]:
        """Counts one attempt; or, when a limit is reached, counts nothing and returns its kind."""
        now = time.monotonic()
        while self.attempts:  # the least recently used first: drop them while wholly expired
            key, times = next(iter(self.attempts.items()))
            if times and now - times[-1] < self.WINDOW:
                break
            del self.attempts[key]
        keys = self._keys(email, address)
        for kind, value in keys:
            if len(self._recent((kind, value), now)) >= self.limits[kind]:
                return kind
        for key in keys:
            self.attempts[key] = self._recent(key, now)
            self.attempts[key].append(now)
            self.attempts.move_to_end(key)
        while len(self.attempts) > self.max_keys:
            self.attempts.popitem(last=False)
        return None

    def release(self, email: str, address: str) -> None:
        """A right password: its attempt no longer counts."""
        for key in self._keys(email, address):
            if self.attempts.get(key):
                self.attempts[key].pop()


TOO_MANY = {  # what a refused sign-in is told, by the limit it reached
    "email": "Too many wrong passwords for this email",
    "address": "Too many sign-in attempts from your network",
    "overall": "Too many sign-in attempts at the moment",
}
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
        if request.method == "GET" and not request.path.endswith((".json", "/messages", "/events")):
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
    throttle, address = request.app[SIGN_IN_THROTTLE], safety.client_address(request.remote, request.headers)
    limit = throttle.reserve(email, address)
    if limit:
        return error(429, f"{TOO_MANY[limit]}; try again in 15 minutes.")
    token = await accounts.sign_in(email, str(form.get("password", "")))
    if token is None:
        fresh = secrets.token_urlsafe(32)
        response = web.Response(text=render.page("login.html", csrf=fresh, error="Wrong email or password.",
                                                 next_path=_safe_next(str(form.get("next", "")))),
                                content_type="text/html", status=401)
        response.set_cookie(LOGIN_CSRF_COOKIE, fresh, max_age=3600, **_cookie_options())
        return response
    throttle.release(email, address)
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
