"""The whole product on free loopback ports, started by `bot run`, for full-stack and browser tests.

The `stack` fixture runs once on SQLite and once on PostgreSQL (tracker store and app database)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List

import pytest
import yaml

from tests.helpers import free_port, http

ROOT = Path(__file__).resolve().parents[2]
RASA_TOKEN = "stack-rasa-token-for-tests-0123456789"  # long enough for production mode too
SALES_TOKEN = "stack-sales-token-for-tests-0123456789"
CONVERSATIONS = {c["name"]: c for c in yaml.safe_load((ROOT / "tests" / "conversations.yml").read_text())}


# Every test visitor talks from 127.0.0.1, hundreds a minute: the suites raise the per-address limits
# (tests/e2e/test_public_site.py plays a stack with the defaults).
TEST_TRAFFIC_LIMITS = {"MESSAGES_PER_MINUTE_PER_ADDRESS": "100000", "MESSAGES_PER_MINUTE_PER_VISITOR": "1000",
                       "HANDOFFS_PER_MINUTE_PER_ADDRESS": "100000"}


class Stack:
    def __init__(self, tmp: Path, database_url: str, tracker_url: str, **extra_env: str):
        self.ports = {"action": free_port(), "rasa": free_port(), "web": free_port()}
        self.database_url, self.tracker_url = database_url, tracker_url
        self.rasa = f"http://127.0.0.1:{self.ports['rasa']}"
        self.web = f"http://127.0.0.1:{self.ports['web']}"
        env = {**os.environ, "DATABASE_URL": database_url, "TRACKER_DB_URL": tracker_url,
               "RASA_TOKEN": RASA_TOKEN, "SALES_API_TOKEN": SALES_TOKEN, "BOT_VAR_DIR": str(tmp),
               **TEST_TRAFFIC_LIMITS, **extra_env}
        self.output = open(tmp / "bot-run.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--action-port", str(self.ports["action"]),
             "--rasa-port", str(self.ports["rasa"]), "--web-port", str(self.ports["web"]), "--log-dir", str(tmp)],
            cwd=ROOT, env=env, stdout=self.output, stderr=subprocess.STDOUT)
        self.log_dir = tmp
        deadline = time.monotonic() + 240
        while b"Running (all on 127.0.0.1" not in (tmp / "bot-run.log").read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("`bot run` did not start:\n" + self.logs())
            time.sleep(0.5)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.log_dir.glob("*.log"))

    def say(self, sender: str, text: str) -> list:
        status, replies = http("POST", f"{self.rasa}/webhooks/rest/webhook", {"sender": sender, "message": text})
        assert status == 200, replies
        return [reply.get("text") for reply in replies]

    def tracker(self, sender: str) -> dict:
        status, tracker = http("GET", f"{self.rasa}/conversations/{sender}/tracker?token={RASA_TOKEN}")
        assert status == 200, tracker
        return tracker

    def state(self, sender: str) -> dict:
        """The tracker without its events (slots, active_loop, paused, latest_message): cheap to read every turn."""
        status, tracker = http("GET", f"{self.rasa}/conversations/{sender}/tracker?token={RASA_TOKEN}"
                                      "&include_events=NONE")
        assert status == 200, tracker
        return tracker

    def briefs(self, sender: str) -> list:
        status, briefs = http("GET", f"{self.web}/api/briefs?sender_id={sender}", token=SALES_TOKEN)
        assert status == 200, briefs
        return briefs

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.output.close()


# Stacks a suite plays on side by side: each Rasa server answers on one core, so two use this 2-core machine.
SUITE_STACKS = int(os.environ.get("E2E_SUITE_STACKS", "2"))


def start_sqlite_stacks(tmp_path_factory, name: str, count: int = SUITE_STACKS) -> List[Stack]:
    """`count` stacks on SQLite, started at the same time; the caller stops them."""
    folders = [tmp_path_factory.mktemp(f"{name}-{index}") for index in range(count)]
    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(Stack, tmp, f"sqlite:///{tmp / 'app.db'}", f"sqlite:///{tmp / 'tracker.db'}")
                   for tmp in folders]
    started, failed = [], []
    for future in futures:
        try:
            started.append(future.result())
        except BaseException as error:  # pytest.fail raises a BaseException
            failed.append(error)
    if failed:
        for stack in started:
            stack.stop()
        raise failed[0]
    return started
