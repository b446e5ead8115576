"""Storage: the app database (leads, briefs, accounts, notifications) and Rasa's tracker store."""
