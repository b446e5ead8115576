"""`bot run`: starts the action server, Rasa and the web app on 127.0.0.1, waits until each answers,
and stops them all on Ctrl-C or when one of them stops."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from bot import config
from bot.config import MODEL
from bot.store.engine import DatabaseUnreachable, check_reachable


def endpoints_file(action_port: int) -> Path:
    """endpoints.yml, pointed at the action server's port (a copy under var/ when it is not 5055)."""
    source = config.ROOT / "endpoints.yml"
    if action_port == 5055:
        return source
    endpoints = yaml.safe_load(source.read_text())
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{action_port}/webhook"
    config.VAR_DIR.mkdir(parents=True, exist_ok=True)
    target = config.VAR_DIR / f"endpoints.{action_port}.yml"
    target.write_text(yaml.safe_dump(endpoints))
    return target


def service_commands(action_port: int, rasa_port: int, web_port: int) -> Dict[str, List[str]]:
    python = sys.executable
    return {
        "actions": [python, "-m", "bot.action_server", "--actions", "actions", "--port", str(action_port)],
        "rasa": [python, "-m", "rasa", "run", "--enable-api", "--auth-token", config.rasa_token(),
                 "--interface", "127.0.0.1", "--port", str(rasa_port), "--model", str(MODEL),
                 "--cors", *config.widget_origins(),
                 "--endpoints", str(endpoints_file(action_port)), "--credentials", "credentials.yml"],
        "web": [python, "-m", "bot", "web", "--port", str(web_port)],
    }


def _wait_until_up(urls: Dict[str, str], processes: Dict[str, subprocess.Popen], timeout: float) -> None:
    """Waits for every service's health URL; any service that exits meanwhile fails start-up at once."""
    waiting = dict(urls)
    deadline = time.monotonic() + timeout
    while waiting:
        for name, process in processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"the {name} service exited with code {process.returncode} during start-up")
        for name, url in list(waiting.items()):
            try:
                with urllib.request.urlopen(url, timeout=2):
                    del waiting[name]
            except OSError:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{', '.join(waiting)} did not answer within {timeout:.0f} s")
        time.sleep(0.5)


def _warn_about_development_tokens() -> None:
    for name, default in (("RASA_TOKEN", config.DEV_RASA_TOKEN), ("SALES_API_TOKEN", config.DEV_SALES_API_TOKEN)):
        if not os.environ.get(name):
            print(f"warning: {name} is not set; using the public development token {default!r}. "
                  "Set it before exposing anything beyond this machine.", file=sys.stderr)


def run(action_port: int, rasa_port: int, web_port: int, log_dir: Optional[Path] = None) -> int:
    """Start the action server, Rasa and the web app on 127.0.0.1; stop them all on Ctrl-C."""
    try:
        check_reachable(config.database_url(), "app")
        check_reachable(config.tracker_db_url(), "tracker")
    except DatabaseUnreachable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not MODEL.exists():
        print("error: no trained model; run `make run` (or `bot train`) first.", file=sys.stderr)
        return 2
    _warn_about_development_tokens()
    health = {"actions": f"http://127.0.0.1:{action_port}/health", "rasa": f"http://127.0.0.1:{rasa_port}/",
              "web": f"http://127.0.0.1:{web_port}/healthz"}
    env = {**config.rasa_env(), "SANIC_HOST": "127.0.0.1", "RASA_URL": f"http://127.0.0.1:{rasa_port}"}
    processes: Dict[str, subprocess.Popen] = {}
    logs = []

    def stop_all(*_: object) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()

    signal.signal(signal.SIGTERM, lambda *_: (stop_all(), sys.exit(0)))
    try:
        for name, command in service_commands(action_port, rasa_port, web_port).items():
            output = open(log_dir / f"{name}.log", "ab") if log_dir else None
            if output:
                logs.append(output)
            processes[name] = subprocess.Popen(command, cwd=config.ROOT, env=env, stdout=output,
                                               stderr=subprocess.STDOUT if output else None)
        try:
            _wait_until_up(health, processes, timeout=180)
        except RuntimeError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(
            "\nRunning (all on 127.0.0.1; Ctrl-C stops everything):\n"
            f"  action server  http://127.0.0.1:{action_port}/webhook\n"
            f"  Rasa server    http://127.0.0.1:{rasa_port}  (REST: /webhooks/rest/webhook, socket.io: /socket.io;"
            " HTTP API needs ?token=$RASA_TOKEN)\n"
            f"  web app        http://127.0.0.1:{web_port}/        product page with the chat widget\n"
            f"                 http://127.0.0.1:{web_port}/inbox   salespeople "
            "(add one: .venv/bin/bot users add EMAIL)\n"
            f"                 http://127.0.0.1:{web_port}/api/briefs  brief API ('Authorization: Bearer "
            "$SALES_API_TOKEN')\n",
            flush=True,
        )
        while all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
        stopped = [name for name, process in processes.items() if process.poll() is not None]
        print(f"error: {', '.join(stopped)} stopped; stopping the rest.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all()
