"""Fixtures of the integration layer: the web app in this process, on a free loopback port."""
import asyncio
import threading

import pytest
from aiohttp import web

from bot.web.app import create_app
from tests.helpers import SALES_TOKEN, free_port


@pytest.fixture
def web_app(app_database, monkeypatch):
    """The real aiohttp app (middlewares, notification worker and all) served from a background thread,
    so tests speak plain HTTP to it and read the same database directly."""
    monkeypatch.setenv("TRACKER_DB_URL", app_database.replace("app.db", "tracker.db"))
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(create_app(sales_api_token=SALES_TOKEN))
    port = free_port()
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()
