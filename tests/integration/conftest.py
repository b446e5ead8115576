"""Fixtures of the integration layer: the web app as its own process on a loopback port."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import SALES_TOKEN, free_port, http

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def web_app(app_database):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": app_database, "SALES_API_TOKEN": SALES_TOKEN,
           "TRACKER_DB_URL": app_database.replace("app.db", "tracker.db")}
    process = subprocess.Popen([sys.executable, "-m", "bot", "web", "--port", str(port)], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if http("GET", f"{base}/healthz", timeout=1)[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the web app did not start")
    yield base
    process.terminate()
    process.wait(timeout=10)
