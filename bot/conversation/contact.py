"""Contact details given by a visitor who agreed to be contacted."""
from __future__ import annotations

import re
from typing import Optional

from email_validator import EmailNotValidError, validate_email

# An address spelled out against spam robots: "maria at brightdental dot com", "maria (at) bright [dot] com".
SPELLED_AT = r"\s*(?:\(at\)|\[at\]|\{at\}|\bat\b)\s*"
SPELLED_DOT = r"\s*(?:\(dot\)|\[dot\]|\{dot\}|\bdot\b|\.)\s*"
SPELLED = re.compile(rf"\b([a-z0-9][a-z0-9._%+-]*){SPELLED_AT}([a-z0-9-]+(?:{SPELLED_DOT}[a-z0-9-]+)+)\b",
                     re.IGNORECASE)


def spelled_out(text: str) -> Optional[str]:
    """The address a message spells out ("maria at brightdental dot com"), written the usual way."""
    found = SPELLED.search(text or "")
    if not found:
        return None
    return f"{found[1]}@{re.sub(SPELLED_DOT, '.', found[2], flags=re.IGNORECASE)}"


def normalise_email(text: str) -> Optional[str]:
    """The address in `text` if it is well formed with a plausible domain, else None.

    The domain must be a real-looking public name (a dot, a known kind of top-level domain,
    not a reserved one such as .test or .invalid). No DNS lookup: this machine may be offline.
    """
    if "@" not in text:
        text = spelled_out(text) or text
    candidate = next((word.strip(".,;:<>()") for word in text.split() if "@" in word), text.strip())
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        return None
    tld = result.domain.rsplit(".", 1)[-1]
    if not tld.isalpha() or len(tld) < 2:
        return None
    return result.normalized
