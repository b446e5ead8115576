"""Signed widget sessions, rate limits with bounded memory, the visitor's address, start-up refusals."""
import pytest
from multidict import CIMultiDict

from bot import config, safety, supervisor


def test_only_the_server_can_issue_a_session_id(monkeypatch):
    monkeypatch.setenv("SESSION_SECRET", "s" * 40)
    issued = safety.new_session_id()
    assert safety.is_signed(issued) and issued != safety.new_session_id()
    nonce, signature = issued.split(".")
    assert not safety.is_signed(f"{nonce}.{'0' * 24}")
    assert not safety.is_signed(f"{'f' * 32}.{signature}")  # a signature is worth one id only
    monkeypatch.setenv("SESSION_SECRET", "t" * 40)
    assert not safety.is_signed(issued)  # a new secret ends the old sessions


@pytest.mark.parametrize("production, allowed", [("", True), ("production", False)])
def test_ids_a_widget_chose_itself_are_accepted_in_development_only(monkeypatch, production, allowed):
    monkeypatch.setenv("BOT_ENV", production)
    monkeypatch.delenv("ALLOW_UNSIGNED_SESSIONS", raising=False)
    assert safety.session_allowed("3f0c2a9e-webchat-chosen-id") is allowed
    assert safety.session_allowed(safety.new_session_id())
    assert not safety.session_allowed("../../etc/passwd") and not safety.session_allowed(None)
    monkeypatch.setenv("ALLOW_UNSIGNED_SESSIONS", "1")
    assert safety.session_allowed("3f0c2a9e-webchat-chosen-id")


def test_a_rate_limit_counts_attempts_and_forgets_the_oldest_keys(monkeypatch):
    limiter = safety.RateLimiter(limit=3, window=60, max_keys=100)
    assert [limiter.allow("a") for _ in range(5)] == [True, True, True, False, False]
    assert limiter.allow("b")
    for n in range(1000):
        limiter.allow(f"visitor-{n}")
    assert len(limiter.hits) == 100
    clock = [1000.0]
    monkeypatch.setattr(safety.time, "monotonic", lambda: clock[0])
    limiter = safety.RateLimiter(limit=1, window=60)
    assert limiter.allow("c") and not limiter.allow("c")
    clock[0] += 61
    assert limiter.allow("c")  # a minute later


def test_the_address_comes_from_the_proxy_header_only_when_one_is_trusted(monkeypatch):
    headers = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9"}
    monkeypatch.delenv("TRUSTED_PROXY_HEADER", raising=False)
    assert safety.client_address("10.0.0.2", headers) == "10.0.0.2"
    monkeypatch.setenv("TRUSTED_PROXY_HEADER", "X-Forwarded-For")
    assert safety.client_address("10.0.0.2", headers) == "203.0.113.9"  # what our proxy saw, not the client's claim
    # A proxy that adds a header line of its own: the client's line comes first and counts for nothing.
    lines = CIMultiDict([("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "203.0.113.9")])
    assert safety.client_address("10.0.0.2", lines) == "203.0.113.9"


def test_development_secrets_stop_production_and_public_addresses(monkeypatch, capsys):
    for name in ("RASA_TOKEN", "SALES_API_TOKEN", "SESSION_SECRET", "WIDGET_ORIGINS", "BOT_ENV",
                 "TRUSTED_PROXY_HEADER"):
        monkeypatch.delenv(name, raising=False)
    assert not supervisor.refuse_unsafe_secrets("127.0.0.1")
    assert "warning" in capsys.readouterr().err
    assert supervisor.refuse_unsafe_secrets("0.0.0.0")
    assert "listening on 0.0.0.0" in capsys.readouterr().err
    monkeypatch.setenv("BOT_ENV", "production")
    monkeypatch.setenv("RASA_TOKEN", config.DEV_RASA_TOKEN)
    monkeypatch.setenv("SALES_API_TOKEN", "x" * 31)
    monkeypatch.setenv("SESSION_SECRET", "y" * 32)
    assert supervisor.refuse_unsafe_secrets("127.0.0.1")
    said = capsys.readouterr().err
    assert "set RASA_TOKEN" in said and "set SALES_API_TOKEN" in said and "set WIDGET_ORIGINS" in said
    assert "set SESSION_SECRET" not in said and "set TRUSTED_PROXY_HEADER" in said
    monkeypatch.setenv("RASA_TOKEN", "r" * 32)
    monkeypatch.setenv("SALES_API_TOKEN", "s" * 32)
    monkeypatch.setenv("WIDGET_ORIGINS", "https://www.example.com")
    monkeypatch.setenv("TRUSTED_PROXY_HEADER", "X-Forwarded-For")
    assert not supervisor.refuse_unsafe_secrets("0.0.0.0")


def test_a_service_that_keeps_failing_waits_longer_each_time(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(supervisor.time, "monotonic", lambda: clock[0])
    restarts = supervisor.Restarts()
    waits = []
    for _ in range(8):
        restarts.started_now("actions")
        clock[0] += 2
        waits.append(restarts.next_wait("actions"))
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    restarts.started_now("actions")
    clock[0] += 120  # ran for two minutes before it stopped: quickly back
    assert restarts.next_wait("actions") == 1


def test_a_message_keeps_the_browsers_time_zone_only_when_it_is_a_real_one():
    from channels.visitors import visitor_metadata

    assert visitor_metadata({"time_zone": "America/New_York"}, "s1")["time_zone"] == "America/New_York"
    for sent in ("../../etc/passwd", "Mars/Olympus_Mons", "Europe/Berlin\n", 42, "x" * 100):
        assert "time_zone" not in visitor_metadata({"time_zone": sent}, "s1"), sent


def test_the_web_access_log_never_holds_the_secret_of_a_visitors_meeting_link(caplog):
    import logging

    from aiohttp import web
    from aiohttp.test_utils import make_mocked_request

    from bot.web.app import AccessLog

    logger = logging.getLogger("aiohttp.access")
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        AccessLog(logger, "").log(make_mocked_request("POST", "/meetings/Secret_Token-123456789/cancel"),
                                  web.Response(status=303), 0.01)
        AccessLog(logger, "").log(make_mocked_request("GET", "/inbox/briefs/7"), web.Response(), 0.01)
    assert "Secret_Token" not in caplog.text
    assert '"POST /meetings/…/cancel" 303' in caplog.text and '"GET /inbox/briefs/7" 200' in caplog.text


def test_a_salesperson_is_named_in_the_chat_by_the_first_name_their_address_gives():
    from bot.sales.accounts import display_name

    assert [display_name(e) for e in ("sam.lee@acme.io", "ann@acme.io", "j-p_smith@x.io", "@x.io")] == [
        "Sam", "Ann", "J", "Sales"]
