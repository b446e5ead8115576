"""Helpers shared by the test layers: loopback servers and HTTP, a stand-in for Slack, seeded briefs and
tracker events, and PostgreSQL databases of their own."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Optional, Tuple

import psycopg2
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from bot.conversation import brief
from bot.conversation.qualify import assess
from bot.store import briefs as store

SALES_TOKEN = "test-sales-token"  # the brief API's token in tests that start the web app

# A visitor's answers with markup that Slack, email and HTML must not obey.
ANSWERS = {"struggle": "orders <@channel> & <https://evil.example|click> get lost", "trigger": "audit",
           "timeline": "by friday"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method: str, url: str, body: Optional[object] = None, token: Optional[str] = None,
         timeout: float = 60) -> Tuple[int, object]:
    """(status, parsed JSON body) of one request; HTTP errors are returned, not raised."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


class FakeSmtp:
    """A local SMTP server standing in for the company's (on `host`; it offers no STARTTLS): keeps the envelope of
    every message it accepted. Started at once; `stop()` and `start()` again on the same port (a server down, then
    back)."""

    def __init__(self, host: str = "127.0.0.1"):
        self.messages: list = []
        self.host, self.port = host, free_port()
        self.url = f"smtp://{host}:{self.port}"
        self.start()

    def start(self) -> None:
        self.controller = Controller(self, hostname=self.host, port=self.port)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"

    def stop(self) -> None:
        self.controller.stop()


class FakeSlack:
    """Answers 500 while `down`, else 200; keeps every accepted message."""

    def __init__(self):
        self.down, self.received, self.calls = False, [], 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                fake.calls += 1
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if fake.down:
                    self.send_response(500)
                else:
                    fake.received.append(body)
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Client:
    """A browser without JavaScript: keeps cookies, follows redirects, never raises on 4xx."""

    def __init__(self, base):
        self.base, self.jar = base, CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, method, path, form=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=data, method=method), timeout=30) as r:
                return r.status, r.geturl(), r.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode()

    def csrf(self, path):
        _, _, page = self.request("GET", path)
        return re.search(r'name="csrf" value="([^"]+)"', page).group(1)

    def sign_in(self, email="ann@acme.io", password="correct horse battery"):
        token = self.csrf("/login?next=/inbox")
        return self.request("POST", "/login", {"csrf": token, "email": email, "password": password,
                                               "next": "/inbox"})


def handoff(sender="visitor-1"):
    return store.save_handoff(brief.build(sender, ANSWERS, assess(ANSWERS, dt.date(2026, 11, 26)),
                                            "qualified", {"name": "Ann\nBcc: victim@x.test", "email": "a@b.io",
                                                          "company": "Acme"}, []))


def seed_tracker(url, events):
    engine = create_engine(url, future=True)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
                                "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
                                "action_name VARCHAR(255), data TEXT)"))
        for sender, kind, data in events:
            connection.execute(text("INSERT INTO events (sender_id, type_name, data) VALUES (:s, :k, :d)"),
                               {"s": sender, "k": kind, "d": json.dumps(data)})
    engine.dispose()


# PostgreSQL on 127.0.0.1:5432 (trust auth): each test that needs it gets databases of its own.
POSTGRES_ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")


def postgres_url(database: str) -> str:
    params = dict(part.split("=", 1) for part in POSTGRES_ADMIN_DSN.split())
    return f"postgresql://{params['user']}@{params['host']}:{params['port']}/{database}"


def _admin(statements) -> None:
    connection = psycopg2.connect(POSTGRES_ADMIN_DSN)
    connection.autocommit = True
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    connection.close()


def create_postgres_database(prefix: str = "bot_test") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _admin([f'CREATE DATABASE "{name}"'])
    return name


def drop_postgres_databases(names) -> None:
    from bot.store import engine

    engine._engine.cache_clear()  # forget engines bound to the databases being dropped
    _admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names])
