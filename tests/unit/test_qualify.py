import datetime as dt

from bot.conversation.qualify import assess, buying_stage, is_none_answer, worth_asking_for_a_date

TODAY = dt.date(2026, 11, 26)

ACTIVE = {
    "struggle": "Our invoices go out late every month because three people edit the same spreadsheet",
    "situation": "last tuesday we sent a client the wrong amount and lost the account",
    "current_solution": "Excel and a shared inbox",
    "desired_progress": "close the month in 2 days instead of 8",
    "trigger": "our CFO quit two weeks ago and the auditors arrive in January",
    "timeline": "by end of January",
    "anxieties": "migrating ten years of data",
    "cost_of_inaction": "we'd lose another client",
}


def test_a_why_now_event_with_a_near_deadline_is_active_looking():
    assert buying_stage(ACTIVE, TODAY) == "active_looking"


def test_comparing_vendors_or_a_trial_ending_is_deciding():
    assert buying_stage({**ACTIVE, "trigger": "we are comparing vendors, our trial ends friday"}, TODAY) == "deciding"


def test_no_rush_or_a_distant_date_is_passive_looking():
    assert buying_stage({**ACTIVE, "timeline": "no rush, maybe next year"}, TODAY) == "passive_looking"
    assert buying_stage({**ACTIVE, "timeline": "sometime next year"}, TODAY) == "passive_looking"
    browsing = {**ACTIVE, "trigger": "just browsing", "timeline": "by end of January"}
    assert buying_stage(browsing, TODAY) == "passive_looking"


def test_a_timeline_that_is_already_past_is_overdue_not_missing():
    assert buying_stage({**ACTIVE, "timeline": "Yesterday, honestly"}, TODAY) == "active_looking"
    assert buying_stage({**ACTIVE, "timeline": "we started looking last month"}, TODAY) == "passive_looking"


def test_a_contract_that_already_ended_is_no_decision_date():
    assert buying_stage({**ACTIVE, "trigger": "Our 3PL contract ended and we took the warehouse in-house",
                         "timeline": "sometime in 2029"}, TODAY) == "passive_looking"
    assert buying_stage({**ACTIVE, "trigger": "our contract ends in February"}, TODAY) == "deciding"


def test_no_event_and_no_timeline_is_a_first_thought():
    assert buying_stage({"struggle": "curious", "trigger": None, "timeline": None}, TODAY) == "first_thought"


def test_forces_are_rated_with_the_visitors_quotes_as_evidence():
    result = assess(ACTIVE, TODAY)
    assert result.forces["push"].rating == 2
    assert result.forces["push"].evidence == [ACTIVE["struggle"], ACTIVE["situation"], ACTIVE["cost_of_inaction"]]
    assert (result.forces["pull"].rating, result.forces["pull"].evidence) == (2, [ACTIVE["desired_progress"]])
    assert (result.forces["anxiety"].rating, result.forces["anxiety"].evidence) == (1, [ACTIVE["anxieties"]])
    assert (result.forces["habit"].rating, result.forces["habit"].evidence) == (1, [ACTIVE["current_solution"]])


def test_strong_worries_and_a_loved_current_tool_rate_two():
    result = assess({**ACTIVE, "anxieties": "I'm really worried, last time a migration failed",
                     "current_solution": "a spreadsheet we've used for years and the team is used to it"}, TODAY)
    assert result.forces["anxiety"].rating == 2 and result.forces["habit"].rating == 2


def test_one_worry_asked_with_its_context_is_one_worry():
    for worries in ("Whether patient data is safe with you. Is it stored in the EU?",
                    "Is it secure? We have patient data."):
        assert assess({**ACTIVE, "anxieties": worries}, TODAY).forces["anxiety"].rating == 1
    several = "The price. Training the team. Whether it talks to our accounts package."
    assert assess({**ACTIVE, "anxieties": several}, TODAY).forces["anxiety"].rating == 2


def test_nothing_answers_rate_zero():
    assert is_none_answer("nothing really") and is_none_answer("Not much") and is_none_answer("nothing, we'd be fine")
    assert not is_none_answer("nothing works") and not is_none_answer("no budget for a new tool")
    result = assess({**ACTIVE, "anxieties": "nothing really", "current_solution": "nothing yet"}, TODAY)
    assert result.forces["anxiety"].rating == 0 and result.forces["habit"].rating == 0


