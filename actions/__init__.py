"""Rasa's custom actions (rasa-sdk), translating between Rasa's conversation and bot/."""
from bot.conversation import warm_up  # noqa: F401  (the Rasa server runs it once, before the first visitor)
