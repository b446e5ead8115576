"""The web app's pages: Jinja2 templates in bot/web/templates/, autoescaped, so visitor text is always text.

Every `{{ value }}` is escaped, in element content and in attributes alike; a template that needs markup in a
value builds it with a macro (templates/macros.html), never from a string. Nothing here marks text as safe.
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.conversation.playback import played_back
from bot.conversation.slots import CHECKS, STAGES
from bot.sales.inbox import STATUSES


def words(name: str) -> str:
    """A stored name such as `active_looking` or `handed_off`, as words."""
    return name.replace("_", " ")


def dialable(phone: str) -> str:
    """A phone number as a tel: link takes it: digits and a leading +, nothing a visitor could add."""
    digits = re.sub(r"[^0-9]", "", phone)
    return ("+" if phone.strip().startswith("+") else "") + digits


def duration(minutes) -> str:
    """Minutes as a salesperson reads a wait: "—", "12 min", "3 h 5 min", "2 days 4 h"."""
    if minutes is None:
        return "—"
    minutes = int(round(minutes))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        return f"{minutes // 60} h {minutes % 60} min" if minutes % 60 else f"{minutes // 60} h"
    days, hours = divmod(minutes // 60, 24)
    return f"{days} day{'s' if days > 1 else ''} {hours} h" if hours else f"{days} day{'s' if days > 1 else ''}"


def query(filters: dict) -> str:
    """The filters that are set, as a URL query string (escaped by the template like any value)."""
    return urlencode({name: value for name, value in filters.items() if value})


ENVIRONMENT = Environment(
    loader=PackageLoader("bot.web", "templates"),
    autoescape=True,  # every template is HTML or SVG
    undefined=StrictUndefined,  # a misspelt or missing value fails loudly instead of vanishing from the page
    trim_blocks=True,
    lstrip_blocks=True,
)
ENVIRONMENT.filters.update(words=words, query=query, played_back=played_back, dialable=dialable,
                           duration=duration)
ENVIRONMENT.globals.update(statuses=STATUSES, stages=STAGES, check_names=list(CHECKS))


def page(name: str, **context) -> str:
    """The template `name` (e.g. "brief.html") rendered with `context`."""
    return ENVIRONMENT.get_template(name).render(**context)
