"""Markup does not steer classification: NLU reads a message without its tags, the conversation keeps it verbatim.

`StripMarkup` runs first in the pipeline and hands the text without tags to the components after it;
`RestoreText` runs last, so the parse result (and so the actions, the slots and the brief) keep what the visitor
typed, tags and all.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.conversation.interview import without_markup

TYPED = "text_as_typed"  # where StripMarkup keeps the text for RestoreText


class _TextComponent(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "_TextComponent":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if message.get(TEXT) is not None:
                self.rewrite(message)
        return messages

    def rewrite(self, message: Message) -> None:
        raise NotImplementedError


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class StripMarkup(_TextComponent):
    def rewrite(self, message: Message) -> None:
        typed = message.get(TEXT)
        plain = without_markup(typed)
        if plain != typed:
            message.set(TYPED, typed)
            message.set(TEXT, plain)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class RestoreText(_TextComponent):
    def rewrite(self, message: Message) -> None:
        if message.get(TYPED) is not None:
            message.set(TEXT, message.get(TYPED))
