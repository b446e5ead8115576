"""The conversation itself, pure: slots, reading answers, qualifying, the brief, product facts.

No SQL, no HTTP, no Rasa import: everything here is a function of what the visitor said."""
