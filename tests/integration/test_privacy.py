"""A visitor's personal data: exported and erased on request (`bot visitors`), deleted after RETENTION_DAYS
(by the web app's worker), and salespeople's accounts removed (`bot users remove`)."""
import datetime as dt
import io
import json
import logging
import time

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, insert, select, update
from sqlalchemy.orm import Session

from bot import cli, config
from bot.clock import utcnow
from bot.conversation import brief
from bot.conversation.qualify import assess
from bot.sales import accounts, inbox, notify
from bot.store import briefs as store
from bot.store import pending, presence, privacy
from bot.store.engine import engine
from bot.store.models import Brief, Delivery, Lead, SignIn, User, WidgetSocket
from tests.helpers import FakeSlack
from tests.integration.test_inbox import PASSWORD, Client

# Rasa's SQLTrackerStore table, as Rasa 3.6 creates it.
EVENTS = Table("events", MetaData(), Column("id", Integer, primary_key=True),
               Column("sender_id", String(255), nullable=False, index=True),
               Column("type_name", String(255), nullable=False), Column("timestamp", Float),
               Column("intent_name", String(255)), Column("action_name", String(255)), Column("data", Text))

MARIA = {"name": "Maria Gonzalez", "email": "Maria@BrightDental.com", "company": "Bright Dental"}
MARIA_SAID = "three people edit the same spreadsheet and invoices go out late"
# What must be found nowhere once Maria is erased (compared in lower case).
MARIA_TRACES = ("maria gonzalez", "maria@brightdental.com", "bright dental", "three people edit the same spreadsheet")
TOM = {"name": "Tom Baker", "email": "tom@northwind.com", "company": "Northwind"}
TOM_SAID = "dispatch double books our trucks every monday"
DAY = 86400


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request, tmp_path, monkeypatch, make_postgres_database):
    """The app database and Rasa's tracker database, both on SQLite or both on PostgreSQL, as the CLI reads them."""
    if request.param == "sqlite":
        app_url, tracker_url = f"sqlite:///{tmp_path / 'app.db'}", f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        app_url, tracker_url = make_postgres_database(), make_postgres_database()
    monkeypatch.setenv("DATABASE_URL", app_url)
    monkeypatch.setenv("TRACKER_DB_URL", tracker_url)
    return app_url, tracker_url


def chat(sender, said, contact=None, at=None):
    """A conversation as Rasa stores it: the visitor says `said`, then gives their contact details; returns
    its events."""
    events = [{"event": "user", "text": "hi", "metadata": {"page_url": f"https://acme.test/pricing?from={sender}"}},
              {"event": "bot", "text": "What's going on that brought you here today?"},
              {"event": "user", "text": said}]
    for slot, value in (contact or {}).items():
        events += [{"event": "bot", "text": f"What's your {slot}?"}, {"event": "user", "text": value},
                   {"event": "slot", "name": slot, "value": value}]
    start = at or time.time()
    for second, event in enumerate(events):
        event["timestamp"] = start + second
    tracker = create_engine(config.tracker_db_url(), future=True)
    EVENTS.metadata.create_all(tracker)
    with tracker.begin() as connection:
        connection.execute(insert(EVENTS), [{"sender_id": sender, "type_name": e["event"], "timestamp": e["timestamp"],
                                             "data": json.dumps(e)} for e in events])
    tracker.dispose()
    return events


def hand_off(sender, said, contact, created_at=None):
    """A conversation handed to a salesperson, who wrote a note about the visitor; returns the brief's id."""
    answers = {"struggle": said, "trigger": "our CFO quit", "timeline": "by friday", "cost_of_inaction": said}
    events = chat(sender, said, contact, at=created_at and created_at.replace(tzinfo=dt.timezone.utc).timestamp())
    brief_id = store.save_handoff(brief.build(sender, answers, assess(answers, dt.date(2026, 11, 26)), "qualified",
                                              contact, events))
    inbox.add_note(brief_id, f"Called {contact['name']}, wants a demo", "ann@acme.io")
    if created_at:
        with Session(engine(), future=True) as session, session.begin():
            session.execute(update(Brief).where(Brief.id == brief_id).values(created_at=created_at))
            session.execute(update(Lead).where(Lead.sender_id == sender).values(updated_at=created_at))
    return brief_id


