"""Buying stage, the four forces and the qualified/nurture decision, each with its reasons.

Every rating quotes the answers that justify it; nothing is inferred that the visitor did not say.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Tuple

from bot.conversation import deadlines, nlp
from bot.conversation.slots import CHECKS

ACTIVE_STAGES = ("active_looking", "deciding")
NEAR_DEADLINE_MONTHS = 6  # "a date or deadline within a few months", counted in whole months


@dataclass
class Force:
    rating: int = 0
    evidence: List[str] = field(default_factory=list)


@dataclass
class Assessment:
    buying_stage: str
    forces: Dict[str, Force]
    qualified: bool
    reasons: List[str]  # each qualification check, met or not, in words
    nurture_reason: Optional[str] = None  # why a visitor is not qualified, for the nurture message (NURTURE_REASONS)
    checks: Dict[str, bool] = field(default_factory=dict)  # each of CHECKS, in order: met or not

    def forces_json(self) -> Dict[str, dict]:
        return {name: asdict(force) for name, force in self.forces.items()}


FILLER_WORDS = {"really", "honestly", "at", "all", "much", "yet", "so", "far", "i", "think", "guess", "right",
                "now", "tbh", "thanks", "just", "no", "we", "would", "we'd", "be", "fine", "ok", "okay"}


def is_none_answer(text: Optional[str]) -> bool:
    """"Nothing", "none", "not really, we'd be fine": an answer that says there is nothing to report."""
    if not text:
        return True
    rest = text.lower()
    found = nlp.cues(text).get("NONE", [])
    if not found:
        return False
    for cue in sorted(filter(None, found), key=len, reverse=True):
        rest = rest.replace(cue.lower(), " ")
    return all(word.strip(",.!;:-") in FILLER_WORDS | {""} for word in rest.split())


def _stated(text: Optional[str]) -> bool:
    return bool(text) and not is_none_answer(text)


def deadline(answers: Dict[str, Optional[str]],
             today: Optional[dt.date] = None) -> Tuple[Optional[float], Optional[float]]:
    """(Months to the nearest deadline, months to the nearest renewal, contract end or trial end).

    The timeline answer says when; if it names no time at all, the why-now answer may ("the auditors arrive in
    January"), but not with when its events happened ("on Monday our CFO quit", "this week we lost a client").
    A timeline that names only a far time ("in 2029") is its answer; one that only names a past time, not as
    a story of what happened, says it is overdue. A renewal counts with
    the date its own sentence gives ("our contract renews on January 15").
    """
    today = today or dt.date.today()
    timeline = deadlines.read(answers.get("timeline"), today)
    trigger = deadlines.read(answers.get("trigger"), today)
    target = deadlines.read(answers.get("target_date"), today)  # the one clarifying question, if asked
    if timeline.names_a_time:
        months = timeline.months
        if months is None and timeline.overdue:
            months = 0.0  # "When do you need this?" "Yesterday, honestly": it is overdue
    elif target.names_a_time:
        months = target.months
    else:
        months = trigger.months_to_coming_event
    renewals = [m for m in (timeline.renewal_months, trigger.renewal_months) if m is not None]
    return months, min(renewals) if renewals else None


def is_near(months: Optional[float]) -> bool:
    """Within NEAR_DEADLINE_MONTHS in whole months: "before summer", said in late November, is 6.1 months."""
    return months is not None and round(months) <= NEAR_DEADLINE_MONTHS


def buying_stage(answers: Dict[str, Optional[str]], today: Optional[dt.date] = None) -> str:
    """From the why-now and timeline answers: "no rush" wins, then comparing options, a decision date or a
    renewal, contract end or trial end that is near, then a concrete event with a near deadline."""
    trigger, timeline = answers.get("trigger"), answers.get("timeline")
    said = nlp.cues(" ".join(t for t in (trigger, timeline) if t))
    if "PASSIVE" in said:
        return "passive_looking"
    if "DECIDING" in said:
        return "deciding"
    months, renewal = deadline(answers, today)
    if is_near(renewal):
        return "deciding"
    near = is_near(months)
    event = _stated(trigger)
    if event and near:
        return "active_looking"
    if event or near or _stated(timeline):
        return "passive_looking"
    return "first_thought"


STAGE_REASONS = {
    "deciding": "Buying stage is deciding: they are comparing options, have a decision date, or a renewal, "
                f"contract end or trial end is within {NEAR_DEADLINE_MONTHS} months.",
    "active_looking": "Buying stage is active looking: a why-now event and a deadline within "
                      f"{NEAR_DEADLINE_MONTHS} months.",
    "passive_looking": "Buying stage is passive looking: no why-now event with a deadline within "
                       f"{NEAR_DEADLINE_MONTHS} months.",
    "first_thought": "Buying stage is first thought: no why-now event and no timeline.",
}


def worth_asking_for_a_date(answers: Dict[str, Optional[str]], today: Optional[dt.date] = None) -> bool:
    """A strong push but no deadline we could read, and nothing saying there is no rush: unsure is not
    nurture, so the bot asks once whether there is a date they are working towards."""
    said = nlp.cues(" ".join(answers.get(slot) or "" for slot in ("trigger", "timeline")))
    if rate_push(answers).rating < 2 or "PASSIVE" in said or "DECIDING" in said:
        return False
    months, renewal = deadline(answers, today)  # no deadline, and no near renewal that makes them deciding
    return months is None and not is_near(renewal)


def doing_nothing_is_fine(answers: Dict[str, Optional[str]]) -> bool:
    cost = answers.get("cost_of_inaction")
    return bool(cost) and (is_none_answer(cost) or "NOTHING_IS_FINE" in nlp.cues(cost))


def rate_push(answers: Dict[str, Optional[str]]) -> Force:
    quotes = [answers[s] for s in ("struggle", "situation", "cost_of_inaction") if _stated(answers.get(s))]
    intense = any("INTENSITY" in nlp.cues(q) for q in quotes)
    rating = 0 if not quotes else 2 if len(quotes) >= 2 and intense or len(quotes) == 3 else 1
    return Force(rating, quotes)


def rate_pull(answers: Dict[str, Optional[str]]) -> Force:
    progress = answers.get("desired_progress")
    if not _stated(progress):
        return Force(0, [])
    concrete = any(ch.isdigit() for ch in progress) or any(
        ent.label in ("DATE", "MONEY", "TEAM_SIZE") for ent in nlp.entities(progress)
    ) or len(progress.split()) >= 8
    return Force(2 if concrete else 1, [progress])


def rate_anxiety(answers: Dict[str, Optional[str]]) -> Force:
    worries = answers.get("anxieties")
    if not _stated(worries):
        return Force(0, [worries] if worries else [])
    # Several worries, not one told with its context ("Is it secure? We have patient data." is one worry).
    strong = "STRONG_ANXIETY" in nlp.cues(worries) or len(nlp.sentences(worries)) > 2 or (
        worries.count(",") + worries.lower().count(" and ") >= 2
    )
    return Force(2 if strong else 1, [worries])


def rate_habit(answers: Dict[str, Optional[str]]) -> Force:
    current = answers.get("current_solution")
    if not _stated(current):
        return Force(0, [current] if current else [])
    strong = "STRONG_HABIT" in nlp.cues(current)
    return Force(2 if strong else 1, [current])


def assess(answers: Dict[str, Optional[str]], today: Optional[dt.date] = None) -> Assessment:
    stage = buying_stage(answers, today)
    forces = {
        "push": rate_push(answers),
        "pull": rate_pull(answers),
        "anxiety": rate_anxiety(answers),
        "habit": rate_habit(answers),
    }
    progress = forces["push"].rating + forces["pull"].rating
    resistance = forces["anxiety"].rating + forces["habit"].rating
    cost = answers.get("cost_of_inaction")
    checks = [
        (_stated(answers.get("struggle")), "The visitor described a concrete struggle.",
         "No concrete struggle was described."),
        (stage in ACTIVE_STAGES, STAGE_REASONS[stage], STAGE_REASONS[stage]),
        (progress > resistance, f"Push + pull ({progress}) outweigh anxiety + habit ({resistance}).",
         f"Push + pull ({progress}) do not outweigh anxiety + habit ({resistance})."),
        (not doing_nothing_is_fine(answers), "Doing nothing is not an option they are happy with.",
         f"Doing nothing looks fine to them: “{cost}”."),
    ]
    qualified = all(ok for ok, _, _ in checks)
    soon = not qualified and is_near(deadline(answers, today)[0])
    return Assessment(stage, forces, qualified, [yes if ok else no for ok, yes, no in checks],
                      None if qualified else _nurture_reason(checks, stage, soon),
                      dict(zip(CHECKS, (ok for ok, _, _ in checks))))


# Why a visitor is nurtured, so the message follows the actual reason and never contradicts what they said
# ("no pressing need" to someone with a deadline next month). utter_nurture has one wording per reason.
NURTURE_REASONS = ("early", "no_deadline", "no_event", "worries", "doing_nothing_is_fine")


def _nurture_reason(checks: List[Tuple[bool, str, str]], stage: str, soon: bool) -> str:
    """`soon`: a deadline within NEAR_DEADLINE_MONTHS was read ("ASAP!!") though nothing has happened that
    makes now the time: "no date pushing this" would contradict them."""
    struggle, active, outweighs, needs_change = (ok for ok, _, _ in checks)
    if not struggle or stage == "first_thought":
        return "early"
    if not active:
        return "no_event" if soon else "no_deadline"
    if not needs_change:
        return "doing_nothing_is_fine"
    return "worries"
