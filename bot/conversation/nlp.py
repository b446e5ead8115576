"""The project's own spaCy pipeline, shared by Rasa (SpacyNLP) and the brief builder.

No pretrained English model can be installed here, so the pipeline is built in code:
a blank English tokenizer, the lookup lemmatizer (spacy-lookups-data), a sentencizer and an
entity ruler for dates/deadlines, money, team sizes and tool names. Cue phrases that tell the
buying stage and the strength of the forces are matched on lemmas with a PhraseMatcher.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from bot.config import SPACY_PIPELINE_DIR

ENTITY_LABELS = ("DATE", "MONEY", "TEAM_SIZE", "TOOL")

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"]
MONTH_ABBREVIATIONS = ["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
                       "oct", "nov", "dec"]
TIME_UNITS = ["day", "days", "week", "weeks", "month", "months", "year", "years"]
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "couple": 2, "few": 3, "several": 4,
}

TOOLS = [
    "excel", "google sheets", "sheets", "spreadsheet", "spreadsheets", "google docs", "word",
    "hubspot", "salesforce", "slack", "jira", "quickbooks", "xero", "trello", "asana", "notion",
    "airtable", "zapier", "sap", "monday.com", "clickup", "pipedrive", "zendesk", "intercom",
    "shopify", "whatsapp", "outlook", "gmail", "shared inbox", "email", "emails", "whiteboard",
    "paper", "microsoft teams", "dynamics", "netsuite", "sage", "freshdesk", "basecamp",
    "smartsheet", "confluence", "github", "sharepoint", "dropbox", "google drive", "erp", "crm",
    "post-it notes", "sticky notes", "phone calls", "text messages",
]

# Buying-stage and force cues, matched on lemmas so "losing", "lost" and "lose" all count.
CUES: Dict[str, List[str]] = {
    # Read from the why-now and timeline answers only: comparing options or a decision date. A contract that
    # ends is read with its date (deadlines.py): matched by lemma, "contract ends" would also read "ended".
    "DECIDING": [
        "comparing", "shortlist", "shortlisted", "trial ends", "trial expires", "trial is ending",
        "decide by", "decision by", "decision next", "evaluating", "pick a vendor", "choose between",
        "contract renewal", "contract is up", "budget approved", "budget is approved",
        "rfp", "final round", "other vendors", "a few vendors", "two vendors", "three vendors",
    ],
    "PASSIVE": [
        "just browsing", "just looking", "no rush", "not urgent", "not in a hurry",
        "maybe next year", "someday", "eventually", "no timeline", "no deadline", "just curious",
        "curious", "at some point", "whenever", "no real deadline", "not a priority",
        "nothing happened", "nothing in particular", "one day",
    ],
    "INTENSITY": [
        "lose", "lost", "miss", "missed", "angry", "furious", "every day", "every week",
        "every month", "nightmare", "overtime", "penalty", "fined", "churn", "complain",
        "costing", "cost us", "burn out", "burned out", "quit", "mistake", "error", "late",
        "frustrated", "frustrating", "stress", "stressed", "chaos", "weekend", "refund",
        "threaten", "threatened", "escalate", "hours", "days",
    ],
    "STRONG_ANXIETY": [
        "worried", "scared", "afraid", "terrified", "nervous", "nightmare", "burned before",
        "last time", "failed", "risk", "risky", "disaster", "really worry", "big concern",
    ],
    "STRONG_HABIT": [
        "works fine", "works well", "work fine", "used to it", "for years", "everyone knows",
        "comfortable", "good enough", "invested", "built it ourselves", "custom built",
        "love it", "like it", "years of data", "everybody uses", "used for years",
    ],
    # Events that move people to look now; single words like "just" or "new" are too vague, and "doubled" alone
    # (lemma "double") would read "double booked" as an event.
    "TRIGGER": [
        "just lose", "just get", "just raise", "just hire", "just sign", "just move", "just start",
        "just open", "just merge", "just fail", "just miss", "just have", "recently", "last week",
        "last month", "yesterday", "this week", "quit", "left", "audit", "acquire", "acquired",
        "merger", "has doubled", "have doubled", "doubled in size",
        "deadline", "launch", "expand", "expanding", "the last straw", "grew",
        "funding", "threaten", "threatened", "new regulation", "new law", "new client", "new manager",
        "new ceo", "new boss", "my boss", "our ceo", "complaint",
    ],
    "NONE": [
        "nothing", "none", "no", "nope", "not really", "nothing really", "no worries", "not much",
        "nothing at all", "haven't tried", "have not tried", "not yet", "nothing yet", "n/a",
        "not sure", "idk", "dunno", "no idea", "hmm",
    ],
    # Doing nothing is fine: a reason to nurture rather than hand off.
    "NOTHING_IS_FINE": [
        "be fine", "we'd be fine", "we would be fine", "it's fine", "no big deal", "we'll survive",
        "we will survive", "nothing would change", "nothing happens", "nothing would happen",
        "not a big deal", "we can live with it", "live with it", "manageable",
    ],
}


def _date_patterns() -> List[dict]:
    one_of = lambda words: {"LOWER": {"IN": list(words)}}  # noqa: E731
    patterns = [
        {"label": "DATE", "id": "near", "pattern": [one_of(["by", "on", "next", "this", "before"]),
                                                    one_of(WEEKDAYS)]},
        {"label": "DATE", "id": "near", "pattern": [one_of(["this", "next"]),
                                                    one_of(["week", "month", "quarter", "sprint"])]},
        {"label": "DATE", "id": "near", "pattern": [{"LOWER": "end"}, {"LOWER": "of"},
                                                    {"LOWER": {"IN": ["the", "this", "next"]}, "OP": "?"},
                                                    one_of(["week", "month", "quarter"])]},
        {"label": "DATE", "id": "near", "pattern": [one_of(["asap", "tomorrow", "immediately", "urgently"])]},
        {"label": "DATE", "id": "past", "pattern": [one_of(["yesterday"])]},
        {"label": "DATE", "id": "near", "pattern": [{"LOWER": "as"}, {"LOWER": "soon"}, {"LOWER": "as"},
                                                    {"LOWER": "possible"}]},
        {"label": "DATE", "id": "near", "pattern": [{"LOWER": "right"}, {"LOWER": "away"}]},
        {"label": "DATE", "id": "past", "pattern": [one_of(["last", "past"]),
                                                    one_of(WEEKDAYS + ["week", "month", "quarter",
                                                                       "year", "night"])]},
        {"label": "DATE", "id": "past", "pattern": [{"OP": "?", "LIKE_NUM": True},
                                                    {"LOWER": {"IN": list(NUMBER_WORDS)}, "OP": "?"},
                                                    one_of(TIME_UNITS), {"LOWER": "ago"}]},
        # "in 3 weeks", "within the next two months", "in a couple of months", "in eighteen months"
        {"label": "DATE", "id": "in_n", "pattern": [one_of(["in", "within", "next"]),
                                                    {"LOWER": "the", "OP": "?"},
                                                    {"LOWER": "next", "OP": "?"},
                                                    {"LOWER": {"IN": list(NUMBER_WORDS)}, "OP": "*"},
                                                    {"LOWER": "of", "OP": "?"},
                                                    {"LIKE_NUM": True, "OP": "?"},
                                                    one_of(TIME_UNITS)]},
        {"label": "DATE", "id": "far", "pattern": [{"LOWER": "next"}, one_of(["year", "fiscal"])]},
        {"label": "DATE", "id": "far", "pattern": [one_of(["someday", "eventually"])]},
        {"label": "DATE", "id": "year_end", "pattern": [{"LOWER": "end"}, {"LOWER": "of"},
                                                        {"LOWER": {"IN": ["the", "this"]}, "OP": "?"},
                                                        {"LOWER": "year"}]},
        {"label": "DATE", "id": "year_end", "pattern": [{"LOWER": "year"}, {"LOWER": "end"}]},
        {"label": "DATE", "id": "year_end", "pattern": [{"LOWER": "later"}, {"LOWER": "this"}, {"LOWER": "year"}]},
        {"label": "DATE", "id": "quarter", "pattern": [{"LOWER": {"REGEX": r"^q[1-4]$"}}]},
        {"label": "DATE", "id": "month", "pattern": [{"LOWER": {"IN": ["by", "before", "until"]}, "OP": "?"},
                                                     {"LOWER": {"IN": ["in", "the",
                                                                       "end", "mid", "early", "late"]},
                                                      "OP": "?"},
                                                     {"LOWER": "of", "OP": "?"},
                                                     one_of([m for m in MONTHS if m != "may"] + MONTH_ABBREVIATIONS),
                                                     {"LIKE_NUM": True, "OP": "?"},
                                                     {"TEXT": ",", "OP": "?"},
                                                     {"TEXT": {"REGEX": r"^(19|20)\d\d$"}, "OP": "?"}]},
        # "may" is a month only after a preposition ("by may"), never in "we may need".
        {"label": "DATE", "id": "month", "pattern": [one_of(["by", "in", "before", "until", "of", "mid",
                                                             "early", "late"]),
                                                     {"LOWER": "may"}]},
    ]
    return patterns


def _other_patterns() -> List[dict]:
    amount = {"TEXT": {"REGEX": r"^\d[\d,.]*[kKmM]?$"}}
    patterns = [
        {"label": "MONEY", "pattern": [{"TEXT": {"IN": ["$", "€", "£"]}}, amount,
                                       {"LOWER": {"IN": ["k", "m", "million", "thousand"]}, "OP": "?"}]},
        {"label": "MONEY", "pattern": [amount, {"LOWER": {"IN": ["dollars", "euros", "pounds", "usd",
                                                                "eur", "gbp", "bucks", "grand"]}}]},
        {"label": "MONEY", "pattern": [{"TEXT": {"REGEX": r"^\d+[kK]$"}}]},
        {"label": "TEAM_SIZE", "pattern": [{"LIKE_NUM": True},
                                           {"LOWER": {"IN": ["-", "person", "people", "employees",
                                                             "staff", "users", "seats", "agents",
                                                             "engineers", "drivers", "reps",
                                                             "salespeople", "members", "nurses",
                                                             "technicians", "developers",
                                                             "accountants", "teachers",
                                                             "locations", "stores", "clinics"]}},
                                           {"LOWER": {"IN": ["person", "people", "team"]}, "OP": "?"}]},
        {"label": "TEAM_SIZE", "pattern": [{"LOWER": {"IN": ["team", "staff"]}}, {"LOWER": "of"},
                                           {"LIKE_NUM": True}]},
    ]
    patterns += [{"label": "TOOL", "pattern": tool} for tool in TOOLS]
    return patterns


def build_pipeline() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.add_pipe("sentencizer")
    nlp.initialize()  # loads the lemma lookup table, which the ruler's patterns need
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(_date_patterns() + _other_patterns())
    return nlp


def save_pipeline(path: Path = SPACY_PIPELINE_DIR) -> Path:
    """Build the pipeline and write it where config.yml's SpacyNLP expects it."""
    nlp = build_pipeline()
    path.mkdir(parents=True, exist_ok=True)
    nlp.meta["name"] = "demand_side_pipeline"
    nlp.to_disk(path)
    return path


