"""Trainer tools on a tracker store seeded the way Rasa writes it."""
import datetime as dt

import pytest
import yaml

from bot.conversation import brief
from bot.conversation.qualify import assess
from bot.store import briefs as store
from bot.store import conversations
from bot.trainer import review
from tests.helpers import ANSWERS, handoff, seed_tracker


def user(text, intent, confidence, ranking=None, **metadata):
    return {"event": "user", "text": text, "metadata": metadata,
            "parse_data": {"intent": {"name": intent, "confidence": confidence},
                           "intent_ranking": ranking or [{"name": intent, "confidence": confidence}]}}


def seed(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    seed_tracker(url, [
        ("early", "user", user("/greet", "greet", 1.0, widget_opened=True)),
        ("early", "user", user("we keep losing orders", "inform", 0.97)),
        ("early", "slot", {"event": "slot", "name": "requested_slot", "value": "situation"}),
        ("early", "user", user("bleep bloop", "nlu_fallback", 0.31,
                               [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "out_of_scope",
                                                                               "confidence": 0.31}])),
        ("early", "action", {"event": "action", "name": "utter_out_of_scope"}),
        ("handed", "user", user("get me a person", "request_human", 0.99)),
        ("handed", "user", user("pricing for 20 people", "ask_pricing", 0.45,
                                [{"name": "ask_pricing", "confidence": 0.45}, {"name": "inform", "confidence": 0.4}])),
    ])
    return url


def test_conversations_are_listed_with_their_outcome_and_filtered(app_database, tmp_path):
    url = seed(tmp_path)
    handoff("handed")
    found = {c.sender_id: c for c in conversations.conversations(tracker_url=url)}
    assert found["early"].outcome == "dropped_at:situation" and found["early"].fallbacks == 2
    assert found["early"].messages == 2  # the widget's greeting request is not the visitor's
    assert found["handed"].outcome == "handed_off"
    assert [c.sender_id for c in conversations.conversations(outcome="fallback", tracker_url=url)] == ["early"]
    assert [c.sender_id for c in conversations.conversations(outcome="dropped", tracker_url=url)] == ["early"]
    assert conversations.conversations(since=dt.date(2999, 1, 1), tracker_url=url) == []


def reviewed(tmp_path):
    """Conversations where confident readings went wrong (a request for a person read as "are you a bot?" and
    repeated, a permit struggle read as out of scope and asked again, a prospect read as a customer and sent to
    support), a German visitor who left after a misreading, and contact answers stored as they should be although
    NLU was unsure of them."""
    from bot.conversation import product

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    events = []
    for n in range(3):
        sender = f"wants-a-person-{n}"
        events += [(sender, "slot", asked("situation"))]
        for _ in range(2):
            events += [(sender, "user", user("can I just talk to a real person now?", "ask_is_bot", 0.89)),
                       (sender, "bot", said_by_bot("Yes, I'm a bot.")), (sender, "slot", asked("situation"))]
    events += [("permit", "slot", asked("struggle")),
               ("permit", "user", user("permits for our food trucks take months", "out_of_scope", 0.83)),
               ("permit", "action", {"event": "action", "name": "utter_out_of_scope"}),
               ("permit", "slot", asked("struggle")),
               ("prospect", "slot", asked("situation")),
               ("prospect", "user", user("our old booking tool logs everyone out", "existing_customer", 0.88)),
               ("prospect", "bot", said_by_bot(product.answer("existing_customer"), sent_to_support=True)),
               ("german", "slot", asked("struggle")),
               ("german", "user", user("können Sie mich zurückrufen? Grüße, Jürgen", "greet", 0.41)),
               ("german", "slot", {"event": "slot", "name": "struggle", "value": None}),
               ("german", "slot", asked("struggle")),
               ("german", "bot", said_by_bot("What's going on that brought you here today?"))]
    for n in range(4):  # names the contact form stored: whatever NLU made of them, they went right
        sender = f"named-{n}"
        events += [(sender, "slot", asked("name")), (sender, "user", user("Jonas Müller", "greet", 0.38)),
                   (sender, "slot", {"event": "slot", "name": "name", "value": "Jonas Müller"}),
                   (sender, "slot", asked("company")), (sender, "bot", said_by_bot("And which company?")),
                   (sender, "user", user("Müller Logistik", "inform", 0.91)),
                   (sender, "slot", {"event": "slot", "name": "company", "value": "Müller Logistik"})]
    seed_tracker(url, events)
    return url


