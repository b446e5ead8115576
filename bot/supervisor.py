"""`bot run`: starts Rasa (which runs the custom actions) and the web app on 127.0.0.1, waits until each answers,
restarts one that stops (with growing waits) while the others keep serving, has every Rasa server load a new
models/current.tar.gz when `make train` replaces it, and stops them all on Ctrl-C.
`supervise` does the same for any set of named services (`bot run-scaled`, bot/scaled.py)."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from bot import config, safety
from bot.config import MODEL
from bot.store.engine import DatabaseUnreachable, check_reachable


def endpoints_file(action_port: Optional[int] = None) -> Path:
    """endpoints.yml, which runs the custom actions inside Rasa; with a separate action server on
    `action_port`, a copy under var/ pointing Rasa at it."""
    source = config.ROOT / "endpoints.yml"
    if action_port is None:
        return source
    endpoints = yaml.safe_load(source.read_text())
    endpoints["action_endpoint"] = {"url": f"http://127.0.0.1:{action_port}/webhook"}
    config.VAR_DIR.mkdir(parents=True, exist_ok=True)
    target = config.VAR_DIR / f"endpoints.{action_port}.yml"
    target.write_text(yaml.safe_dump(endpoints))
    return target


def credentials_file() -> Path:
    """credentials.yml; in production a copy under var/ without the REST channel, which anyone could
    call to create conversations and briefs without a signed session."""
    source = config.ROOT / "credentials.yml"
    if not config.production():
        return source
    channels = {name: value for name, value in yaml.safe_load(source.read_text()).items()
                if not name.endswith("Rest")}
    config.VAR_DIR.mkdir(parents=True, exist_ok=True)
    target = config.VAR_DIR / "credentials.production.yml"
    target.write_text(yaml.safe_dump(channels))
    return target


HEALTH_PATHS = {"actions": "/health", "rasa": "/", "web": "/healthz"}  # each service answers here when up


def rasa_banner_line(port: int) -> str:
    return (f"  Rasa server    http://127.0.0.1:{port}  (socket.io: /socket.io; REST: "
            f"{'off in production' if config.production() else '/webhooks/rest/webhook'};"
            " HTTP API needs ?token=$RASA_TOKEN)\n")


def service_commands(rasa_port: int, web_port: int, endpoints: Path,
                     action_port: Optional[int] = None) -> Dict[str, List[str]]:
    """The services' command lines: Rasa (reading `endpoints`) and the web app, and an action server on
    `action_port` if one is given."""
    python = sys.executable
    actions = {"actions": [python, "-m", "bot.action_server", "--actions", "actions", "--port", str(action_port)]}
    return {
        **(actions if action_port else {}),
        "rasa": [python, "-m", "bot.rasa_server", "run", "--enable-api", "--auth-token", config.rasa_token(),
                 "--interface", "127.0.0.1", "--port", str(rasa_port), "--model", str(MODEL),
                 "--cors", *config.widget_origins(), "--endpoints", str(endpoints),
                 "--credentials", str(credentials_file())],
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


def refuse_unsafe_secrets(host: str = "127.0.0.1") -> bool:
    """Production, or listening beyond loopback, needs real secrets: prints what to set and answers True
    when start-up must stop. Development on loopback only warns."""
    problems = config.secret_problems()
    if not problems:
        return False
    if config.production() or not safety.is_loopback(host):
        where = "BOT_ENV=production" if config.production() else f"listening on {host}"
        print(f"error: refusing to start ({where}) with development secrets:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print("See docs/deploy.md.", file=sys.stderr)
        return True
    print("warning: development mode with public development secrets; fine on 127.0.0.1 only "
          "(see docs/deploy.md before exposing anything).", file=sys.stderr)
    return False


class ModelWatch:
    """Notices a new model file (`make train` replaced it) and has each Rasa server load it through Rasa's API
    (`PUT /model`): sockets stay connected and conversations carry on from the tracker store. A server that
    cannot load it keeps the model it has, and the message says to restart."""

    def __init__(self, model: Path, servers: Dict[str, str]) -> None:
        self.model, self.servers = model, servers
        self.seen = self._stamp()
        self.loading: Optional[threading.Thread] = None

    def _stamp(self) -> Optional[tuple]:
        try:
            stat = self.model.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def check(self) -> None:
        stamp = self._stamp()
        if stamp is None or stamp == self.seen or (self.loading and self.loading.is_alive()):
            return
        self.seen = stamp
        self.loading = threading.Thread(target=self._load, daemon=True)
        self.loading.start()

    def _load(self) -> None:
        for name, url in self.servers.items():
            request = urllib.request.Request(f"{url.rstrip('/')}/model?token={config.rasa_token()}", method="PUT",
                                             data=json.dumps({"model_file": str(self.model)}).encode(),
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=300) as response:
                    response.read()
                print(f"{name} now serves the new {self.model.name} (conversations carry on).", flush=True)
            except OSError as error:
                print(f"error: {name} could not load the new {self.model.name} ({error}); it still serves the "
                      "model it had: restart `make run` to use the new one.", file=sys.stderr, flush=True)


class Restarts:
    """Waits before restarting a service that stopped: 1 s, then doubling up to a minute while it keeps
    failing; back to 1 s once it has run for a minute."""

    FIRST, LONGEST, STABLE = 1.0, 60.0, 60.0

    def __init__(self) -> None:
        self.wait: Dict[str, float] = {}
        self.started: Dict[str, float] = {}

    def started_now(self, name: str) -> None:
        self.started[name] = time.monotonic()

    def next_wait(self, name: str) -> float:
        if time.monotonic() - self.started.get(name, 0) > self.STABLE:
            self.wait[name] = self.FIRST
        else:
            self.wait[name] = min(self.wait.get(name, self.FIRST / 2) * 2, self.LONGEST)
        return self.wait[name]


def run(action_port: int, rasa_port: int, web_port: int, log_dir: Optional[Path] = None) -> int:
    """Start Rasa and the web app (and an action server, if it is separate) on 127.0.0.1; stop them all on
    Ctrl-C."""
    try:
        check_reachable(config.database_url(), "app")
        check_reachable(config.tracker_db_url(), "tracker")
    except DatabaseUnreachable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not MODEL.exists():
        print("error: no trained model; run `make run` (or `bot train`) first.", file=sys.stderr)
        return 2
    if refuse_unsafe_secrets():
        return 2
    separate = action_port if config.separate_action_server() else None
    ports = {"actions": separate, "rasa": rasa_port, "web": web_port}
    health = {name: f"http://127.0.0.1:{port}{HEALTH_PATHS[name]}" for name, port in ports.items() if port}
    env = {**service_env(), "RASA_URL": f"http://127.0.0.1:{rasa_port}"}
    banner = (
        "\nRunning (all on 127.0.0.1; Ctrl-C stops everything):\n"
        + (f"  action server  http://127.0.0.1:{separate}/webhook\n" if separate else "")
        + f"{rasa_banner_line(rasa_port)}"
        f"  web app        http://127.0.0.1:{web_port}/        product page with the chat widget\n"
        f"                 http://127.0.0.1:{web_port}/inbox   salespeople "
        "(add one: .venv/bin/bot users add EMAIL)\n"
        f"                 http://127.0.0.1:{web_port}/api/briefs  brief API ('Authorization: Bearer "
        "$SALES_API_TOKEN')\n")
    commands = service_commands(rasa_port, web_port, endpoints_file(separate), separate)
    return supervise(commands, health, env, log_dir, banner)


def service_env() -> Dict[str, str]:
    """The services' environment: Rasa's quiet settings, loopback, and a request size Sanic can bear."""
    # Sanic reads up to 100 MB of a request before socket.io's own 64 KB check: 1 MB is plenty
    return {**config.rasa_env(), "SANIC_HOST": "127.0.0.1", "SANIC_REQUEST_MAX_SIZE": str(1024 * 1024)}


def supervise(commands: Dict[str, List[str]], health: Dict[str, str], env: Dict[str, str],
              log_dir: Optional[Path], banner: str, timeout: float = 180) -> int:
    """Starts the named services, waits until each health URL answers, prints `banner`, restarts a
    service that stops (with growing waits) while the others keep serving, and stops them all on
    SIGINT or SIGTERM."""
    processes: Dict[str, subprocess.Popen] = {}
    outputs = {name: open(log_dir / f"{name}.log", "ab") for name in commands} if log_dir else {}
    restarts = Restarts()

    def stop_all(*_: object) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for output in outputs.values():
            output.close()

    # Ctrl-C and SIGTERM stop everything; SIGINT explicitly, as a shell ignores it for background jobs and
    # Python then raises no KeyboardInterrupt (the services would outlive a `kill -INT`).
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: (stop_all(), sys.exit(0)))

    def start(name: str) -> None:
        output = outputs.get(name)
        processes[name] = subprocess.Popen(commands[name], cwd=config.ROOT, env=env, stdout=output,
                                           stderr=subprocess.STDOUT if output else None)
        restarts.started_now(name)

    try:
        for name in commands:
            start(name)
        try:
            _wait_until_up(health, processes, timeout=timeout)
        except RuntimeError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(banner, flush=True)
        due: Dict[str, float] = {}  # stopped services and when to start them again
        models = ModelWatch(MODEL, {name: url for name, url in health.items() if name.split("-")[0] == "rasa"})
        while True:
            time.sleep(0.2)
            models.check()
            for name, process in processes.items():
                if process.poll() is not None and name not in due:
                    wait = restarts.next_wait(name)
                    print(f"error: the {name} service stopped (exit code {process.returncode}); restarting it "
                          f"in {wait:.0f} s, the others keep running.", file=sys.stderr, flush=True)
                    due[name] = time.monotonic() + wait
            for name, when in list(due.items()):
                if time.monotonic() >= when:
                    del due[name]
                    start(name)
    finally:
        stop_all()