def test_a_concrete_struggle_active_stage_and_strong_forces_qualify_with_reasons():
    result = assess(ACTIVE, TODAY)
    assert result.qualified
    assert result.reasons == [
        "The visitor described a concrete struggle.",
        "Buying stage is active looking: a why-now event and a deadline within 6 months.",
        "Push + pull (4) outweigh anxiety + habit (2).",
        "Doing nothing is not an option they are happy with.",
    ]


def test_early_visitors_are_nurtured_and_the_reasons_say_why():
    result = assess({**ACTIVE, "timeline": "no rush, maybe next year"}, TODAY)
    assert not result.qualified
    assert result.reasons[1].startswith("Buying stage is passive looking: no why-now event")


def test_the_nurture_reason_follows_the_check_that_failed():
    assert assess(ACTIVE, TODAY).nurture_reason is None
    assert assess({**ACTIVE, "timeline": "no rush, maybe next year"}, TODAY).nurture_reason == "no_deadline"
    assert assess({slot: None for slot in ACTIVE}, TODAY).nurture_reason == "early"
    # A near deadline without a why-now event: not "no date pushing this" to someone who wrote "ASAP!!".
    for soon in ("ASAP!!", "yesterday tbh", "within 3 weeks"):
        no_event = assess({**ACTIVE, "trigger": None, "timeline": soon}, TODAY)  # why now skipped
        assert (no_event.qualified, no_event.nurture_reason) == (False, "no_event"), soon
    assert assess({**ACTIVE, "cost_of_inaction": "honestly we'd be fine"}, TODAY).nurture_reason \
        == "doing_nothing_is_fine"
    worried = {**ACTIVE, "desired_progress": "not sure", "anxieties": "I'm scared of losing data and of the cost",
               "current_solution": "our own tool that works fine and the team is used to it"}
    assert assess(worried, TODAY).nurture_reason == "worries"


def test_resistance_that_outweighs_progress_does_not_qualify():
    result = assess({**ACTIVE, "situation": None, "cost_of_inaction": None, "desired_progress": "not sure",
                     "anxieties": "I'm scared of losing data and of the cost, and the team hates change",
                     "current_solution": "our own tool that works fine"}, TODAY)
    assert not result.qualified
    assert result.reasons[2] == "Push + pull (1) do not outweigh anxiety + habit (4)."  # "not sure" is no pull


def test_a_visitor_who_skipped_everything_is_not_qualified():
    result = assess({slot: None for slot in ACTIVE}, TODAY)
    assert not result.qualified and result.buying_stage == "first_thought"
    assert result.reasons[0] == "No concrete struggle was described."
    assert all(force.rating == 0 for force in result.forces.values())


def test_doing_nothing_being_fine_means_nurture():
    result = assess({**ACTIVE, "cost_of_inaction": "honestly we'd be fine"}, TODAY)
    assert not result.qualified
    assert result.reasons[3] == "Doing nothing looks fine to them: “honestly we'd be fine”."
    assert result.forces["push"].rating == 2  # the struggle and the episode still push


def test_vendor_words_in_the_story_do_not_make_a_visitor_deciding():
    answers = {**ACTIVE, "situation": "our vendors sent us the wrong invoice", "trigger": "not really",
               "timeline": "no idea really"}
    assert buying_stage(answers, TODAY) == "first_thought"
    assert not assess(answers, TODAY).qualified


def test_no_rush_wins_over_comparing():
    assert buying_stage({"trigger": "comparing a few tools", "timeline": "no rush"}, TODAY) == "passive_looking"


def test_far_or_past_dates_are_not_near_deadlines():
    for timeline in ("in eighteen months", "by March 2028", "we started looking last spring", "sometime in 2029"):
        assert buying_stage({**ACTIVE, "timeline": timeline}, TODAY) == "passive_looking", timeline
    for timeline in ("in a couple of months", "in a few weeks", "later this year", "by march 15, 2027"):
        assert buying_stage({**ACTIVE, "timeline": timeline}, TODAY) == "active_looking", timeline


def test_unsure_answers_are_not_a_concrete_struggle():
    for struggle in ("not sure", "idk", "hmm"):
        assert assess({**ACTIVE, "struggle": struggle}, TODAY).reasons[0] == "No concrete struggle was described."


# A why-now event that names no date, so that the timeline alone decides.
EVENT = "our biggest client threatened to leave after the invoice mess"
MISSED_TIMELINES = ["two weeks", "before Black Friday", "next spring, before the hospital project starts", "by the 3rd",
                    "before Christmas", "in a fortnight", "before summer", "by 01/15"]