def test_review_shows_the_confident_mistakes_merged_and_not_the_answers_stored_as_they_should_be(tmp_path):
    url = reviewed(tmp_path)
    found = {finding.text: finding for finding in review.findings(tracker_url=url)}
    assert set(found) == {"can I just talk to a real person now?", "permits for our food trucks take months",
                          "our old booking tool logs everyone out", "können Sie mich zurückrufen? Grüße, Jürgen"}
    person = found["can I just talk to a real person now?"]
    assert (person.count, person.confidence, person.reasons) == (3, 0.89, ["visitor repeated it"])
    assert found["permits for our food trucks take months"].reasons == ["fallback", "re-asked"]
    assert found["our old booking tool logs everyone out"].reasons == ["sent to support"]
    assert found["können Sie mich zurückrufen? Grüße, Jürgen"].reasons == ["low confidence", "re-asked",
                                                                           "visitor left"]
    groups = review.review(tracker_url=url)
    assert list(groups)[0] == "ask_is_bot"  # the biggest group first: three conversations


def test_review_findings_become_nlu_examples_that_read_back_as_typed(tmp_path):
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    url = reviewed(tmp_path)
    text = review.nlu_examples(review.findings(tracker_url=url))
    assert "\\u" not in text and "Grüße, Jürgen" in text  # UTF-8 as typed, no escapes to become training data
    data = yaml.safe_load(text)
    assert {block["intent"] for block in data["nlu"]} == {"ask_is_bot", "out_of_scope", "existing_customer", "greet"}
    read = RasaYAMLReader().reads(text)
    assert sorted(example.get("text") for example in read.training_examples) == sorted([
        "can I just talk to a real person now?", "permits for our food trucks take months",
        "our old booking tool logs everyone out", "können Sie mich zurückrufen? Grüße, Jürgen"])
    one = review.nlu_examples(review.findings(sender_id="german", tracker_url=url))
    assert [example.get("text") for example in RasaYAMLReader().reads(one).training_examples] == [
        "können Sie mich zurückrufen? Grüße, Jürgen"]


def test_the_readable_transcript_shows_intents_confidences_and_slots(tmp_path):
    url = seed(tmp_path)
    [early] = conversations.conversations(sender_id="early", tracker_url=url, url=f"sqlite:///{tmp_path / 'a.db'}")
    lines = review.readable(early)
    assert "visitor: we keep losing orders    [inform 0.97]" in lines
    assert "    action utter_out_of_scope" in lines and not any("/greet" in line for line in lines)
    assert '    slot requested_slot = "situation"' not in lines  # the form's bookkeeping is left out


def asked(question):
    return {"event": "slot", "name": "requested_slot", "value": question}


def said_by_bot(text, **metadata):
    return {"event": "bot", "text": text, "metadata": metadata}


def troubled(tmp_path):
    """A loop, prospects sent to support (flagged, and from before the flag), a customer sent to support before any
    interview question, contact details that reached nothing, a skipped email, handoffs with and without a way to
    reach the visitor, and one that went well."""
    from bot.conversation import product

    support = product.answer("existing_customer")
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    events = [("looper", "user", user("we lose parcels", "inform", 0.98)), ("looper", "slot", asked("situation"))]
    for text in ("can I just talk to a real person now?", "a person please", "hello??"):
        events += [("looper", "user", user(text, "ask_is_bot", 0.89)), ("looper", "slot", asked("situation"))]
    for sender, flagged in (("misread-prospect", True), ("misread-before-the-flag", False)):
        events += [(sender, "user", user("our field techs double book", "inform", 0.97)),
                   (sender, "slot", asked("situation")),
                   (sender, "user", user("our current scheduling app keeps crashing", "existing_customer", 0.88)),
                   (sender, "bot", said_by_bot(support, **({"sent_to_support": True} if flagged else {})))]
    events += [("customer", "user", user("I can't log in to my account", "existing_customer", 0.97)),
               ("customer", "bot", said_by_bot(support, sent_to_support=True)),
               ("gave-email", "user", user("invoices pile up", "inform", 0.95)),
               ("gave-email", "slot", {"event": "slot", "name": "email", "value": "maria@brightdental.com"}),
               ("gave-email", "slot", asked("company")),
               ("skipped-email", "user", user("invoices pile up", "inform", 0.95)),
               ("skipped-email", "slot", {"event": "slot", "name": "email", "value": "skip"}),
               ("unreachable", "user", user("get me a person", "request_human", 0.99)),
               ("reachable", "user", user("get me a person", "request_human", 0.99)),
               ("went-well", "user", user("we double book rooms", "inform", 0.97)),
               ("went-well", "slot", asked("situation")),
               ("went-well", "user", user("yesterday, twice", "inform", 0.96))]
    seed_tracker(url, events)
    store.save_handoff(brief.build("unreachable", ANSWERS, assess(ANSWERS), "visitor_requested_human", None, []))
    for sender in ("reachable", "went-well"):
        store.save_handoff(brief.build(sender, ANSWERS, assess(ANSWERS), "qualified",
                                       {"name": "Kim", "email": "kim@brightdental.com", "company": "Bright"}, []))
    return url


