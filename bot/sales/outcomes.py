"""Outcomes teach the qualification: which answers led to won deals.

An outcome is a closed brief (won or lost), or a nurtured visitor who bought later: a won brief with the
email they had left, created after they were nurtured. Over the outcomes, the win rate by buying stage, by
each force's rating, by handoff reason and by each qualification check (met or not), each with its count and
a 90% Wilson interval. A check with at least MIN_OUTCOMES outcomes whose met and unmet win rates have
overlapping intervals (or one side empty) does not separate won from lost, and is flagged.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Dict, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.conversation.slots import CHECKS, STAGES
from bot.store.engine import engine
from bot.store.models import Brief, Lead

Z90 = NormalDist().inv_cdf(0.95)  # two-sided 90%
MIN_OUTCOMES = 30
FORCES = ("push", "pull", "anxiety", "habit")
NURTURED = "nurtured, bought later"


@dataclass(frozen=True)
class Outcome:
    won: bool
    buying_stage: Optional[str]
    handoff_reason: str  # "qualified", "visitor_requested_human" or NURTURED
    forces: Dict[str, int] = field(default_factory=dict)  # rating per force (none for a nurtured visitor)
    checks: Dict[str, bool] = field(default_factory=dict)  # none for briefs from before checks were stored


def wilson(won: int, n: int, z: float = Z90) -> Tuple[float, float]:
    """The Wilson score interval of a win rate: sound for small counts and rates near 0 or 1."""
    if n == 0:
        return 0.0, 1.0
    rate = won / n
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Row:
    group: str  # "buying stage", "push rating", "handoff reason", or "check: <what it checks>"
    value: str
    won: int = 0
    lost: int = 0

    @property
    def n(self) -> int:
        return self.won + self.lost

    @property
    def rate(self) -> float:
        return self.won / self.n if self.n else 0.0

    @property
    def interval(self) -> Tuple[float, float]:
        return wilson(self.won, self.n)


def _groups(outcome: Outcome) -> List[Tuple[str, str]]:
    found = [("buying stage", outcome.buying_stage or "unknown"), ("handoff reason", outcome.handoff_reason)]
    found += [(f"{name} rating", str(outcome.forces[name])) for name in FORCES if name in outcome.forces]
    found += [(f"check: {CHECKS[name]}", "met" if met else "not met")
              for name, met in outcome.checks.items() if name in CHECKS]
    return found


GROUPS = ["buying stage", *(f"{name} rating" for name in FORCES), "handoff reason",
          *(f"check: {what}" for what in CHECKS.values())]


def _order(row: Row) -> tuple:
    """Groups as GROUPS lists them; stages in buying order, ratings by number, anything else by name."""
    if row.value in STAGES:
        return GROUPS.index(row.group), STAGES.index(row.value), ""
    if row.value.isdigit():
        return GROUPS.index(row.group), int(row.value), ""
    return GROUPS.index(row.group), len(STAGES), row.value


def table(outcomes: List[Outcome]) -> List[Row]:
    rows: Dict[Tuple[str, str], Row] = {}
    for outcome in outcomes:
        for group, value in _groups(outcome):
            row = rows.setdefault((group, value), Row(group, value))
            if outcome.won:
                row.won += 1
            else:
                row.lost += 1
    return sorted(rows.values(), key=_order)


def weak_checks(rows: List[Row], min_outcomes: int = MIN_OUTCOMES) -> List[str]:
    """The checks that do not separate won from lost, among those with enough outcomes."""
    weak = []
    for what in CHECKS.values():
        sides = {row.value: row for row in rows if row.group == f"check: {what}"}
        met, unmet = sides.get("met", Row("", "")), sides.get("not met", Row("", ""))
        if met.n + unmet.n < min_outcomes:
            continue
        (met_low, met_high), (unmet_low, unmet_high) = met.interval, unmet.interval
        if not met.n or not unmet.n or (met_low <= unmet_high and unmet_low <= met_high):
            weak.append(what)
    return weak


def collect(url: Optional[str] = None) -> List[Outcome]:
    """Every outcome in the app database."""
    with Session(engine(url), future=True) as session:
        closed = session.execute(select(Brief.status, Brief.buying_stage, Brief.handoff_reason, Brief.forces,
                                        Brief.checks).where(Brief.status.in_(("won", "lost")))).all()
        won_at: Dict[str, list] = {}
        for email, created in session.execute(select(func.lower(Lead.email), Brief.created_at)
                                              .join(Brief, Brief.lead_id == Lead.id)
                                              .where(Brief.status == "won", Lead.email.is_not(None))):
            won_at.setdefault(email, []).append(created)
        nurtured = session.execute(select(func.lower(Lead.email), Lead.created_at, Lead.buying_stage, Lead.checks)
                                   .where(Lead.status == "nurture", Lead.email.is_not(None))).all()
    outcomes = [Outcome(status == "won", stage, reason,
                        {name: int((forces or {}).get(name, {}).get("rating", 0)) for name in FORCES},
                        checks or {})
                for status, stage, reason, forces, checks in closed]
    outcomes += [Outcome(True, stage, NURTURED, checks=checks or {})
                 for email, nurtured_at, stage, checks in nurtured
                 if any(bought > nurtured_at for bought in won_at.get(email, []))]
    return outcomes


@dataclass
class Report:
    outcomes: int
    won: int
    rows: List[Row]
    weak: List[str]


def report(url: Optional[str] = None) -> Report:
    outcomes = collect(url)
    rows = table(outcomes)
    return Report(len(outcomes), sum(outcome.won for outcome in outcomes), rows, weak_checks(rows))


def as_text(found: Report) -> str:
    """The report as `bot outcomes` prints it."""
    lines = [f"{found.outcomes} outcomes ({found.won} won): closed briefs, and nurtured visitors who bought later",
             f"{'group':<52} {'value':<24} {'won':>4} {'of':>4} {'win rate':>9}  90% interval"]
    for row in found.rows:
        low, high = row.interval
        lines.append(f"{row.group:<52} {row.value:<24} {row.won:>4} {row.n:>4} {row.rate:>9.0%}  "
                     f"{low:.0%}–{high:.0%}")
    if found.weak:
        lines += ["", "Checks that do not separate won from lost (their win rates' intervals overlap):"]
        lines += [f"  - {what}" for what in found.weak]
    else:
        lines += ["", f"No check is flagged (a check is weighed once it has {MIN_OUTCOMES} outcomes)."]
    return "\n".join(lines)
