import pytest

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


def test_a_deadline_read_as_i_dont_know_is_a_deadline():
    assert not interview.says_dont_know("timeline", "the week after next", "dont_know")
    assert interview.says_dont_know("timeline", "no clue, honestly", "dont_know")
    assert interview.says_dont_know("trigger", "no idea", "dont_know")
    assert interview.says_dont_know("trigger", "Not a clue, sorry", "dont_know")
    assert not interview.says_dont_know("struggle", "Housekeeping doesn't know which rooms are checked out",
                                        "dont_know")
    assert not interview.says_dont_know("trigger", "the audit", "inform")


def test_answering_a_skipped_question_later_unmarks_it():
    assert interview.record_answer("trigger", "the audit", "inform", ["trigger"]) == {
        "trigger": "the audit", "skipped_slots": []}


ANSWER, BOTH, NOT, NOTED = interview.ANSWER, interview.ANSWER_AND_REPLY, interview.NOT_AN_ANSWER, interview.NOTED
SKIP = interview.SKIP_AND_REPLY


@pytest.mark.parametrize("slot, text, intent, times_asked, expected", [
    # Greetings, thanks, yes/no, bot challenges, out of scope and markup never displace an answer.
    ("anxieties", "Data privacy and whether it works with our cookie banner", "ask_security", 1, ANSWER),
    ("struggle", "<script>alert('x')</script> our reports take days to build", "ask_is_bot", 1, ANSWER),
    ("struggle", "Building permit applications bounce between four departments", "out_of_scope", 1, ANSWER),
    ("company", "Vello", "greet", 1, ANSWER),
    ("company", "Hello Fresh Kitchens", "greet", 1, ANSWER),
    ("name", "Dr. Anke Müller-Lüdenscheidt", "thank", 1, ANSWER),
    ("company", "Human Partners", "request_human", 1, ANSWER),
    ("company", "Stop & Shop Deli", "stop", 1, ANSWER),
    ("desired_progress", "a bit more clarity", "ask_pricing", 1, ANSWER),
    ("trigger", "We have 12 open roles after our funding round", "existing_customer", 1, ANSWER),
    # A person, leaving and real support problems are always honoured.
    ("company", "can I talk to a real person please", "request_human", 2, NOT),
    ("current_solution", "Agents' notebooks and phone calls", "request_human", 1, ANSWER),
    ("struggle", "Viewing feedback from buyers never gets back to the sellers", "request_human", 1, ANSWER),
    ("struggle", "Evening, sorry for the late message", "stop", 1, NOTED),
    ("struggle", "our recruiters copy candidates between three systems", "inform", 1, ANSWER),
    ("timeline", "stop", "stop", 2, NOT),
    # Read as `stop` but not said to the bot: answers.
    ("trigger", "bookkeeper resigned, so invoices quit going out", "stop", 1, ANSWER),
    ("timeline", "end of Q3", "stop", 1, ANSWER),
    ("anxieties", "Staff who cancel shifts last minute", "stop", 1, ANSWER),
    ("struggle", "I can't log in to our Acme Flow account", "existing_customer", 1, NOT),
    # A question phrased as one is answered first, once; answering and asking is both.
    ("timeline", "how much does it cost?", "ask_pricing", 1, NOT),
    ("timeline", "how much does it cost?", "ask_pricing", 2, SKIP),  # a second question: skip ours
    ("anxieties", "Price… is there a nonprofit discount?", "ask_pricing", 1, BOTH),
    ("anxieties", "price tbh, and is it secure w/ our SSO?", "ask_security", 1, BOTH),  # the worry, asked
    ("anxieties", "why do you ask?", "ask_why", 1, NOT),
    ("timeline", "Within two months. Is there a nonprofit discount?", "inform", 1, BOTH),
    ("struggle", "Clients email us 'hello?? anyone??' because our quotes take two weeks", "ask_pricing", 1, ANSWER),
    # Where the struggle is asked, a greeting, an introduction or a question alone is kept, not the struggle.
    ("struggle", "are you a bot?", "ask_is_bot", 1, NOTED),
    ("struggle", "Good morning. I'm the practice manager at a mid-sized law firm…", "greet", 1, NOTED),
    ("struggle", "What does the 14-day trial include? We're a 12-person studio…", "ask_free_trial", 1, NOTED),
    ("struggle", "hello again", "greet", 2, ANSWER),
    ("struggle", "Our invoices are always late and it is hurting cash flow", "existing_customer", 1, ANSWER),
    # Asked whether they want to be contacted, asking for a person is a yes.
    ("contact_consent", "Yes, please, I'd like to speak to someone.", "request_human", 1, ANSWER),
])
def test_the_open_questions_answer_wins_unless_the_message_is_clearly_something_else(
        slot, text, intent, times_asked, expected):
    assert interview.read_reply(slot, text, intent, times_asked, "Acme Flow") == expected