def maria_and_tom():
    """Maria: a handoff, a conversation where she gave her email and left, and a nurture lead; Tom: a handoff."""
    maria = hand_off("s-1", MARIA_SAID, MARIA)
    chat("s-2", "just looking at invoicing tools", {"email": "maria@brightdental.com"})
    chat("s-3", "we might need this next year")
    store.save_lead("s-3", "nurture", "first_thought", False, {**MARIA, "email": "MARIA@brightdental.com"})
    tom = hand_off("s-tom", TOM_SAID, TOM)
    return maria, tom


def stored_text(url):
    """Every value in every table of a database, as lower-case text."""
    database = create_engine(url, future=True)
    tables = MetaData()
    tables.reflect(bind=database)
    with database.connect() as connection:
        text = " ".join(str(value) for table in tables.sorted_tables
                        for row in connection.execute(select(table)) for value in row)
    database.dispose()
    return text.lower()


def run(capsys, *argv):
    """`bot ARGV...` in this process: (exit code, stdout, stderr)."""
    try:
        code = cli.main(list(argv))
    except SystemExit as exit_:  # argparse's errors
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_a_visitor_is_exported_by_email_in_any_case_or_by_sender_id(databases, capsys, monkeypatch):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    maria, _ = maria_and_tom()
    code, out, _ = run(capsys, "visitors", "export", "--email", " MARIA@brightdental.COM ")
    assert code == 0
    visitors = {visitor["sender_id"]: visitor for visitor in json.loads(out)["visitors"]}
    assert list(visitors) == ["s-1", "s-2", "s-3"]  # the handoff, the email in a conversation, the lead
    [handed_off] = visitors["s-1"]["briefs"]
    assert handed_off["id"] == maria and handed_off["contact"] == MARIA
    assert MARIA_SAID in [line["text"] for line in handed_off["transcript"]]
    assert handed_off["history"][0]["detail"] == "Called Maria Gonzalez, wants a demo"
    assert [(n["channel"], n["delivered_at"]) for n in handed_off["notifications"]] == [("slack", None)]
    assert MARIA_SAID in [event.get("text") for event in visitors["s-1"]["conversation"]]
    assert visitors["s-1"]["lead"]["email"] == MARIA["email"]
    assert visitors["s-2"]["lead"] is None and visitors["s-2"]["conversation"][-1]["value"] == "maria@brightdental.com"
    assert visitors["s-3"]["lead"]["status"] == "nurture" and visitors["s-3"]["briefs"] == []
    assert "Tom" not in out and TOM_SAID not in out

    code, out, _ = run(capsys, "visitors", "export", "--sender", "s-tom")
    assert code == 0 and [v["sender_id"] for v in json.loads(out)["visitors"]] == ["s-tom"]
    assert "Maria" not in out


def test_a_visitor_is_found_by_an_email_held_in_any_one_place(databases):
    store.save_lead("by-lead", "nurture", "first_thought", False, {"email": "Ann@x.io"})
    chat("by-conversation", "just looking", {"email": "ANN@x.io"})
    answers = {"struggle": "late invoices"}
    store.save_handoff(brief.build("by-brief", answers, assess(answers, dt.date(2026, 11, 26)), "qualified",
                                   {"email": "ann@X.io"}, []))
    store.save_lead("by-brief", "handed_off", "first_thought", False, {"email": "ann@elsewhere.io"})  # gave another
    chat("other", "just looking", {"email": "nan@x.io"})
    assert privacy.senders_with_email("ann@x.io") == ["by-brief", "by-conversation", "by-lead"]


def test_erasing_a_visitor_leaves_nothing_of_theirs_in_either_database(databases, capsys, monkeypatch):
    slack = FakeSlack()
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.url)
    maria, tom = maria_and_tom()
    tom_before = privacy.export(["s-tom"])
    for url in databases:  # the search below finds what is there
        assert [trace for trace in MARIA_TRACES if trace in stored_text(url)] == list(MARIA_TRACES)

    # A second handoff of hers waits on disk for the database (bot/store/pending.py); Tom's too.
    waiting = pending.keep({"sender_id": "s-2", "struggle": "three people edit the same spreadsheet"})
    toms = pending.keep({"sender_id": "s-tom", "struggle": TOM_SAID})
    presence.opened("maria-tab", "s-1")  # when she was on the page goes too
    presence.opened("tom-tab", "s-tom")
    code, out, _ = run(capsys, "visitors", "erase", "--email", "maria@brightdental.com", "--yes")
    assert code == 0 and ("Erased conversation events: 21, briefs: 1, leads: 2, notes and messages: 1, "
                          "notifications cancelled: 1, briefs waiting on disk: 1.") in out
    assert not waiting.exists() and toms.exists()
    assert privacy.export(["s-tom"]) == tom_before
    assert list(presence.of(["s-1", "s-tom"])) == ["s-tom"]

    # Her notification, not sent yet, never goes out; Tom's does.
    assert notify.deliver_due() == 1
    slack.server.shutdown()
    assert [f"#{tom}>" in message["text"] for message in slack.received] == [True]
    for url in databases:
        assert [trace for trace in MARIA_TRACES if trace in stored_text(url)] == []

    tombstone = store.get_brief(maria)
    assert tombstone["summary"] == tombstone["headline"] == f"Erased on {utcnow().date()} at the visitor's request."
    assert tombstone["status"] == "erased" and tombstone["contact"] is None and tombstone["transcript"] == []
    assert all(force["evidence"] == [] for force in tombstone["forces"].values())
    assert tombstone["struggle"] is None and tombstone["suggested_questions"] == [] and tombstone["page_url"] is None
    assert store.get_lead("s-3") is None  # a lead without a brief goes entirely
    assert run(capsys, "visitors", "export", "--email", "maria@brightdental.com")[0] == 1  # nothing left to find


