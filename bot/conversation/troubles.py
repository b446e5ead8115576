"""What went wrong in a conversation, read from its tracker events one at a time (so the dashboard's worker can
keep it up to date as events arrive): a question asked three times or more, a visitor sent to support in the
middle of the interview, contact details given. Trainers list conversations by these (bot/store/conversations.py),
the dashboard counts them."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Dict, Optional

from bot.conversation.contact import normalise_email
from bot.conversation.slots import INTERVIEW_SLOTS

# Asked this often, a question loops: the robustness contract never asks one thing three times in a row.
REPEATED = 3
# A bot message flagged with this (actions/actions.py) sent the visitor to support.
SUPPORT_FLAG = "sent_to_support"


def sends_to_support(event: dict, support_text: Optional[str] = None) -> bool:
    """Whether a tracker event is the bot sending the visitor to support: flagged so (actions/actions.py), or, in
    conversations stored before the flag, the support redirect's words (`support_text`)."""
    if event.get("event") != "bot":
        return False
    return bool((event.get("metadata") or {}).get(SUPPORT_FLAG)) or (
        support_text is not None and event.get("text") == support_text)


@dataclass
class Troubles:
    asked: Dict[str, int] = field(default_factory=dict)  # how often the bot asked each question (requested_slot)
    interviewing: bool = False  # an interview question was asked and the interview is not over
    sent_to_support: bool = False  # while interviewing
    email: Optional[str] = None  # the working email address the visitor gave, as last stored

    def read(self, event: dict, support_text: Optional[str] = None) -> None:
        """One tracker event (as Rasa stores it); `support_text`: the support redirect's words, for conversations
        stored before bot messages said where they sent the visitor."""
        kind, name, value = event.get("event"), event.get("name"), event.get("value")
        if kind == "slot" and name == "requested_slot" and value:
            self.asked[value] = self.asked.get(value, 0) + 1
            self.interviewing = self.interviewing or value in INTERVIEW_SLOTS
        elif kind == "slot" and name == "interview_done" and value is True:
            self.interviewing = False
        elif kind == "slot" and name == "email":  # a skipped question keeps what was said there: no address
            self.email = normalise_email(value) if isinstance(value, str) else None
        elif self.interviewing and sends_to_support(event, support_text):
            self.sent_to_support = True

    @property
    def repeated_question(self) -> Optional[str]:
        """The question asked most, when it was asked REPEATED times or more."""
        if not self.asked:
            return None
        question = max(self.asked, key=lambda slot: self.asked[slot])
        return question if self.asked[question] >= REPEATED else None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, stored: Optional[dict]) -> "Troubles":
        return cls(**(stored or {}))