@pytest.mark.parametrize("outcome, expected", [
    ("repeated_question", {"looper"}),
    ("sent_to_support", {"misread-prospect", "misread-before-the-flag"}),
    ("contact_without_brief", {"gave-email"}),
    ("handoff_without_contact", {"unreachable"}),
    ("handed_off", {"unreachable", "reachable", "went-well"}),
])
def test_each_failure_outcome_lists_exactly_the_conversations_where_it_happened(app_database, tmp_path, outcome,
                                                                               expected):
    url = troubled(tmp_path)
    assert {c.sender_id for c in conversations.conversations(outcome=outcome, tracker_url=url)} == expected
    assert conversations.conversations(sender_id="went-well", tracker_url=url)[0].problems == []


def test_the_list_puts_the_most_troubled_first_and_takes_a_limit_and_sender_filters(app_database, tmp_path):
    url = troubled(tmp_path)
    found = conversations.conversations(tracker_url=url, by_trouble=True)
    assert found[0].sender_id == "looper" and found[0].problems == ["repeated_question"]
    assert [c.problems for c in found][-1] == []
    assert len(conversations.conversations(tracker_url=url, limit=2)) == 2
    assert {c.sender_id for c in conversations.conversations(tracker_url=url, sender_prefix="misread-")} == {
        "misread-prospect", "misread-before-the-flag"}
    left = {c.sender_id for c in conversations.conversations(tracker_url=url, exclude_prefixes=["misread-", "re"])}
    assert left == {"looper", "customer", "gave-email", "skipped-email", "unreachable", "went-well"}
    with pytest.raises(ValueError, match="Unknown outcome 'loop': use one of handed_off, .*repeated_question"):
        conversations.conversations(outcome="loop", tracker_url=url)


def test_the_list_command_says_which_outcomes_exist_and_stops_quietly_when_its_reader_does(app_database, tmp_path,
                                                                                         monkeypatch):
    import subprocess
    import sys

    from bot import cli

    url = f"sqlite:///{tmp_path / 'many.db'}"
    seed_tracker(url, [(f"visitor-{n:04d}", "user", user("hello there", "greet", 0.99)) for n in range(1500)])
    monkeypatch.setenv("TRACKER_DB_URL", url)
    assert cli.main(["conversations", "list", "--outcome", "loop"]) == 2
    run = subprocess.run(f"{sys.executable} -m bot conversations list | head -1", shell=True, capture_output=True,
                         text=True, timeout=120)
    assert run.stdout.count("\n") == 1 and run.stderr == ""  # no BrokenPipeError traceback


def test_the_dashboard_counts_the_same_conversations_as_the_trainers_list(app_database, tmp_path):
    from bot.sales import dashboard

    url = troubled(tmp_path)
    ever = (dt.date(1970, 1, 1), dt.date(2100, 1, 1))
    listed = {name: len(conversations.conversations(outcome=name, tracker_url=url)) for name in conversations.PROBLEMS}
    assert dashboard.problems(*ever, tracker_url=url) == listed == {
        "repeated_question": 1, "sent_to_support": 2, "contact_without_brief": 1, "handoff_without_contact": 1}