@functools.lru_cache(maxsize=1)
def load_pipeline() -> Language:
    if (SPACY_PIPELINE_DIR / "meta.json").exists():
        return spacy.load(SPACY_PIPELINE_DIR)
    return build_pipeline()


@functools.lru_cache(maxsize=1)
def _cue_matcher() -> PhraseMatcher:
    nlp = load_pipeline()
    matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
    for label, phrases in CUES.items():
        matcher.add(label, [nlp(phrase.lower()) for phrase in phrases])
    return matcher


def analyse(text: str) -> Doc:
    return load_pipeline()(text or "")


def cues(text: str) -> Dict[str, List[str]]:
    """Cue phrases found in `text`, by cue label, quoted in the visitor's own spelling."""
    lowered = text.lower()
    doc = analyse(lowered)  # the lookup lemmatizer knows lower-case words
    same_offsets = len(lowered) == len(text)
    found: Dict[str, List[str]] = {}
    for match_id, start, end in _cue_matcher()(doc):
        span = doc[start:end]
        quote = text[span.start_char:span.end_char] if same_offsets else span.text
        found.setdefault(doc.vocab.strings[match_id], []).append(quote)
    return found


@dataclass
class Entity:
    label: str
    text: str
    kind: str  # the pattern id for dates ("near", "month", ...), else ""


def entities(text: str) -> List[Entity]:
    return [Entity(ent.label_, ent.text, ent.ent_id_) for ent in analyse(text).ents]


def entities_by_label(texts: Iterable[Optional[str]]) -> Dict[str, List[str]]:
    """Distinct entity texts per label across several answers, in order of appearance."""
    found: Dict[str, List[str]] = {label: [] for label in ENTITY_LABELS}
    for text in texts:
        for ent in entities(text or ""):
            if ent.text.lower() not in (seen.lower() for seen in found[ent.label]):
                found[ent.label].append(ent.text)
    return found


def sentences(text: str) -> List[str]:
    return [sent.text.strip() for sent in analyse(text).sents if sent.text.strip()]