def test_a_question_after_an_answer_is_answered_by_its_topic():
    assert interview.asked_about("Within two months. Is there a nonprofit discount?", "inform") == "ask_pricing"
    assert interview.asked_about("Data privacy. Is it hosted in the EU?", "inform") == "ask_security"
    assert interview.asked_about("We use Xero", "inform") is None


@pytest.mark.parametrize("text, intent, expected", [
    ("Yes, please, I'd like to speak to someone.", "request_human", True),
    ("no thanks… actually, wait, yes", "deny", True),
    ("sure, why not", "inform", True),
    ("go ahead", "inform", True),
    ("not now, thanks", "deny", False),
    ("nah", "inform", False),
    ("hmm, what would you do with it?", "ask_why", None),
    ("👍", "affirm", True),
    ("Actually, on second thought, do send me the guides", "inform", True),
    ("please don't send me anything", "deny", False),
    ("ya", "nlu_fallback", True),
    ("yea alright", "nlu_fallback", True),
    ("see ya", "stop", False),
    # How to be reached is not whether: a restriction beside a yes is still a yes.
    ("sure thing, but email only and no phone calls", "deny", True),
    ("please email me, just don't ring me", "deny", True),
    ("no, don't call me", "deny", False),
    ("no spam please", "deny", False),
    ("plz do!!", "nlu_fallback", True),
    ("oh I'd love that actually", "nlu_fallback", True),
    ("no, please", "nlu_fallback", False),
    # An address typed as the answer is not read for yes or no words (a Norwegian ".no").
    ("ola@bergcare.no", "inform", None),
    ("yes: kari@fjordlys.no", "inform", True),
])
def test_consent_is_read_generously_and_the_last_word_wins(text, intent, expected):
    assert interview.consent_from(text, intent) is expected


def test_an_opening_that_greets_introduces_or_asks_is_not_the_struggle():
    assert interview.read_opening("Hi! I'm Lena, I run a bakery with three shops.") == {
        "introduction": "Hi! I'm Lena, I run a bakery with three shops."}
    assert interview.read_opening("hello, our reports take days to build")["struggle"] == (
        "hello, our reports take days to build")
    for small_talk in ("Evening! Found you through a LinkedIn post.", "Evening, sorry for the late message",
                       "Hi there, happy Friday", "Hi, small software house", "Guten Tag, I run a radiology practice",
                       "Hey, just browsing tools for our club"):
        assert "struggle" not in interview.read_opening(small_talk), small_talk
    assert interview.read_opening("Hi there, happy Friday") == {"introduction": "Hi there, happy Friday"}
    for struggle in ("Invoicing is a nightmare",
                     "Clients email us 'hello?? anyone??' because our quotes take two weeks",
                     "We need a better way to schedule crews across five sites"):
        assert interview.read_opening(struggle)["struggle"] == struggle


