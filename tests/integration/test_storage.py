import datetime as dt

import pytest

from bot.conversation import brief
from bot.conversation.qualify import assess
from bot.store import briefs as store
from bot.store.engine import engine

ANSWERS = {
    "struggle": 'Our "invoices" <script>alert(1)</script> go out late',
    "situation": "last week we lost a client",
    "current_solution": "Excel",
    "desired_progress": "close the month in 2 days",
    "trigger": "our CFO quit",
    "timeline": "by end of January",
    "anxieties": "data migration",
    "cost_of_inaction": None,
}


def fields(sender_id, contact=None, reason="qualified"):
    return brief.build(sender_id, ANSWERS, assess(ANSWERS, dt.date(2026, 11, 26)), reason, contact,
                       [{"event": "user", "text": ANSWERS["struggle"], "timestamp": 1790000000.0}])


def test_a_handoff_stores_the_brief_and_its_lead_and_reads_back_exactly(database_url):
    contact = {"name": "Ann O'Neil", "email": "ann@acme.io", "company": "Acme & Sons"}
    brief_id = store.save_handoff(fields("visitor-1", contact), url=database_url)
    stored = store.get_brief(brief_id, url=database_url)
    assert stored["status"] == "new" and stored["sender_id"] == "visitor-1"
    assert stored["struggle"] == ANSWERS["struggle"]
    assert stored["cost_of_inaction"] is None
    assert stored["contact"] == contact
    assert stored["transcript"] == [{"speaker": "visitor", "text": ANSWERS["struggle"], "at": "2026-09-21T14:13:20Z"}]
    assert stored["created_at"].endswith("Z")
    assert store.get_lead("visitor-1", url=database_url)["status"] == "handed_off"


def test_briefs_are_listed_newest_first_and_filtered(database_url):
    first = store.save_handoff(fields("a"), url=database_url)
    second = store.save_handoff(fields("b", reason="visitor_requested_human"), url=database_url)
    assert [b["id"] for b in store.list_briefs(url=database_url)] == [second, first]
    assert [b["id"] for b in store.list_briefs(sender_id="a", url=database_url)] == [first]
    assert store.list_briefs(status="closed", url=database_url) == []
    assert store.get_brief(999, url=database_url) is None


def test_a_lead_without_handoff_is_stored_once_per_visitor(database_url):
    first = store.save_lead("early", "nurture", "passive_looking", False, url=database_url)
    again = store.save_lead("early", "nurture", "first_thought", False, url=database_url)
    assert first == again
    assert store.get_lead("early", url=database_url) == {
        "id": first, "sender_id": "early", "status": "nurture", "buying_stage": "first_thought", "qualified": False,
        "contact": {"name": None, "email": None, "company": None}}
    store.save_lead("early", "nurture", "first_thought", False, contact={"name": "Jo", "email": "jo@acme.io",
                                                                         "company": None}, url=database_url)
    assert store.get_lead("early", url=database_url)["contact"] == {"name": "Jo", "email": "jo@acme.io",
                                                                      "company": None}
    assert store.list_briefs(url=database_url) == []


def test_a_failed_handoff_stores_nothing(database_url):
    broken = {**fields("half"), "buying_stage": None}  # violates NOT NULL: the transaction must roll back
    with pytest.raises(Exception):
        store.save_handoff(broken, url=database_url)
    assert store.get_lead("half", url=database_url) is None


def test_an_unreachable_database_fails_fast_with_a_clear_message():
    from bot.store.engine import DatabaseUnreachable

    hidden = r"postgresql://nobody:\*\*\*@127.0.0.1:1/x"
    with pytest.raises(DatabaseUnreachable, match=rf"Cannot reach the app database at {hidden}: OperationalError"):
        engine("postgresql://nobody:secret@127.0.0.1:1/x")


def test_a_database_from_an_earlier_version_gets_the_new_columns_and_keeps_its_rows(tmp_path):
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url, future=True)
    with old.begin() as connection:
        connection.execute(text("CREATE TABLE leads (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL UNIQUE, "
                                "status VARCHAR(32) NOT NULL, created_at DATETIME NOT NULL, "
                                "updated_at DATETIME NOT NULL)"))
        connection.execute(text("INSERT INTO leads VALUES (1, 'old-visitor', 'nurture', '2026-01-01 00:00:00', "
                                "'2026-01-01 00:00:00')"))
    old.dispose()
    assert store.get_lead("old-visitor", url=url)["status"] == "nurture"
    brief_id = store.save_handoff(fields("new-visitor"), url=url)
    assert store.get_brief(brief_id, url=url)["page_url"] is None


def test_pages_go_newest_first_by_time_then_id_and_back_again(database_url, monkeypatch):
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from bot.store.models import Brief

    ids = [store.save_handoff(fields(f"v-{n}"), url=database_url) for n in range(5)]
    at, hour = dt.datetime(2026, 11, 26, 12), dt.timedelta(hours=1)
    moments = {ids[0]: at, ids[1]: at, ids[2]: at - hour, ids[3]: at, ids[4]: at - 24 * hour}
    with Session(engine(database_url), future=True) as session, session.begin():
        for brief_id, moment in moments.items():
            session.execute(update(Brief).where(Brief.id == brief_id).values(created_at=moment))
    newest_first = [ids[3], ids[1], ids[0], ids[2], ids[4]]  # same moment: the higher id first
    pages, after = [], None
    while True:
        page = store.page(after=after, limit=2, url=database_url)
        pages.append([b["id"] for b in page.briefs])
        if page.older is None:
            break
        after = page.older
    assert pages == [newest_first[:2], newest_first[2:4], newest_first[4:]]
    back = store.page(before=page.newer, limit=2, url=database_url)
    assert [b["id"] for b in back.briefs] == newest_first[2:4] and back.older == newest_first[3]
    assert [b["id"] for b in store.page(before=back.newer, limit=2, url=database_url).briefs] == newest_first[:2]
    monkeypatch.setattr(store, "CHUNK", 3)
    assert len(store.page(limit=1000, url=database_url).briefs) == 3  # asking for more gets the cap
    assert store.page(after=999999, url=database_url).briefs == []


def test_search_words_must_all_appear_in_the_name_company_or_struggle(database_url):
    contact = {"name": "Ann O'Neil", "email": "ann@acme.io", "company": "Acme & Sons 100% MÜLLER"}
    found = store.save_handoff(fields("visitor-1", contact), url=database_url)
    store.save_handoff(fields("visitor-2", {"name": "Bo", "email": "bo@x.io", "company": "Northwind"}),
                       url=database_url)

    def search(words):
        return [b["id"] for b in store.page(words=words, full=False, url=database_url).briefs]

    assert search("o'neil INVOICES") == [found] and search("sons 100%") == [found]
    assert search("müller") == [found]  # any letter's case, not ASCII only
    assert search("acme northwind") == [] and search("_") == [] and search("%%") == []
    assert len(search("late")) == 2  # both struggles
