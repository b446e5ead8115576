"""Start-up and set-up behaviour: fail fast on a bad database, find Python 3.10, train only on change."""
import os
import subprocess
import sys
import time
from pathlib import Path

from bot import config
from bot.trainer import model

ROOT = Path(__file__).resolve().parents[2]


def test_an_unreachable_tracker_database_stops_start_up_at_once(tmp_path):
    env = {**os.environ, "TRACKER_DB_URL": "postgresql://bot:secret@127.0.0.1:1/rasa",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert "Cannot reach the tracker database at postgresql://bot:***@127.0.0.1:1/rasa" in result.stderr
    assert "secret" not in result.stderr
    assert time.monotonic() - started < 30


def test_find_python_prefers_path_then_pyenv_and_explains_when_there_is_none(tmp_path):
    found = subprocess.run([str(ROOT / "scripts" / "find-python")], capture_output=True, text=True)
    assert found.returncode == 0
    version = subprocess.run([found.stdout.strip(), "--version"], capture_output=True, text=True).stdout
    assert version.startswith("Python 3.10")
    fake = tmp_path / "pyenv" / "versions" / "3.10.99" / "bin" / "python3.10"
    fake.parent.mkdir(parents=True)
    fake.write_text("#!/bin/sh\necho 'Python 3.10.99'\n")
    fake.chmod(0o755)
    with_pyenv = {"PATH": "/usr/bin:/bin", "PYENV_ROOT": str(tmp_path / "pyenv"), "HOME": str(tmp_path)}
    from_pyenv = subprocess.run(["/bin/sh", str(ROOT / "scripts" / "find-python")], capture_output=True, text=True,
                                env=with_pyenv)
    assert (from_pyenv.returncode, from_pyenv.stdout.strip()) == (0, str(fake))
    empty = {"PATH": "/usr/bin:/bin", "PYENV_ROOT": str(tmp_path / "none"), "HOME": str(tmp_path)}
    missing = subprocess.run(["/bin/sh", str(ROOT / "scripts" / "find-python")], env=empty, capture_output=True,
                             text=True)
    assert missing.returncode == 1 and "Python 3.10 not found" in missing.stderr


def test_the_training_fingerprint_follows_config_domain_data_and_the_pipeline(tmp_path, monkeypatch):
    for name in ("config.yml", "domain.yml", "bot/conversation/nlp.py", "data/nlu/a.yml", "components/markup.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    monkeypatch.setattr(config, "ROOT", tmp_path)
    before = model.training_fingerprint()
    assert model.training_fingerprint() == before
    (tmp_path / "README.md").write_text("docs do not need a new model")
    assert model.training_fingerprint() == before
    (tmp_path / "data" / "nlu" / "a.yml").write_text("changed")
    assert model.training_fingerprint() != before
    changed_data = model.training_fingerprint()
    (tmp_path / "components" / "markup.py").write_text("a pipeline component changed")
    assert model.training_fingerprint() != changed_data


def test_bot_briefs_on_the_command_line(app_database):
    import datetime as dt

    from bot.conversation import brief
    from bot.conversation.qualify import assess
    from bot.store import briefs as store

    answers = {"struggle": "late <b>invoices</b>\x1b[2J", "trigger": "audit", "timeline": "by friday"}
    brief_id = store.save_handoff(brief.build("cli-visitor", answers, assess(answers, dt.date(2026, 11, 26)),
                                                "visitor_requested_human", None, []))
    env = {**os.environ, "DATABASE_URL": app_database}
    listed = subprocess.run([sys.executable, "-m", "bot", "briefs", "list"], env=env, cwd=ROOT,
                            capture_output=True, text=True)
    assert listed.returncode == 0 and f"#{brief_id}" in listed.stdout and "visitor_requested_human" in listed.stdout
    shown = subprocess.run([sys.executable, "-m", "bot", "briefs", "show", str(brief_id)], env=env, cwd=ROOT,
                           capture_output=True, text=True)
    assert "late <b>invoices</b>\\x1b[2J" in shown.stdout and "Ask next:" in shown.stdout
    assert "\x1b" not in shown.stdout + listed.stdout  # a visitor's escape codes never reach the terminal
    missing = subprocess.run([sys.executable, "-m", "bot", "briefs", "show", "999"], env=env, cwd=ROOT,
                             capture_output=True, text=True)
    assert missing.returncode == 1 and "no brief with id 999" in missing.stderr
