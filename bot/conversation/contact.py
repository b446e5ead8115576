"""Contact details given by a visitor who agreed to be contacted."""
from __future__ import annotations

import re
from typing import Iterable, List, Optional, Tuple

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


# A phone number as people type it: "+44 20 7946 0958", "(555) 123-4567", "0176 1234567".
PHONE = re.compile(r"(?<![\w@/.-])(\+?\(?\d[\d ()./-]{5,}\d)(?![\w@/-])")
DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")


def phone_numbers(text: str) -> List[str]:
    """The phone numbers in a message: 7 to 15 digits (10 when written without spaces or signs), not a date
    ("2026-11-29") nor an amount."""
    found = []
    for match in PHONE.finditer(text or ""):
        number = match.group(1).strip()
        digits = re.sub(r"\D", "", number)
        grouped = number.startswith("+") or not number.isdigit()  # "order 1234567" is no phone number
        if 7 <= len(digits) <= 15 and (grouped or len(digits) >= 10) and not DATE_LIKE.match(number) \
                and not re.search(r"[$€£]\s*$", text[:match.start()]):
            found.append(number)
    return found


def details_in(visitor_messages: Iterable[str]) -> List[Tuple[str, str]]:
    """The email addresses and phone numbers a visitor typed anywhere in a conversation, once each (whatever the
    case or spacing), in order: what a salesperson may take as the contact with one click."""
    found: List[Tuple[str, str]] = []
    seen = set()
    for text in visitor_messages:
        text = text or ""
        spelled = spelled_out(text)
        addresses = [normalise_email(word) for word in text.split() if "@" in word]
        addresses += [normalise_email(spelled)] if spelled else []
        for kind, value, key in [("email", a, a.lower()) for a in addresses if a] + [
                ("phone", n, re.sub(r"\D", "", n)) for n in phone_numbers(text)]:
            if (kind, key) not in seen:
                seen.add((kind, key))
                found.append((kind, value))
    return found
