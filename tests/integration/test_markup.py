"""The NLU components around the pipeline: NLU reads the words without tags, the parse result keeps the text."""
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from components.markup import RestoreText, StripMarkup


def test_nlu_reads_the_words_and_the_conversation_keeps_the_tags():
    typed = "<b>Bold</b> Coffee Roasters & Co"
    message = Message(data={TEXT: typed})
    StripMarkup().process([message])
    assert message.get(TEXT) == "Bold Coffee Roasters & Co"  # what the tokenizer and classifier see
    RestoreText().process([message])
    assert message.get(TEXT) == typed  # what the actions, the slots and the brief get


def test_text_without_markup_or_only_markup_is_left_alone():
    for typed in ("our reports take days", "<script></script>"):
        message = Message(data={TEXT: typed})
        StripMarkup().process([message])
        RestoreText().process([message])
        assert message.get(TEXT) == typed
