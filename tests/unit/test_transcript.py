from bot.conversation import transcript as conversation

EVENTS = [
    {"event": "action", "name": "action_listen", "timestamp": 1.0},
    {"event": "user", "text": "/greet", "timestamp": 1789999999.0,
     "metadata": {"widget_opened": True, "page_url": "https://acme.test/pricing", "referrer": "https://google.com/"}},
    {"event": "user", "text": "hi <i>there</i>", "timestamp": 1790000000.5, "metadata": {"page_url": "https://x/"}},
    {"event": "bot", "text": "Hi! I'm a bot.", "timestamp": 1790000001.0,
     "data": {"buttons": [{"title": "Yes", "payload": "/affirm"}]}},
    {"event": "slot", "name": "struggle", "value": "x", "timestamp": 1790000002.0},
    {"event": "user", "text": "/greet", "timestamp": 1790000003.0},
]


def test_the_transcript_keeps_what_people_said_in_order_with_times():
    assert conversation.transcript(EVENTS) == [
        {"speaker": "visitor", "text": "hi <i>there</i>", "at": "2026-09-21T14:13:20Z"},
        {"speaker": "bot", "text": "Hi! I'm a bot.", "at": "2026-09-21T14:13:21Z"},
        {"speaker": "visitor", "text": "/greet", "at": "2026-09-21T14:13:23Z"},
    ]


def test_the_widgets_own_opening_message_is_not_shown_as_the_visitors():
    texts = [line["text"] for line in conversation.visible_messages(EVENTS)]
    assert texts == ["hi <i>there</i>", "Hi! I'm a bot.", "/greet"]
    assert conversation.visible_messages(EVENTS)[1]["buttons"] == [{"title": "Yes", "payload": "/affirm"}]


def test_the_visit_is_the_first_page_the_widget_reported():
    assert conversation.visit(EVENTS) == {"page_url": "https://acme.test/pricing", "referrer": "https://google.com/"}
    assert conversation.visit(EVENTS[2:]) == {"page_url": "https://x/", "referrer": None}
    assert conversation.visit([]) == {"page_url": None, "referrer": None}


def test_a_visitors_words_flagged_as_the_widgets_opening_stay_in_the_transcript():
    flagged = {"event": "user", "text": "cancel my order", "timestamp": 1790000004.0,
               "metadata": {"widget_opened": True}}
    assert [line["text"] for line in conversation.visible_messages(EVENTS + [flagged])][-1] == "cancel my order"
    assert not conversation.opened_widget(flagged) and conversation.opened_widget(EVENTS[1])


def test_the_visit_keeps_scheme_host_and_path_but_no_query_or_fragment():
    event = {"event": "user", "text": "hi", "metadata": {
        "page_url": "https://acme.test/pricing?email=ann%40acme.io&token=s3cret#plans",
        "referrer": "https://www.google.com/search?q=acme+pricing"}}
    assert conversation.visit([event]) == {"page_url": "https://acme.test/pricing",
                                           "referrer": "https://www.google.com/search"}
    event["metadata"] = {"page_url": "http://[broken", "referrer": "https://ann:pw@acme.test:8443/a/b?x=1"}
    assert conversation.visit([event]) == {"page_url": None, "referrer": "https://acme.test:8443/a/b"}


def test_a_salespersons_message_carries_the_name_the_visitor_sees():
    from bot.conversation.transcript import visible_messages

    events = [{"event": "bot", "text": "Hi, Sam here", "timestamp": 1.0,
               "metadata": {"agent": "sam.lee@acme.io", "agent_name": "Sam"}},
              {"event": "bot", "text": "I'm the assistant again", "timestamp": 2.0, "metadata": {"handed_back": True}}]
    assert [(line["speaker"], line.get("name")) for line in visible_messages(events)] == [("agent", "Sam"),
                                                                                         ("bot", None)]