def test_an_event_without_a_deadline_is_passive_looking():
    assert buying_stage({**ACTIVE, "trigger": EVENT, "timeline": None}, TODAY) == "passive_looking"
    assert buying_stage({**ACTIVE, "trigger": EVENT, "timeline": "no idea really"}, TODAY) == "passive_looking"


def test_deadlines_as_people_write_them_make_an_event_active_looking():
    for timeline in MISSED_TIMELINES + ["we need it live before black friday or we lose the season", "asap",
                                        "end of Q1", "by thrusday", "15.01.", "mid-April"]:
        answers = {**ACTIVE, "trigger": EVENT, "timeline": timeline}
        assert buying_stage(answers, TODAY) == "active_looking", timeline
        assert assess(answers, TODAY).reasons[1].startswith("Buying stage is active looking"), timeline


def test_a_near_renewal_contract_end_or_trial_end_is_deciding():
    for timeline in ("Our contract renews on January 15", "the subscription expires end of next month",
                     "our pilot runs out next week"):
        assert buying_stage({**ACTIVE, "trigger": EVENT, "timeline": timeline}, TODAY) == "deciding", timeline
    renewal_as_event = {**ACTIVE, "trigger": "our contract renews on January 15", "timeline": None}
    assert buying_stage(renewal_as_event, TODAY) == "deciding"
    assert assess(renewal_as_event, TODAY).reasons[1].startswith("Buying stage is deciding")
    assert buying_stage({**ACTIVE, "trigger": EVENT, "timeline": "our contract renews in March 2028"},
                        TODAY) == "passive_looking"
    # A renewal that is someone else's, or has no date of its own, does not make them deciding.
    assert buying_stage({**ACTIVE, "trigger": "The retailer we supply made the audit finding a condition of renewal",
                         "timeline": "before our audit in March"}, TODAY) == "active_looking"


def test_the_why_now_answer_gives_the_deadline_when_the_timeline_names_no_time():
    answers = {**ACTIVE, "trigger": "the auditors arrive in January", "timeline": "not sure"}
    assert buying_stage(answers, TODAY) == "active_looking"
    # A timeline that names a time is the answer, even when the event's date is nearer.
    assert buying_stage({**answers, "timeline": "in eighteen months"}, TODAY) == "passive_looking"


def test_words_that_only_look_like_dates_are_no_deadline():
    for timeline in ("we may lose clients if this drags on", "it's the march to digital", "every friday",
                     "not urgent"):
        assert buying_stage({**ACTIVE, "trigger": EVENT, "timeline": timeline}, TODAY) == "passive_looking", timeline


def test_no_rush_and_browsing_still_win_over_a_deadline():
    assert buying_stage({**ACTIVE, "timeline": "no rush, maybe before summer"}, TODAY) == "passive_looking"
    assert buying_stage({**ACTIVE, "trigger": "just browsing", "timeline": "before Christmas"},
                        TODAY) == "passive_looking"


def test_when_the_events_of_the_why_now_story_happened_is_no_deadline():
    for trigger in ("On Monday our CFO quit", "this week we lost our biggest client", "on the 3rd we failed the audit",
                    "our client yelled at us this morning", "we got fined in march"):
        assert buying_stage({**ACTIVE, "trigger": trigger, "timeline": "not sure"}, TODAY) == "passive_looking", trigger
    story = {**ACTIVE, "trigger": "we got fined in march and the next audit is in may", "timeline": "not sure"}
    assert buying_stage(story, TODAY) == "active_looking"


def test_a_strong_push_without_a_readable_deadline_is_worth_one_question_about_a_date():
    hurting = {"struggle": "our invoices are late every month and we lost two clients over it",
               "situation": "last week a client left because of a wrong invoice", "trigger": "our CFO quit",
               "timeline": "hard to say", "cost_of_inaction": "we would lose more clients"}
    assert worth_asking_for_a_date(hurting, TODAY)
    assert not worth_asking_for_a_date({**hurting, "timeline": "no rush at all"}, TODAY)  # said so
    assert not worth_asking_for_a_date({**hurting, "timeline": "by end of January"}, TODAY)  # already known
    assert not worth_asking_for_a_date({"struggle": "curious", "timeline": "hard to say"}, TODAY)  # no push
    answered = {**hurting, "target_date": "the board meets on March 3rd"}
    assert buying_stage(answered, TODAY) == "active_looking"