def test_an_existing_customer_says_so_and_a_prospect_unhappy_with_their_tool_does_not():
    assert interview.says_existing_customer("we're already customers, can you add two seats?", "Acme Flow")
    assert interview.says_existing_customer("Acme Flow billing charged us twice", "Acme Flow")
    assert not interview.says_existing_customer("Our invoices are always late and it is hurting cash flow",
                                                "Acme Flow")
    assert not interview.says_existing_customer("our current CRM keeps losing leads", "Acme Flow")


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


def test_a_later_change_of_mind_about_contact_is_heard_but_a_polite_ok_is_not():
    assert interview.changes_mind_about_contact("actually I changed my mind, contact me", "inform")
    assert interview.changes_mind_about_contact("you know what, yes, please email me the details", "affirm")
    assert not interview.changes_mind_about_contact("ok thanks", "affirm")
    assert not interview.changes_mind_about_contact("no, don't contact me", "deny")
    assert interview.changes_mind_about_contact("Actually, on second thought, do send me the guides", "inform")


def test_markup_is_left_out_of_what_nlu_reads():
    assert interview.without_markup("<script>alert('x')</script> our reports take days") == \
        "alert('x') our reports take days"
    assert interview.without_markup("Tariq <b>Mahmood</b>") == "Tariq Mahmood"
    assert interview.without_markup("<br>") == "<br>"


def test_a_support_problem_that_names_no_product_of_ours_is_unsure():
    assert interview.may_be_a_customer("The login keeps timing out for my whole team", "existing_customer", "Acme Flow")
    assert not interview.may_be_a_customer("I can't log in to our Acme Flow account", "existing_customer",
                                           "Acme Flow")  # sure: support at once
    assert not interview.may_be_a_customer("Our invoices are always late and it is hurting cash flow",
                                           "existing_customer", "Acme Flow")  # a prospect's struggle


@pytest.mark.parametrize("text, expected", [
    ("stop", True), ("Please stop.", True), ("ok, quit it", True), ("can you stop asking me things", True),
    ("gotta go, bye", True), ("not interested, thanks", True), ("end the chat", True),
    ("our accountant quit", False), ("by the end of q2", False), ("no more paper timesheets", False),
    ("not enough drivers on Fridays", False), ("clients cancel on the day", False),
    ("the alerts stop when the tablet sleeps", False),
])
def test_a_wish_to_stop_is_said_to_the_bot(text, expected):
    assert interview.says_stop(text, "stop") is expected
    assert not interview.says_stop(text, "inform")  # NLU must read it too


def test_contact_details_typed_where_consent_was_asked_are_a_yes():
    assert interview.details_given("sure, it's mo@brightlane.co.uk", asked_again=False) == {
        "email": "mo@brightlane.co.uk"}
    assert interview.details_given("Mo Haddad", asked_again=True) == {"name": "Mo Haddad"}
    assert interview.details_given("Mo Haddad", asked_again=False) == {}  # asked once: unclear, asked again
    for not_a_name in ("Maybe later", "Hmm", "Not sure", "No", "Ok", "what for?"):
        assert interview.details_given(not_a_name, asked_again=True) == {}, not_a_name
    # After declining, an email typed later is a change of mind.
    assert interview.changes_mind_about_contact("mo@brightlane.co.uk", "nlu_fallback")
    assert not interview.changes_mind_about_contact("mo@", "nlu_fallback")


@pytest.mark.parametrize("text, intent, expected", [
    ("hi, can a real person call me instead", "greet", True),
    ("Hello. Could someone from sales give me a ring?", "greet", True),
    ("Are you a bot? I'd rather talk to a real person", "ask_is_bot", True),
    ("hey, anyone here?", "greet", False),
    ("hello again, salesperson please", "greet", True),
    ("hey, got a phone number we can call?", "greet", True),
    ("Hi, ops lead, small sales team here", "greet", False),
    ("Hi, we're a 40-person agency", "greet", False),
    ("hi, can someone tell me about pricing and talk me through plans", "ask_pricing", False),
    ("Hello, our sales people can't reach customers because the phone list is a mess", "greet", False),
])
def test_an_opening_can_ask_for_a_person_in_passing(text, intent, expected):
    assert interview.opens_asking_for_a_person(text, intent) is expected


