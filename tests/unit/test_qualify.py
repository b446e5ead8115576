import datetime as dt

from bot.conversation.qualify import assess, buying_stage, is_none_answer

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
    for timeline in ("in eighteen months", "by March 2028", "yesterday", "sometime in 2029"):
        assert buying_stage({**ACTIVE, "timeline": timeline}, TODAY) == "passive_looking", timeline
    for timeline in ("in a couple of months", "in a few weeks", "later this year", "by march 15, 2027"):
        assert buying_stage({**ACTIVE, "timeline": timeline}, TODAY) == "active_looking", timeline


def test_unsure_answers_are_not_a_concrete_struggle():
    for struggle in ("not sure", "idk", "hmm"):
        assert assess({**ACTIVE, "struggle": struggle}, TODAY).reasons[0] == "No concrete struggle was described."
