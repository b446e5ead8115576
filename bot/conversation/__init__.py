"""The conversation itself, pure: slots, reading answers, qualifying, the brief, product facts.

No SQL, no HTTP, no Rasa import: everything here is a function of what the visitor said."""


def warm_up() -> None:
    """Loads what the first visitor's answers would otherwise wait for (about a second): the spaCy pipeline
    and the date parser."""
    import datetime as dt

    from bot.conversation import deadlines, nlp

    nlp.cues("warming up")
    deadlines.read("by next Friday", dt.date.today())
