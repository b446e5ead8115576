"""Win rates of closed briefs with their intervals, and the checks that do not separate won from lost."""
import pytest
from scipy.stats import binomtest

from bot.sales.outcomes import MIN_OUTCOMES, Outcome, Row, table, weak_checks, wilson


@pytest.mark.parametrize("won, n", [(8, 10), (0, 5), (5, 5), (30, 60), (1, 40)])
def test_the_interval_is_wilsons_at_90_percent(won, n):
    reference = binomtest(won, n).proportion_ci(confidence_level=0.9, method="wilson")
    assert wilson(won, n) == pytest.approx((reference.low, reference.high), abs=1e-9)
    assert wilson(0, 0) == (0.0, 1.0)  # nothing known


def outcome(won, stage="active_looking", reason="qualified", push=2, checks=None):
    return Outcome(won, stage, reason, {"push": push, "pull": 1, "anxiety": 0, "habit": 1},
                   {"struggle_described": True, "active_stage": True, "forces_favour_change": True,
                    "change_needed": True, **(checks or {})})


def test_win_rates_by_stage_force_reason_and_check_count_each_outcome_once_in_each_group():
    outcomes = ([outcome(True)] * 3 + [outcome(False, "passive_looking", push=1, checks={"active_stage": False})] * 2
                + [outcome(True, reason="visitor_requested_human")]
                + [Outcome(True, "first_thought", "nurtured, bought later",
                           checks={"struggle_described": True, "active_stage": False})])
    rows = {(row.group, row.value): (row.won, row.n) for row in table(outcomes)}
    assert rows[("buying stage", "first_thought")] == (1, 1)
    assert rows[("buying stage", "passive_looking")] == (0, 2)
    assert rows[("buying stage", "active_looking")] == (4, 4)
    assert rows[("push rating", "1")] == (0, 2) and rows[("push rating", "2")] == (4, 4)  # none for the nurtured
    assert rows[("handoff reason", "qualified")] == (3, 5)
    assert rows[("handoff reason", "visitor_requested_human")] == (1, 1)
    assert rows[("handoff reason", "nurtured, bought later")] == (1, 1)
    assert rows[("check: actively looking or deciding", "met")] == (4, 4)
    assert rows[("check: actively looking or deciding", "not met")] == (1, 3)
    assert rows[("check: described a concrete struggle", "met")] == (5, 7)
    groups = [row.group for row in table(outcomes)]
    assert groups.index("buying stage") < groups.index("push rating") < groups.index("handoff reason")
    stages = [row.value for row in table(outcomes) if row.group == "buying stage"]
    assert stages == ["first_thought", "passive_looking", "active_looking"]  # the buying order


def test_a_check_is_flagged_when_met_and_unmet_do_as_well_once_it_has_enough_outcomes():
    def rows(met_won, met_n, unmet_won, unmet_n):
        what = "check: actively looking or deciding"
        return [Row(what, "met", met_won, met_n - met_won), Row(what, "not met", unmet_won, unmet_n - unmet_won)]

    assert weak_checks(rows(9, 20, 8, 20)) == ["actively looking or deciding"]  # 45% against 40%: no telling
    assert weak_checks(rows(18, 20, 3, 20)) == []  # 90% against 15%: it separates
    assert weak_checks(rows(9, 12, 1, 12)) == []  # too few outcomes to judge
    assert weak_checks(rows(20, MIN_OUTCOMES, 0, 0)) == ["actively looking or deciding"]  # never unmet: no test
