"""The `bot` command: build the NLP pipeline, train when data changed, run every service, read briefs."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from bot import config
from bot.db import DatabaseUnreachable, check_reachable

MODEL_DIR = config.ROOT / "models"
MODEL = MODEL_DIR / "current.tar.gz"
FINGERPRINT = MODEL_DIR / "current.fingerprint"
TRAINING_INPUTS = ["config.yml", "domain.yml", "data", "bot/nlp.py"]


def build_nlp(force: bool = False) -> None:
    from bot import nlp

    meta = config.SPACY_PIPELINE_DIR / "meta.json"
    source = config.ROOT / "bot" / "nlp.py"
    if force or not meta.exists() or meta.stat().st_mtime < source.stat().st_mtime:
        nlp.save_pipeline()
        print(f"Built the spaCy pipeline in {config.SPACY_PIPELINE_DIR.relative_to(config.ROOT)}")


def training_fingerprint() -> str:
    """Hash of everything a trained model depends on (the spaCy pipeline is built from bot/nlp.py)."""
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = config.ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(config.ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


class ModelRejected(Exception):
    pass


def failed_stories(model: Path, stories: Path = config.ROOT / "tests" / "test_stories.yml") -> List[str]:
    """Names of the test stories a model gets wrong."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "-m", "rasa", "test", "core", "--stories", str(stories),
                        "--model", str(model), "--out", out], cwd=config.ROOT, env=rasa_env(),
                       capture_output=True, check=True)
        failed = yaml.safe_load((Path(out) / "failed_test_stories.yml").read_text() or "{}") or {}
    # Rasa appends " (the/file.yml)" to each failed story's name.
    return [story["story"].rsplit(" (", 1)[0] for story in failed.get("stories") or []]


def train(force: bool = False) -> bool:
    """Train only when config.yml, domain.yml, data/ or the pipeline changed; returns True if trained.

    The new model replaces the last good one only if it passes the test stories; otherwise the last
    good model stays and ModelRejected says which stories failed.
    """
    fingerprint = training_fingerprint()
    if not force and MODEL.exists() and FINGERPRINT.exists() and FINGERPRINT.read_text() == fingerprint:
        build_nlp()  # the model does not contain the pipeline: it must exist to serve
        print("Model is up to date (config.yml, domain.yml, data/ and the pipeline are unchanged).")
        return False
    build_nlp(force=True)  # SpacyNLP's fingerprint is only the path: always train on a fresh build
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "rasa", "train", "--fixed-model-name", "candidate", "--out",
                    str(MODEL_DIR)], cwd=config.ROOT, check=True, env=rasa_env())
    candidate = MODEL_DIR / "candidate.tar.gz"
    print(f"Trained in {time.monotonic() - started:.0f} s; checking it against tests/test_stories.yml")
    failed = failed_stories(candidate)
    if failed:
        candidate.replace(MODEL_DIR / "rejected.tar.gz")
        kept = "kept the last good model, models/current.tar.gz" if MODEL.exists() else "there is no good model yet"
        raise ModelRejected(f"the new model fails {len(failed)} test stories, so {kept} (the new one is "
                            f"models/rejected.tar.gz):\n" + "\n".join(f"  - {name}" for name in failed))
    candidate.replace(MODEL)
    FINGERPRINT.write_text(fingerprint)
    print("It passes every test story: models/current.tar.gz replaced.")
    return True


def rasa_env() -> Dict[str, str]:
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(config.ROOT), env.get("PYTHONPATH")]))
    return env


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
    env = {**rasa_env(), "SANIC_HOST": "127.0.0.1", "RASA_URL": f"http://127.0.0.1:{rasa_port}"}
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
            f"                 http://127.0.0.1:{web_port}/inbox   salespeople (add one: .venv/bin/bot users add EMAIL)\n"
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


def printable(text: object) -> str:
    """Visitor text for a terminal: control characters (escape sequences) shown, not obeyed."""
    return "".join(ch if ch == "\n" or ch.isprintable() else repr(ch)[1:-1] for ch in str(text))


def print_briefs(briefs: List[dict]) -> None:
    if not briefs:
        print("No briefs.")
    for brief in briefs:
        contact = brief["contact"] or {}
        print(printable(f"#{brief['id']}  {brief['created_at']}  {brief['status']:<8} {brief['handoff_reason']:<24} "
                        f"{brief['buying_stage']:<16} {contact.get('email') or '-'}"))
        print(printable(f"      {brief['headline']}"))


def print_brief(brief: dict) -> None:
    lines = [f"Brief #{brief['id']} ({brief['status']}) for {brief['sender_id']}, {brief['created_at']}",
             f"Handoff: {brief['handoff_reason']}; qualified: {brief['qualified']}; stage: {brief['buying_stage']}",
             "", brief["summary"], "", "Forces:"]
    for name, force in brief["forces"].items():
        lines.append(f"  {name:<8} {force['rating']}/2  " + " | ".join(f"“{quote}”" for quote in force["evidence"]))
    lines += ["", "Why:"] + [f"  - {reason}" for reason in brief["reasons"]]
    lines += ["", "Ask next:"] + [f"  - {question}" for question in brief["suggested_questions"]]
    contact = json.dumps(brief["contact"], ensure_ascii=False) if brief["contact"] else "not given"
    lines += ["", f"Contact: {contact}", "", "Transcript:"]
    lines += [f"  [{line['at']}] {line['speaker']}: {line['text']}" for line in brief["transcript"]]
    print(printable("\n".join(lines)))


def _date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-26")


