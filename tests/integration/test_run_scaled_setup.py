"""What `bot run-scaled` checks and writes before it starts anything: PostgreSQL only, Redis reachable, an
nginx configuration nginx itself accepts, and Rasa's lock store in Redis."""
from __future__ import annotations

import subprocess

import pytest
import yaml

from bot import config, scaled


def test_sqlite_is_refused_with_the_variable_to_set(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    assert scaled.run(2, 5055, 5005, 8000) == 2
    assert "run-scaled needs PostgreSQL: set DATABASE_URL" in capsys.readouterr().err


def test_an_unreachable_redis_is_refused_clearly(monkeypatch, capsys, make_postgres_database):
    monkeypatch.setenv("DATABASE_URL", make_postgres_database())
    monkeypatch.setenv("TRACKER_DB_URL", make_postgres_database())
    monkeypatch.setenv("REDIS_URL", "redis://:secret@127.0.0.1:1/0")
    assert scaled.run(2, 5055, 5005, 8000) == 2
    error = capsys.readouterr().err
    assert "Cannot reach Redis at redis://:***@127.0.0.1:1/0 (REDIS_URL)" in error and "secret" not in error


def test_listening_beyond_loopback_needs_production_secrets(monkeypatch, capsys, make_postgres_database):
    monkeypatch.setenv("DATABASE_URL", make_postgres_database())
    monkeypatch.setenv("TRACKER_DB_URL", make_postgres_database())
    assert scaled.run(2, 5055, 5005, 8000, host="0.0.0.0") == 2
    assert "refusing to start (listening on 0.0.0.0)" in capsys.readouterr().err


@pytest.mark.parametrize("proxy_header, host, action_ports", [("", "127.0.0.1", []),
                                                              ("X-Forwarded-For", "0.0.0.0", [40005, 40006])])
def test_the_nginx_configuration_is_one_nginx_accepts(monkeypatch, tmp_path, proxy_header, host, action_ports):
    nginx = scaled.nginx_binary()
    if not nginx:
        pytest.skip("nginx is not installed (scripts/ensure-nginx)")
    monkeypatch.setenv("TRUSTED_PROXY_HEADER", proxy_header)
    conf = scaled.nginx_config(tmp_path / "nginx", 5005, 8000, 5055,
                               {"rasa": [40001, 40002], "web": [40003, 40004], "actions": action_ports}, host)
    text = conf.read_text()
    assert "hash $route consistent;" in text and text.count("server 127.0.0.1:4000") == 6 + len(action_ports)
    assert ("proxy_set_header X-Forwarded-For $remote_addr;" in text) == (not proxy_header)
    assert text.count("listen 0.0.0.0:") == (2 if host == "0.0.0.0" else 0)
    # separate action servers get a listener of their own, on loopback only; actions run inside Rasa otherwise
    assert ("listen 127.0.0.1:5055;" in text) == bool(action_ports) and "listen 0.0.0.0:5055" not in text
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path / "nginx"), "-c", str(conf), "-e", "stderr"],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("action_url", [None, "http://127.0.0.1:5055/webhook"])
def test_rasa_gets_the_redis_lock_store_and_runs_the_actions_or_calls_nginx_for_them(monkeypatch, tmp_path,
                                                                                     action_url):
    monkeypatch.setattr(config, "VAR_DIR", tmp_path)
    endpoints = yaml.safe_load(scaled.scaled_endpoints(action_url,
                                                       "rediss://bot:p%40ss@redis.internal:6380/2").read_text())
    assert endpoints["action_endpoint"] == ({"url": action_url} if action_url else {"actions_module": "actions"})
    assert endpoints["lock_store"] == {"type": "bot.store.lock_store.TransactionalRedisLockStore",
                                       "url": "redis.internal", "port": 6380, "db": 2, "use_ssl": True,
                                       "username": "bot", "password": "p@ss"}
    assert endpoints["tracker_store"] == yaml.safe_load((config.ROOT / "endpoints.yml").read_text())["tracker_store"]
