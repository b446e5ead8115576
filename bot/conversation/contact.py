"""Contact details given by a visitor who agreed to be contacted."""
from __future__ import annotations

from typing import Optional

from email_validator import EmailNotValidError, validate_email


def normalise_email(text: str) -> Optional[str]:
    """The address in `text` if it is well formed with a plausible domain, else None.

    The domain must be a real-looking public name (a dot, a known kind of top-level domain,
    not a reserved one such as .test or .invalid). No DNS lookup: this machine may be offline.
    """
    candidate = next((word.strip(".,;:<>()") for word in text.split() if "@" in word), text.strip())
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        return None
    tld = result.domain.rsplit(".", 1)[-1]
    if not tld.isalpha() or len(tld) < 2:
        return None
    return result.normalized
