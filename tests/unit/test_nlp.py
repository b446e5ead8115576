from bot.conversation import nlp


def labelled(text):
    return [(entity.label, entity.text) for entity in nlp.entities(text)]


def test_the_pipeline_finds_dates_money_team_sizes_and_tools():
    found = labelled("We need this by end of March: our team of 12 lives in Excel and HubSpot "
                     "and it costs $2,000 a month")
    assert ("DATE", "by end of March") in found
    assert ("TEAM_SIZE", "team of 12") in found
    assert ("TOOL", "Excel") in found and ("TOOL", "HubSpot") in found
    assert ("MONEY", "$2,000") in found
    assert ("MONEY", "50k") in labelled("about 50k a year")
    assert ("TEAM_SIZE", "40 people") in labelled("we are 40 people")


def test_may_is_a_month_only_after_a_preposition():
    assert labelled("we may need approval") == []
    assert labelled("we need it by may") == [("DATE", "by may")]


def test_cues_match_on_lemmas_in_the_visitors_spelling():
    assert nlp.cues("We keep losing clients")["INTENSITY"] == ["losing"]
    assert "DECIDING" in nlp.cues("we are comparing vendors and our trial ends on Friday")
    assert nlp.cues("no rush, just browsing")["PASSIVE"] == ["no rush", "just browsing"]


def test_the_saved_pipeline_loads_as_rasa_loads_it(tmp_path):
    import spacy

    nlp.save_pipeline(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline", disable=["parser"])
    assert [ent.label_ for ent in loaded("our 5 engineers use Jira").ents] == ["TEAM_SIZE", "TOOL"]
    assert [token.lemma_ for token in loaded("losing clients")] == ["lose", "client"]


def test_double_bookings_are_a_struggle_not_a_why_now_event():
    assert "TRIGGER" not in nlp.cues("patients keep getting double booked and we spend hours fixing it")
    assert "TRIGGER" in nlp.cues("our orders have doubled since the summer")
