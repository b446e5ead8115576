"""Rasa NLU components of our own (listed in config.yml); each translates between Rasa and `bot`."""
