"""What the live inbox announces and counts (bot/sales/live.py), on SQLite and PostgreSQL: new briefs, visitors
writing after their handoff, what a salesperson has not read."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import MetaData, Table, create_engine, insert

from bot.clock import unix
from bot.sales import live
from bot.store import briefs
from tests.helpers import handoff


@pytest.fixture
def app(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker(request, tmp_path, make_postgres_database):
    from rasa.core.tracker_store import SQLTrackerStore

    url = f"sqlite:///{tmp_path / 'tracker.db'}" if request.param == "sqlite" else make_postgres_database()
    engine = create_engine(url, future=True)
    SQLTrackerStore.Base.metadata.create_all(engine)  # Rasa's own events table
    yield engine
    engine.dispose()


def said(tracker, sender, kind="user", at=None):
    """One event of a conversation, stored as Rasa stores it (`at`: Unix time, now by default)."""
    events = Table("events", MetaData(), autoload_with=tracker)
    with tracker.begin() as connection:
        connection.execute(insert(events), {"sender_id": sender, "type_name": kind, "data": "{}",
                                            "timestamp": time.time() if at is None else at})


def test_news_is_what_came_after_the_watch_began_each_once(app, tracker):
    said(tracker, "before-the-watch")
    old = handoff("before-the-watch")
    said(tracker, "before-the-watch")  # written after its handoff, but before anyone watched
    watch = live.start(tracker)
    assert live.changes(watch, tracker) == []

    said(tracker, "sara", at=time.time() - 1)  # the message that led to the handoff: the bot's, not news
    brief_id = handoff("sara")
    said(tracker, "sara", kind="bot")
    said(tracker, "sara")  # the visitor writes to the salesperson
    said(tracker, "not-handed-over")
    said(tracker, "before-the-watch")
    found = live.changes(watch, tracker)
    assert [(kind, data.get("id") or data.get("brief_id")) for kind, data in found] == [
        ("brief", brief_id), ("message", brief_id), ("message", old)]
    assert found[0][1]["struggle"] == briefs.get_brief(brief_id)["struggle"]
    assert live.changes(watch, tracker) == []  # each once, although every look goes back LOOKBACK ids


def test_a_visitor_handed_over_twice_writes_to_the_newest_brief(app, tracker):
    said(tracker, "twice", at=time.time() - 5)
    first = handoff("twice")
    watch = live.start(tracker)
    second = handoff("twice")
    said(tracker, "twice")
    assert [(kind, data.get("id") or data.get("brief_id")) for kind, data in live.changes(watch, tracker)] == [
        ("brief", second), ("message", second)]
    assert first != second


def test_unread_counts_the_visitors_messages_after_the_handoff_until_the_salesperson_reads_them(app, tracker):
    for _ in range(3):
        said(tracker, "omar", at=time.time() - 2)  # the interview, before the handoff
    brief_id = handoff("omar")
    quiet = handoff("quiet")
    listed = [{"id": brief_id}, {"id": quiet}]
    assert live.unread(listed, "ann@acme.io", tracker) == {}
    said(tracker, "omar")
    said(tracker, "omar", kind="bot")
    said(tracker, "omar")
    assert live.unread(listed, "ann@acme.io", tracker) == {brief_id: 2}

    live.mark_read(brief_id, "ann@acme.io")
    assert live.unread(listed, "ann@acme.io", tracker) == {}
    assert live.unread(listed, "sam@acme.io", tracker) == {brief_id: 2}  # each salesperson reads for themselves
    time.sleep(0.01)
    said(tracker, "omar")
    live.mark_read(brief_id, "sam@acme.io")  # again later: one row per salesperson and brief
    assert live.unread(listed, "ann@acme.io", tracker) == {brief_id: 1}
    assert live.unread(listed, "sam@acme.io", tracker) == {}
    assert live.unread([], "ann@acme.io", tracker) == {}


def test_nothing_stored_yet_is_no_news_and_nothing_unread(app, tmp_path):
    empty = create_engine(f"sqlite:///{tmp_path / 'no-tracker-yet.db'}", future=True)
    watch = live.start(empty)
    brief_id = handoff("first-ever")
    assert [kind for kind, _ in live.changes(watch, empty)] == ["brief"]
    assert live.unread([{"id": brief_id}], "ann@acme.io", empty) == {}
    empty.dispose()


def test_the_event_stream_needs_a_signed_in_salesperson_and_pushes_a_new_brief(web_app):
    import json
    import urllib.request

    from bot.sales import accounts
    from tests.helpers import Client, http

    assert http("GET", f"{web_app}/inbox/events")[0] == 401  # no redirect to a sign-in page for a stream
    accounts.add_user("ann@acme.io", "correct horse battery")
    client = Client(web_app)
    client.sign_in()
    request = urllib.request.Request(f"{web_app}/inbox/events", headers={"Accept": "text/event-stream"})
    with client.opener.open(request, timeout=10) as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        assert stream.readline() == b"retry: 2000\n"
        stream.readline()
        brief_id = handoff("streamed")
        lines = [stream.readline() for _ in range(2)]
    assert lines[0] == b"event: brief\n"
    pushed = json.loads(lines[1].removeprefix(b"data: "))
    assert pushed["id"] == brief_id and pushed["sender_id"] == "streamed" and "transcript" not in pushed


def test_a_visitor_who_wrote_after_the_handoff_waits_until_a_salesperson_writes_to_them(app, tracker):
    from bot.sales import inbox

    said(tracker, "nadia", at=time.time() - 60)  # the interview
    brief_id = handoff("nadia")  # a qualified handoff: nobody asked for a person
    handoff("quiet-one")
    assert live.unanswered(tracker) == {} and inbox.waiting(wrote={}) == []
    time.sleep(0.01)
    first = time.time()
    said(tracker, "nadia", at=first)
    said(tracker, "nadia", at=first + 0.001)
    wrote = live.unanswered(tracker)
    assert list(wrote) == [brief_id] and abs(unix(wrote[brief_id]) - first) < 0.01  # since the first
    [waiting] = inbox.waiting(wrote=wrote)
    assert (waiting["id"], waiting["wrote"], waiting["waited"]) == (brief_id, True, "0 min")

    time.sleep(0.01)
    inbox.record_message(brief_id, "Hi Nadia, Ann here", "ann@acme.io")
    assert live.unanswered(tracker) == {}  # answered
    time.sleep(0.01)
    said(tracker, "nadia")
    assert list(live.unanswered(tracker)) == [brief_id]  # writing again, waiting again
    inbox.set_status(brief_id, "contacted", "ann@acme.io")
    assert live.unanswered(tracker) == {}  # no longer an open brief


def test_a_page_that_stops_reading_has_its_stream_ended_not_its_news_piled_up(app):
    import asyncio

    from bot.web.live import Feed

    async def publish_past_a_full_queue():
        feed = Feed()
        stalled, reading = asyncio.Queue(maxsize=2), asyncio.Queue(maxsize=10)
        feed.pages.update({stalled, reading})
        for n in range(3):
            feed.publish("brief", {"id": n})
        await feed.close()
        drain = [stalled.get_nowait() for _ in range(stalled.qsize())]
        return drain, reading.qsize(), stalled in feed.pages

    assert asyncio.run(publish_past_a_full_queue()) == ([("end", {})], 3, False)  # the browser then reconnects


def test_a_visitor_on_the_page_and_gone_is_announced_for_each_of_their_briefs(app, tracker):
    import datetime as dt

    from bot.clock import utcnow
    from bot.store import presence

    def seen(found):
        return [(data["brief_id"], data["online"]) for kind, data in found if kind == "presence"]

    watch = live.start(tracker)
    first, second = handoff("lena"), handoff("lena")
    handoff("never-connected")
    assert seen(live.changes(watch, tracker)) == []  # the new briefs: their visitors' widgets never connected
    presence.opened("socket-1", "lena")
    presence.opened("socket-9", "no-brief")  # on the page, not handed over: nothing in the inbox to show it on
    assert seen(live.changes(watch, tracker)) == [(first, True), (second, True)]
    assert seen(live.changes(watch, tracker)) == []  # still there: no news
    presence.opened("socket-2", "lena")  # a second tab, then the first one closed
    presence.closed(["socket-1"])
    assert seen(live.changes(watch, tracker)) == []  # still on the page
    presence.closed(["socket-2"])
    assert seen(live.changes(watch, tracker)) == [(first, False), (second, False)]
    [state] = live.presence_of([{"id": first, "sender_id": "lena"}]).values()
    assert state["online"] is False and state["words"] == "last seen just now"
    later = dt.datetime.fromisoformat(state["last_seen"].rstrip("Z")) + dt.timedelta(minutes=7, seconds=30)
    assert live.presence_of([{"id": first, "sender_id": "lena"}], now=later)[first]["words"] == "last seen 7 min ago"

    presence.opened("socket-3", "lena")  # back, on a Rasa server that then stops without a word
    assert seen(live.changes(watch, tracker)) == [(first, True), (second, True)]
    presence.still_open([], now=utcnow() + presence.STALE + dt.timedelta(seconds=1))  # another server's beat
    assert seen(live.changes(watch, tracker)) == [(first, False), (second, False)]
    assert live.presence_of([{"id": 0, "sender_id": "never-connected"}]) == {}


def test_a_socket_a_server_still_holds_stays_on_the_page(app):
    import datetime as dt

    from bot.clock import utcnow
    from bot.store import presence

    presence.opened("held", "mira")
    presence.opened("lost", "omar")
    later = utcnow() + presence.STALE + dt.timedelta(seconds=1)
    presence.still_open(["held"], now=later)  # this server's beat: "held" is still connected
    states = presence.of(["mira", "omar"], now=later)
    assert states["mira"].online is True and states["omar"].online is False


def test_what_salespeople_do_to_a_brief_is_announced_with_its_status_and_holder(app, tracker):
    from bot.sales import accounts, inbox

    accounts.add_user("bob@acme.io", "correct horse battery")
    brief_id = handoff("pia")
    watch = live.start(tracker)
    inbox.claim(brief_id, "ann@acme.io")
    inbox.add_note(brief_id, "call after lunch", "ann@acme.io")  # notes stay on the brief page
    inbox.record_message(brief_id, "Hi Pia, Ann here", "ann@acme.io")
    inbox.reassign(brief_id, "bob@acme.io", "ann@acme.io")
    inbox.set_status(brief_id, "contacted", "bob@acme.io")
    inbox.release(brief_id, "bob@acme.io")
    updates = [(data["kind"], data["status"], data["claimed_by"]) for kind, data in live.changes(watch, tracker)
               if kind == "update"]
    assert updates == [(kind, "contacted", None) for kind in ("claimed", "message", "reassigned", "status", "released")]
    assert live.changes(watch, tracker) == []  # each once
    said(tracker, "pia")
    [(kind, data)] = live.changes(watch, tracker)
    assert kind == "message" and data["status"] == "contacted"  # closed: not waiting, whatever they write
