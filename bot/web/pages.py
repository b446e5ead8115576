"""Pages the web app renders. Every value is escaped: product facts and visitor text alike."""
from __future__ import annotations

from html import escape

from bot.conversation import product

QUESTION_TITLES = {
    "ask_pricing": "What does it cost?",
    "ask_free_trial": "Can I try it?",
    "ask_integrations": "Does it work with our tools?",
    "ask_security": "Is our data safe?",
    "ask_onboarding": "How long does it take to get started?",
    "ask_support": "What support do we get?",
    "ask_demo": "Can I see a demo?",
}


def product_page(rasa_public_url: str) -> str:
    """The demo product page, built from product.yml, with the chat widget on it."""
    facts = product.facts()
    name = escape(facts["product"])
    features = "".join(f"<li>{escape(item)}</li>" for item in facts.get("features", []))
    faq = "".join(
        f"<dt>{escape(title)}</dt><dd>{escape(facts['answers'][intent])}</dd>"
        for intent, title in QUESTION_TITLES.items() if intent in facts["answers"]
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{name}: {escape(facts.get("tagline", ""))}</title>
<link rel="stylesheet" href="/static/site.css">
</head>
<body>
<header class="site-header"><strong>{name}</strong></header>
<main>
<section class="hero">
<h1>{escape(facts.get("tagline", name))}</h1>
<p>{escape(facts.get("description", ""))}</p>
</section>
<section><h2>What it does</h2><ul class="features">{features}</ul></section>
<section><h2>Questions people ask</h2><dl class="faq">{faq}</dl></section>
</main>
<footer>Questions? The assistant in the corner is a bot; ask it for a person at any time.</footer>
<script src="/static/widget.js" data-server="{escape(rasa_public_url)}" data-title="Talk to {name}" defer></script>
</body>
</html>
"""