def _conversations(args: argparse.Namespace) -> int:
    from bot import training

    if args.conversations_command == "list":
        found = training.conversations(args.since, args.until, args.outcome)
        if not found:
            print("No conversations.")
        for conversation in found:
            row = conversation.as_row()
            print(printable(f"{row['started']}  {row['sender_id']:<36} {row['messages']:>3} messages  "
                            f"{row['outcome']}" + (f"  ({row['fallbacks']} fallbacks)" if row["fallbacks"] else "")))
        return 0
    if args.conversations_command == "show":
        found = training.conversations(sender_id=args.sender_id)
        if not found:
            print(f"error: no conversation with sender id {args.sender_id!r}", file=sys.stderr)
            return 1
        print(printable(f"{found[0].sender_id}: {found[0].outcome}"))
        print(printable("\n".join(training.readable(found[0]))))
        return 0
    if args.to_nlu:
        messages = [m for m in training.misunderstood() if m.sender_id == args.sender_id]
        print(training.nlu_examples(messages), end="")
        return 0
    try:
        print(training.story(args.sender_id, args.name or args.sender_id, test=not args.training))
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build-nlp", help="build the spaCy pipeline into build/spacy_pipeline")
    train_parser = commands.add_parser("train", help="train the Rasa model if its inputs changed")
    train_parser.add_argument("--force", action="store_true")
    run_parser = commands.add_parser("run", help="start the action server, Rasa and the web app")
    run_parser.add_argument("--action-port", type=int, default=5055)
    run_parser.add_argument("--rasa-port", type=int, default=5005)
    run_parser.add_argument("--web-port", type=int, default=8000)
    run_parser.add_argument("--log-dir", type=Path, help="write each service's output to a file here")
    web_parser = commands.add_parser("web", help="serve the web app only")
    web_parser.add_argument("--port", type=int, default=8000)
    briefs = commands.add_parser("briefs", help="read handoff briefs").add_subparsers(dest="briefs_command",
                                                                                    required=True)
    list_parser = briefs.add_parser("list", help="briefs, newest first")
    list_parser.add_argument("--status")
    list_parser.add_argument("--sender-id")
    list_parser.add_argument("--json", action="store_true")
    show_parser = briefs.add_parser("show", help="one brief in full")
    show_parser.add_argument("id", type=int)
    show_parser.add_argument("--json", action="store_true")
    users = commands.add_parser("users", help="salespeople's accounts").add_subparsers(dest="users_command",
                                                                                     required=True)
    add_user = users.add_parser("add", help="add a salesperson (or reset their password); asks for the password")
    add_user.add_argument("email")
    add_user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    chats = commands.add_parser("conversations", help="real conversations, for trainers").add_subparsers(
        dest="conversations_command", required=True)
    list_chats = chats.add_parser("list", help="conversations, newest first")
    list_chats.add_argument("--since", type=_date, help="YYYY-MM-DD")
    list_chats.add_argument("--until", type=_date, help="YYYY-MM-DD")
    list_chats.add_argument("--outcome", default="", help="handed_off, nurture, no_contact, completed, dropped, "
                                                          "dropped_at:QUESTION or fallback")
    show_chat = chats.add_parser("show", help="a transcript with intents, confidences and slots")
    show_chat.add_argument("sender_id")
    export_chat = chats.add_parser("export", help="a conversation as a Rasa test story (or training story)")
    export_chat.add_argument("sender_id")
    export_chat.add_argument("--name", help="the story's name (default: the sender id)")
    export_chat.add_argument("--training", action="store_true", help="a training story (intents only)")
    export_chat.add_argument("--to-nlu", action="store_true",
                             help="its low-confidence and fallback messages as NLU examples to annotate")
    commands.add_parser("evaluate", help="NLU held-out and cross-validation scores, confusions, test stories, "
                                         "compared with the previous run (reports/)")
    review_parser = commands.add_parser("review", help="the messages the bot understood worst")
    review_parser.add_argument("--since", type=_date, help="YYYY-MM-DD")
    args = parser.parse_args(argv)

    if args.command == "build-nlp":
        build_nlp(force=True)
    elif args.command == "train":
        try:
            train(force=args.force)
        except ModelRejected as rejected:
            print(f"error: {rejected}", file=sys.stderr)
            return 1
    elif args.command == "run":
        return run(args.action_port, args.rasa_port, args.web_port, args.log_dir)
    elif args.command == "users":
        import getpass

        from bot import accounts

        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Again: ") != password:
                print("error: the passwords differ", file=sys.stderr)
                return 1
        try:
            accounts.add_user(args.email, password)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"{args.email.strip().lower()} can sign in at /login")
    elif args.command == "conversations":
        return _conversations(args)
    elif args.command == "evaluate":
        from bot import evaluate

        return evaluate.main(MODEL)
    elif args.command == "review":
        from bot import training

        groups = training.review(args.since)
        if not groups:
            print("Nothing misunderstood" + (f" since {args.since}." if args.since else "."))
        for likely, messages in groups.items():
            print(f"{likely} ({len(messages)})")
            for message in messages:
                print(printable(f"  {message.confidence:.2f} {message.intent:<16} {message.text}    "
                                f"[{message.sender_id}]"))
    elif args.command == "web":
        from bot import web

        web.serve(port=args.port)
    elif args.command == "briefs":
        from bot import storage

        if args.briefs_command == "list":
            found = storage.list_briefs(sender_id=args.sender_id, status=args.status)
            print(json.dumps(found, indent=2, ensure_ascii=False)) if args.json else print_briefs(found)
        else:
            brief = storage.get_brief(args.id)
            if brief is None:
                print(f"error: no brief with id {args.id}", file=sys.stderr)
                return 1
            print(json.dumps(brief, indent=2, ensure_ascii=False)) if args.json else print_brief(brief)
    return 0
