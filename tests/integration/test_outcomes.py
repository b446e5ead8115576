"""Outcomes over a seeded app database: closed briefs and nurtured visitors who bought later, on SQLite and
PostgreSQL, as `bot outcomes` prints them and the inbox shows them."""
import pytest

from bot import cli
from bot.sales import accounts, inbox, outcomes
from bot.store import briefs as store
from tests.helpers import Client

CHECKS_MET = {"struggle_described": True, "active_stage": True, "forces_favour_change": True, "change_needed": True}


def brief(sender, stage, email, checks, reason="qualified", push=2, url=None):
    """A stored brief with just what the outcomes read (written for this test, not by the conversation)."""
    fields = {"sender_id": sender, "handoff_reason": reason, "qualified": all(checks.values()),
              "buying_stage": stage, "struggle": "Our pick lists are printed and lost",
              "forces": {"push": {"rating": push, "evidence": []}, "pull": {"rating": 1, "evidence": []},
                         "anxiety": {"rating": 1, "evidence": []}, "habit": {"rating": 0, "evidence": []}},
              "reasons": [], "checks": checks, "contact": {"name": sender, "email": email, "company": None},
              "headline": sender, "summary": sender, "suggested_questions": [], "transcript": []}
    return store.save_handoff(fields, url=url)


def seed(url):
    """40 closed briefs in which being actively looking does not tell won from lost (10 of 20 won either way)
    but the push does (rating 3: 15 of 20 won, rating 1: 5 of 20), two open briefs (not outcomes), and a
    nurtured visitor who bought later."""
    for n in range(40):
        active = n % 2 == 0
        strong = n < 20
        won = n < 15 if strong else n >= 35  # active: 8 + 2 won, passive: 7 + 3
        brief_id = brief(f"closed-{n}", "active_looking" if active else "passive_looking", f"v{n}@shop.example",
                         {**CHECKS_MET, "active_stage": active}, push=3 if strong else 1, url=url)
        inbox.set_status(brief_id, "won" if won else "lost", "ann@acme.io", url=url)
    brief("open-1", "deciding", "open1@shop.example", CHECKS_MET, url=url)
    brief("open-2", "deciding", "open2@shop.example", CHECKS_MET, reason="visitor_requested_human", url=url)
    store.save_lead("nurtured-then-bought", "nurture", "first_thought", False, {"email": "Rita@Bakery.example"},
                    checks={**CHECKS_MET, "struggle_described": False, "active_stage": False}, url=url)
    store.save_lead("nurtured-never-back", "nurture", "first_thought", False, {"email": "tom@bakery.example"},
                    url=url)
    later = brief("came-back", "deciding", "rita@bakery.example", CHECKS_MET, url=url)
    inbox.set_status(later, "won", "ann@acme.io", url=url)


@pytest.fixture
def seeded(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    seed(database_url)
    return database_url


def test_the_seeded_outcomes_give_the_expected_table(seeded):
    found = outcomes.report(seeded)
    rows = {(row.group, row.value): (row.won, row.n) for row in found.rows}
    assert (found.outcomes, found.won) == (42, 22)  # 40 closed, "came back" won, Rita nurtured then won
    assert rows[("buying stage", "active_looking")] == (10, 20)
    assert rows[("buying stage", "passive_looking")] == (10, 20)
    assert rows[("buying stage", "deciding")] == (1, 1)
    assert rows[("buying stage", "first_thought")] == (1, 1)
    assert rows[("push rating", "3")] == (15, 20) and rows[("push rating", "1")] == (5, 20)
    assert rows[("handoff reason", "nurtured, bought later")] == (1, 1)
    assert ("handoff reason", "visitor_requested_human") not in rows  # still open: not an outcome
    assert rows[("check: actively looking or deciding", "met")] == (11, 21)
    assert rows[("check: actively looking or deciding", "not met")] == (11, 21)
    assert rows[("check: described a concrete struggle", "not met")] == (1, 1)
    # Being active does not separate; one unmet struggle check, or none at all, cannot show that the others do.
    assert found.weak == ["described a concrete struggle", "actively looking or deciding",
                          "push + pull outweigh anxiety + habit", "doing nothing is not fine with them"]


def test_bot_outcomes_prints_the_table_and_the_flags(seeded, capsys):
    assert cli.main(["outcomes"]) == 0
    printed = capsys.readouterr().out
    assert "42 outcomes (22 won)" in printed
    assert any(line.split()[:2] == ["push", "rating"] and line.split()[-4:-1] == ["15", "20", "75%"]
               for line in printed.splitlines())
    assert "Checks that do not separate won from lost" in printed and "  - actively looking or deciding" in printed


def test_the_inbox_shows_the_outcomes_to_a_salesperson(web_app, app_database):
    seed(app_database)
    accounts.add_user("ann@acme.io", "correct horse battery")
    client = Client(web_app)
    assert client.request("GET", "/inbox/outcomes")[1].endswith("/login?next=/inbox/outcomes")  # signed in only
    client.sign_in()
    status, _, page = client.request("GET", "/inbox/outcomes")
    assert status == 200 and "42 outcomes, 22 won" in page
    assert "<li>actively looking or deciding</li>" in page
    assert "<td>push rating</td><td>3</td> <td>15</td><td>20</td><td>75%</td> <td>57–87%</td>" in " ".join(
        page.split())
