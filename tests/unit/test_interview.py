from bot.conversation import interview


def test_an_opening_story_answers_struggle_trigger_and_timeline_in_the_visitors_words():
    text = ("We just lost our biggest customer because dispatch missed three deliveries. "
            "We need a fix by next month.")
    filled = interview.read_opening(text)
    assert filled == {
        "struggle": text,
        "trigger": "We just lost our biggest customer because dispatch missed three deliveries.",
        "timeline": "We need a fix by next month.",
    }


def test_an_opening_without_event_or_date_only_answers_the_struggle():
    assert interview.read_opening("our spreadsheets are a mess") == {"struggle": "our spreadsheets are a mess"}


def test_skipped_questions_are_remembered_and_read_as_unknown():
    events = interview.record_answer("trigger", "no idea", "dont_know", [])
    assert events == {"trigger": "no idea", "skipped_slots": ["trigger"]}
    answers = interview.answers({"struggle": "late invoices", "trigger": "no idea", "skipped_slots": ["trigger"]})
    assert answers["struggle"] == "late invoices"
    assert answers["trigger"] is None and answers["timeline"] is None


def test_answering_a_skipped_question_later_unmarks_it():
    assert interview.record_answer("trigger", "the audit", "inform", ["trigger"]) == {
        "trigger": "the audit", "skipped_slots": []}


def test_uncertain_question_intents_without_a_question_shape_are_read_as_answers():
    assert interview.reads_as_answer("a bit more clarity", "ask_pricing", 0.55)
    assert not interview.reads_as_answer("a bit more clarity", "ask_pricing", 0.95)
    assert not interview.reads_as_answer("how much is it", "ask_pricing", 0.55)
    assert not interview.reads_as_answer("price for 10 users?", "ask_pricing", 0.55)
    assert not interview.reads_as_answer("get me a person", "request_human", 0.3)


def test_contact_details_exist_only_with_consent():
    slots = {"contact_consent": True, "name": "Ann", "email": "ann@acme.io", "company": "n/a",
             "skipped_slots": ["company"]}
    assert interview.contact(slots) == {"name": "Ann", "email": "ann@acme.io", "company": None}
    assert interview.contact({**slots, "contact_consent": False}) is None
    assert interview.contact({"name": "Ann"}) is None


def test_vague_words_and_past_or_present_dates_do_not_answer_why_now_or_when():
    assert interview.read_opening("We just use spreadsheets and it is messy") == {
        "struggle": "We just use spreadsheets and it is messy"}
    assert interview.read_opening("I'm here today because our orders are a mess") == {
        "struggle": "I'm here today because our orders are a mess"}
    text = "Yesterday our biggest client left because of a missed delivery."
    assert interview.read_opening(text) == {"struggle": text, "trigger": text}