def test_erasing_asks_first_and_an_answer_other_than_yes_keeps_everything(databases, capsys, monkeypatch):
    hand_off("s-tom", TOM_SAID, TOM)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, out, _ = run(capsys, "visitors", "erase", "--sender", "s-tom")
    assert code == 1 and "s-tom: conversation events: 12, briefs: 1, lead: yes" in out and "Nothing erased." in out
    assert store.get_lead("s-tom")["contact"] == TOM
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    code, out, _ = run(capsys, "visitors", "erase", "--sender", "s-tom")
    assert code == 0 and "Erased conversation events: 12, briefs: 1" in out
    assert store.get_lead("s-tom")["contact"] == {"name": None, "email": None, "company": None}


@pytest.mark.parametrize("argv, message", [
    (["visitors", "export"], "one of the arguments --email --sender is required"),
    (["visitors", "erase", "--yes"], "one of the arguments --email --sender is required"),
    (["visitors", "erase", "--email", "a@b.io", "--sender", "s-1"], "not allowed with argument"),
    (["visitors", "export", "--email", "maria"], "'maria' is not an email address"),
    (["visitors", "erase", "--sender", " ", "--yes"], "--sender needs a sender id"),
    (["visitors", "export", "--email", "nobody@acme.io"], "nothing is held about nobody@acme.io"),
    (["visitors", "erase", "--sender", "s-404", "--yes"], "nothing is held about sender id 's-404'"),
    (["users", "remove", "nobody@acme.io"], "There is no salesperson 'nobody@acme.io'"),
])
def test_bad_input_gets_a_clear_error_and_no_traceback(app_database, capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code in (1, 2) and message in err and "Traceback" not in out + err


def test_an_unreachable_database_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/app")
    code, _, err = run(capsys, "visitors", "export", "--email", "maria@brightdental.com")
    assert code == 1 and err.startswith("error: Cannot reach the app database at postgresql://nobody@127.0.0.1:1/app")


def test_the_inbox_shows_an_erased_brief(web_app, capsys):
    accounts.add_user("ann@acme.io", PASSWORD)
    maria = hand_off("s-1", MARIA_SAID, MARIA)
    assert run(capsys, "visitors", "erase", "--sender", "s-1", "--yes")[0] == 0
    client = Client(web_app)
    status, _, page = client.sign_in()
    assert status == 200 and f"#{maria}" in page and "erased" in page
    for path in (f"/inbox/briefs/{maria}", f"/inbox/briefs/{maria}/print"):
        status, _, page = client.request("GET", path)
        assert status == 200 and "Erased on" in page and "Maria" not in page
    status, _, csv_text = client.request("GET", "/inbox/briefs.csv")
    assert status == 200 and "Erased on" in csv_text and "Maria" not in csv_text


def old_brief(sender, days_ago, now):
    return hand_off(sender, TOM_SAID, TOM, created_at=now - dt.timedelta(days=days_ago))


def test_retention_deletes_conversations_and_briefs_older_than_the_limit(databases, monkeypatch):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    now = utcnow()
    epoch = now.replace(tzinfo=dt.timezone.utc).timestamp()
    expired = old_brief("s-old", 40, now)
    chat("s-back", "we talked in spring", at=epoch - 40 * DAY)
    chat("s-back", "and again this week", at=epoch - 2 * DAY)  # came back: the whole conversation is kept
    store.save_lead("s-nurture-old", "nurture", "first_thought", False, TOM)
    with Session(engine(), future=True) as session, session.begin():
        session.execute(update(Lead).where(Lead.sender_id == "s-nurture-old").values(
            updated_at=now - dt.timedelta(days=31)))
    kept = old_brief("s-recent", 29, now)
    presence.opened("old-tab", "s-old")
    presence.opened("recent-tab", "s-recent")
    with Session(engine(), future=True) as session, session.begin():
        session.execute(update(WidgetSocket).where(WidgetSocket.socket == "old-tab").values(
            seen_at=now - dt.timedelta(days=40)))

    assert privacy.delete_expired(30, now=now) == {"briefs": 1, "leads": 2, "conversations": 1,
                                                    "conversation events": 12}
    assert [b["id"] for b in store.list_briefs()] == [kept] and store.get_brief(expired) is None
    assert store.get_lead("s-old") is None and store.get_lead("s-nurture-old") is None
    assert inbox.history(expired) == [] and inbox.history(kept) != []
    with Session(engine(), future=True) as session:
        assert session.execute(select(Delivery.brief_id)).scalars().all() == [kept]
    tracker = create_engine(databases[1], future=True)
    with tracker.connect() as connection:
        senders = connection.execute(select(EVENTS.c.sender_id).distinct()).scalars().all()
    tracker.dispose()
    assert sorted(senders) == ["s-back", "s-recent"]
    assert list(presence.of(["s-old", "s-recent"], now=now)) == ["s-recent"]
    assert privacy.delete_expired(30, now=now) == {"briefs": 0, "leads": 0, "conversations": 0,
                                                    "conversation events": 0}


@pytest.fixture
def expired_brief(app_database, monkeypatch, caplog):
    """Set before the web app starts: a brief of 40 days ago, with a retention of 30 days."""
    caplog.set_level(logging.INFO, logger="bot.web.app")
    monkeypatch.setenv("RETENTION_DAYS", "30")
    monkeypatch.setenv("TRACKER_DB_URL", app_database.replace("app.db", "tracker.db"))  # as web_app sets it
    return old_brief("s-old", 40, utcnow())


def test_the_web_app_deletes_expired_briefs_at_most_once_an_hour(expired_brief, web_app, caplog):
    def logged():
        return [r.getMessage() for phase in ("setup", "call") for r in caplog.get_records(phase)  # it may run first
                if r.getMessage().startswith("Retention of")]

    deadline = time.monotonic() + 20
    while not logged() and time.monotonic() < deadline:  # the whole run, conversations included, is over
        time.sleep(0.2)
    assert store.get_brief(expired_brief) is None
    later = old_brief("s-old-2", 40, utcnow())
    time.sleep(5)  # the worker goes round every two seconds
    assert store.get_brief(later) is not None
    assert logged() == ["Retention of 30 days deleted conversations: 1, conversation events: 12, briefs: 1, leads: 1"]


def test_a_removed_salesperson_is_signed_out_and_cannot_sign_in(web_app, capsys):
    accounts.add_user("ann@acme.io", PASSWORD)
    accounts.add_user("bob@acme.io", PASSWORD)
    ann, bob = Client(web_app), Client(web_app)
    assert ann.sign_in()[1].endswith("/inbox") and bob.sign_in("bob@acme.io")[1].endswith("/inbox")
    code, out, _ = run(capsys, "users", "remove", " Ann@Acme.io")
    assert code == 0 and "ann@acme.io is removed" in out
    assert ann.request("GET", "/inbox")[1].endswith("/login?next=/inbox")
    assert Client(web_app).sign_in()[0] == 401
    assert bob.request("GET", "/inbox")[1].endswith("/inbox")
    code, _, err = run(capsys, "users", "remove", "ann@acme.io")
    assert code == 1 and "There is no salesperson 'ann@acme.io'" in err


def test_removing_a_signed_in_salesperson_works_on_both_databases(database_url):
    accounts.add_user("ann@acme.io", PASSWORD, url=database_url)
    with Session(engine(database_url), future=True) as session, session.begin():
        session.add(SignIn(token_hash="0" * 64, user_id=session.execute(select(User.id)).scalar_one(),
                           csrf_token="csrf", expires_at=utcnow() + dt.timedelta(hours=1)))
    accounts.remove_user("Ann@acme.io", url=database_url)  # PostgreSQL refuses to orphan a session
    with Session(engine(database_url), future=True) as session:
        assert session.execute(select(User)).all() == [] and session.execute(select(SignIn)).all() == []
