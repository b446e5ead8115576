"""Custom actions that store leads and briefs in the app database (SQLite; PostgreSQL unreachable)."""
from actions import actions
from bot import config
from bot.conversation import product
from bot.store import briefs as store
from bot.store import pending
from tests.actions_harness import QUALIFIED, run, slot_events, tracker, user


def test_store_lead_keeps_nurture_visitors(app_database):
    slots = {**QUALIFIED, "timeline": "no rush, maybe next year"}
    run(actions.ActionStoreLead(), tracker(slots=slots, sender_id="early-bird"))
    assert store.get_lead("early-bird")["status"] == "nurture"
    assert store.list_briefs() == []


def test_store_lead_keeps_qualified_visitors_who_declined_without_contact(app_database):
    slots = {**QUALIFIED, "contact_consent": False, "name": "never asked"}
    run(actions.ActionStoreLead(), tracker(slots=slots, sender_id="declined"))
    lead = store.get_lead("declined")
    assert lead["status"] == "no_contact" and lead["qualified"] is True
    assert lead["contact"] == {"name": None, "email": None, "company": None}


def test_store_lead_keeps_contact_details_a_nurture_visitor_gave(app_database):
    slots = {**QUALIFIED, "timeline": "no rush", "contact_consent": True, "name": "Jo", "email": "jo@acme.io",
             "company": "Acme"}
    run(actions.ActionStoreLead(), tracker(slots=slots, sender_id="nurture-with-contact"))
    lead = store.get_lead("nurture-with-contact")
    assert lead["status"] == "nurture"
    assert lead["contact"] == {"name": "Jo", "email": "jo@acme.io", "company": "Acme"}


def test_a_person_asked_for_is_offered_an_email_question_first_then_the_handoff_promises_no_email(app_database):
    history = [user("our clinic double books patients", "inform"),
               {"event": "bot", "text": "Tell me about the last time that happened.", "timestamp": 1790000001.0}]
    slots = {"struggle": "our clinic double books patients", "requested_slot": "situation", "name": "not asked"}
    state = tracker("can I talk to a person", intent="request_human", active_loop="interview_form",
                    slots=slots, events=history, sender_id="clinic")
    messages, events = run(actions.ActionHandoff(), state)
    assert messages == [] and "pause" not in [event["event"] for event in events]
    assert slot_events(events) == {"requested_slot": None, "person_requested": True, "email_offered": True,
                                   "needs_email": True}  # the rules open handoff_form: one skippable question
    assert store.list_briefs(sender_id="clinic") == []
    # The visitor skipped the email: the handoff happens, and promises a reply here, not by email.
    state = tracker("skip", intent="dont_know", events=history + [user("can I talk to a person", "request_human")],
                    slots={**slots, **slot_events(events), "email": "skip", "skipped_slots": ["email"]},
                    sender_id="clinic")
    messages, events = run(actions.ActionHandoff(), state)
    assert [event["event"] for event in events][-1] == "pause"
    # "skip" is no address; with a person in charge the interview waits (its open question is asked if handed back).
    assert slot_events(events) == {"requested_slot": None, "needs_email": False, "email": None, "interview_done": True,
                                   "interview_interrupted": True}
    assert [message["text"] for message in messages] == [product.message("handoff_no_email")]
    [stored] = store.list_briefs(sender_id="clinic")
    assert stored["handoff_reason"] == "visitor_requested_human"
    assert stored["struggle"] == "our clinic double books patients" and stored["situation"] is None
    assert stored["contact"] is None
    assert [line["speaker"] for line in stored["transcript"]] == ["visitor", "bot", "visitor", "visitor"]


def test_handoff_after_the_contact_form_is_qualified_with_contact(app_database):
    slots = {**QUALIFIED, "contact_consent": True, "name": "Maria", "email": "maria@brightdental.com",
             "company": "Bright Dental", "interview_done": True}
    messages, events = run(actions.ActionHandoff(), tracker("Bright Dental", slots=slots, sender_id="maria"))
    assert [event["event"] for event in events][-1] == "pause"
    assert slot_events(events) == {"requested_slot": None, "needs_email": False, "interview_done": True,
                                   "interview_interrupted": False}  # handed back, nothing is left to ask
    assert [message["text"] for message in messages] == [product.message("handoff")]  # "here or by email"
    [stored] = store.list_briefs(sender_id="maria")
    assert stored["handoff_reason"] == "qualified" and stored["qualified"] is True
    assert stored["contact"] == {"name": "Maria", "email": "maria@brightdental.com", "company": "Bright Dental"}


def test_a_handoff_while_the_database_is_down_is_kept_and_stored_once_it_answers(app_database, monkeypatch):
    working = app_database
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nowhere")
    messages, events = run(actions.ActionHandoff(), tracker("get me a person", intent="request_human",
                                                            slots={"struggle": "our vans idle", "email_offered": True},
                                                            sender_id="unlucky"))
    # The visitor is handed off as usual: the brief waits on disk, not in a lost exception.
    assert [message["text"] for message in messages] == [product.message("handoff_no_email")]
    assert "pause" in [event["event"] for event in events]
    monkeypatch.setenv("DATABASE_URL", working)
    assert store.list_briefs() == []
    assert pending.store_pending() == 1
    assert pending.store_pending() == 0  # stored once
    [stored] = store.list_briefs(sender_id="unlucky")
    assert stored["struggle"] == "our vans idle" and stored["status"] == "new"


def test_a_handoff_that_can_be_neither_stored_nor_kept_is_admitted_and_the_bot_stays(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nowhere")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    monkeypatch.setattr(config, "VAR_DIR", blocked)
    messages, events = run(actions.ActionHandoff(), tracker("get me a person", intent="request_human",
                                                            slots={"struggle": "x", "email_offered": True},
                                                            sender_id="unluckier"))
    assert [message["text"] for message in messages] == [product.message("handoff_failed")]
    assert "pause" not in [event["event"] for event in events]