def test_billing_their_own_clients_is_a_prospects_struggle():
    for prospect in ("last month we billed a client twice and had to refund them",
                     "we charge customers by hand and refunds take a week"):
        assert not interview.may_be_a_customer(prospect, "existing_customer", "Acme Flow"), prospect
    for unsure in ("we were billed twice this month", "I need a refund for last month",
                   "our card got charged two times"):
        assert interview.may_be_a_customer(unsure, "existing_customer", "Acme Flow"), unsure


@pytest.mark.parametrize("text, expected", [
    ("ok enough questions, just have somebody ring me", True),
    ("can you email me the details", True),
    ("would rather you put me in touch with your team", True),
    ("pass me on to sales please", True),
    ("I'd like to speak with a real person", True),
    ("can I get a call back tomorrow", True),
    ("customers ring me at home about late deliveries", False),
    ("our clients expect a call back within the hour", False),
    ("drivers can't talk to someone in the office after six", False),
    ("we email suppliers every morning", False),
])
def test_a_request_to_be_contacted_is_heard_whatever_nlu_read(text, expected):
    assert interview.asks_to_be_contacted(text) is expected


def test_a_customer_who_asks_for_a_person_is_not_sent_to_support():
    assert interview.customer_asks_for_a_person("We're on your Pro plan and need to speak with someone about 40 "
                                                "more seats")
    assert not interview.customer_asks_for_a_person("our Acme Flow login stopped working this morning")
    assert interview.asked_about("Mostly the data. Does it stay in Europe?", "inform") == "ask_security"


OFFERED = ["Tue 1 Dec, 10:00", "Tue 1 Dec, 10:30", "Wed 2 Dec, 09:00"]


@pytest.mark.parametrize("said, index", [
    ("Tue 1 Dec, 10:00", 0), ("  tue 1 dec,  10:30 ", 1), ("the second one please", 1), ("last one", 2),
    ("10:30 works for me", 1), ("wednesday is best", 2), ("9am", 2),
])
def test_the_time_a_visitor_picks_from_the_offer(said, index):
    assert interview.picked(said, OFFERED) == index


@pytest.mark.parametrize("said", ["Another time", "tuesday", "none of those work", "not the first one",
                                  "can we do next month?", "11:00", ""])
def test_anything_else_picks_no_time(said):
    assert interview.picked(said, OFFERED) is None


@pytest.mark.parametrize("typed, found", [
    ("Maria Gonzalez, maria@brightdental.com, Bright Dental",
     {"name": "Maria Gonzalez", "email": "maria@brightdental.com", "company": "Bright Dental"}),
    ("Name: Tom Becker\nEmail: tom@northwind.io\nCompany: Northwind Logistics",
     {"name": "Tom Becker", "email": "tom@northwind.io", "company": "Northwind Logistics"}),
    ("I'm Ana - ana@acme-corp.com - from Acme Corp", {"name": "Ana", "email": "ana@acme-corp.com",
                                                       "company": "Acme Corp"}),
    ("Lee Park; lee@parkoutdoor.com", {"name": "Lee Park", "email": "lee@parkoutdoor.com"}),
])
def test_contact_details_typed_together_are_told_apart(typed, found):
    assert interview.details_in_one_message(typed) == found


@pytest.mark.parametrize("typed", ["lee@parkoutdoor.com", "sure, lee@parkoutdoor.com", "lee@parkoutdoor.com, thanks!",
                                   "Lee Park, Park Outdoor"])
def test_one_detail_with_small_talk_is_not_taken_apart(typed):
    assert interview.details_in_one_message(typed) == {}
