"""The web app on a public website: password guessing throttled, pages locked down by their headers, request
bodies capped. Against the real app, served on loopback by aiohttp's test server."""
import asyncio
import re
import threading

import pytest
from aiohttp import DummyCookieJar
from aiohttp.test_utils import TestClient, TestServer

from bot.sales import accounts, booking
from bot.web import auth
from bot.web.app import create_app
from tests.helpers import SALES_TOKEN, handoff

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def plain_settings(app_database, monkeypatch):
    for name in ("BOT_ENV", "COOKIE_SECURE", "TRUSTED_PROXY_HEADER", "RASA_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    accounts.add_user("ann@acme.io", PASSWORD)


@pytest.fixture
def password_checks(monkeypatch):
    """The threads every password check ran on, one entry per check."""
    threads, check = [], accounts.password_matches

    def counted(password, stored):
        threads.append(threading.current_thread().name)
        return check(password, stored)

    monkeypatch.setattr(accounts, "password_matches", counted)
    return threads


def served(test):
    """Runs `test(client)` against a fresh web app. The client keeps no cookies: each request says its own."""
    async def run():
        async with TestClient(TestServer(create_app(sales_api_token=SALES_TOKEN)),
                              cookie_jar=DummyCookieJar()) as client:
            return await test(client)

    return asyncio.run(run())


async def login_token(client) -> str:
    page = await (await client.get("/login")).text()
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


async def sign_in(client, token, email="ann@acme.io", password=PASSWORD, **headers):
    """(status, body, response) of one sign-in with the form's CSRF token and its cookie."""
    response = await client.post("/login", data={"csrf": token, "email": email, "password": password},
                                 headers={"Cookie": f"{auth.LOGIN_CSRF_COOKIE}={token}", **headers},
                                 allow_redirects=False)
    return response.status, await response.text(), response


def test_parallel_wrong_passwords_get_no_more_checks_than_the_limit(password_checks):
    async def test(client):
        token = await login_token(client)
        guesses = await asyncio.gather(*(sign_in(client, token, password=f"guess {n}") for n in range(30)))
        right = await sign_in(client, token)
        return [status for status, _, _ in guesses], right

    statuses, (status, body, _) = served(test)
    limit = auth.SignInThrottle.LIMITS["email"]
    assert sorted(statuses) == [401] * limit + [429] * (30 - limit)
    assert len(password_checks) == limit
    assert status == 429 and "Too many wrong passwords for this email" in body  # even the right one waits now
    # scrypt ran on its own threads, not on those the database calls wait for
    assert {name.split("_")[0] for name in password_checks} == {"password-check"}


def test_a_right_password_does_not_use_up_the_limit(password_checks):
    async def test(client):
        token = await login_token(client)
        return [(await sign_in(client, token))[0] for _ in range(auth.SignInThrottle.LIMITS["email"] + 2)]

    assert served(test) == [303] * (auth.SignInThrottle.LIMITS["email"] + 2)


def test_one_address_is_limited_across_emails_and_cannot_dodge_it_with_a_made_up_header(password_checks,
                                                                                        monkeypatch):
    limit = auth.SignInThrottle.LIMITS["address"]

    async def test(client):
        token = await login_token(client)
        tries = await asyncio.gather(*(sign_in(client, token, email=f"guess{n}@acme.io",
                                               **{"X-Forwarded-For": f"198.51.100.{n}"})
                                       for n in range(limit + 5)))
        blocked = await sign_in(client, token)
        # Behind a trusted proxy, its header names the client: another visitor is not blocked.
        monkeypatch.setenv("TRUSTED_PROXY_HEADER", "X-Forwarded-For")
        other = await sign_in(client, token, **{"X-Forwarded-For": "127.0.0.1, 203.0.113.9"})
        return [status for status, _, _ in tries], blocked, other[0]

    statuses, (status, body, _), other = served(test)
    assert sorted(statuses) == [401] * limit + [429] * 5 and len(password_checks) == limit + 1
    assert status == 429 and "Too many sign-in attempts from your network" in body
    assert other == 303


def test_the_throttle_remembers_a_bounded_number_of_emails_and_forgets_expired_ones():
    throttle = auth.SignInThrottle(limits={"email": 5, "address": 10 ** 9, "overall": 10 ** 9}, max_keys=1000)
    for n in range(20_000):
        assert throttle.reserve(f"guess{n}@acme.io", "198.51.100.7") is None
    assert len(throttle.attempts) <= 1000
    for _ in range(5):
        throttle.reserve("ann@acme.io", "198.51.100.7")
    assert throttle.reserve("ann@acme.io", "198.51.100.7") == "email"  # the recent ones are still counted
    throttle.WINDOW = 0  # as if the window had passed
    assert throttle.reserve("ann@acme.io", "198.51.100.7") is None and len(throttle.attempts) == 3


def test_a_body_over_the_cap_is_refused_and_the_app_keeps_answering():
    async def test(client):
        token = await login_token(client)
        big = await client.post("/login", data={"csrf": token, "email": "ann@acme.io", "password": "x" * 100_000},
                                headers={"Cookie": f"{auth.LOGIN_CSRF_COOKIE}={token}"})
        return big.status, (await sign_in(client, token))[0]

    assert served(test) == (413, 303)


@pytest.mark.parametrize("env, secure", [("production", True), ("development", False)])
def test_in_production_the_session_cookie_needs_https_and_browsers_are_told_to_use_it(monkeypatch, env, secure):
    monkeypatch.setenv("BOT_ENV", env)

    async def test(client):
        token = await login_token(client)
        _, _, response = await sign_in(client, token)
        return response.status, response.headers.getall("Set-Cookie"), response.headers

    status, cookies, headers = served(test)
    [session] = [c for c in cookies if c.startswith(auth.SESSION_COOKIE + "=")]
    assert status == 303 and ("; Secure" in session) is secure
    assert ("Strict-Transport-Security" in headers) is secure


def test_the_product_page_may_connect_only_to_its_rasa_server_and_the_inbox_cannot_be_framed(monkeypatch):
    monkeypatch.setenv("RASA_PUBLIC_URL", "https://chat.acme.test/")

    async def test(client):
        return [(await client.get(path)).headers["Content-Security-Policy"] for path in ("/", "/login", "/inbox")]

    product, login, inbox = served(test)
    assert "connect-src 'self' https://chat.acme.test wss://chat.acme.test;" in product
    for policy in (product, login, inbox):
        assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in login and "frame-ancestors 'none'" in inbox


def booked_call(brief_id: int) -> str:
    """A visitor's call booked from that brief: the path of its page."""
    booking.set_availability("ann@acme.io", "UTC", "mon-sun 00:00-24:00")
    return f"/meetings/{booking.book(brief_id, booking.free_slots(1)[0], 'v@x.test', 'Vi', 'UTC').token}"


def test_a_visitors_call_cannot_be_framed_and_its_link_is_sent_nowhere():
    meeting = booked_call(handoff())

    async def test(client):
        return [(await client.get(path)).headers for path in (meeting, "/meetings/unknown-link-0123456789")]

    for headers in served(test):
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"


def test_the_pages_use_nothing_their_policy_forbids():
    brief_id = handoff()
    meeting = booked_call(brief_id)  # the brief shows the call too

    async def test(client):
        _, _, response = await sign_in(client, await login_token(client))
        session = {"Cookie": f"{auth.SESSION_COOKIE}={response.cookies[auth.SESSION_COOKIE].value}"}
        pages = {}
        for path in ("/", "/login", "/inbox", f"/inbox/briefs/{brief_id}", "/inbox/dashboard", "/inbox/outcomes",
                     "/inbox/availability", f"/inbox/briefs/{brief_id}/print", meeting):
            page = await client.get(path, headers=session, allow_redirects=False)
            pages[path] = page.status, await page.text()
        return pages

    for path, (status, page) in served(test).items():
        assert status == 200 and "<html" in page, path
        # no inline scripts, styles or event handlers: the policy would block them
        assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", page), path
