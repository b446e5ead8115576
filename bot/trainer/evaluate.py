"""`make evaluate`: held-out and cross-validated NLU scores, the confusions, the test stories' pass rate and the
conversation suite's (tests/e2e/test_visitors.py, played on the whole stack), written to reports/ as Markdown
(with Rasa's confusion-matrix image) and compared with the previous run."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

from bot import config
from bot.trainer.model import TEST_STORIES

REPORTS = config.ROOT / "reports"
THRESHOLDS = config.ROOT / "tests" / "nlu" / "thresholds.json"
SUMMARY_KEYS = ("accuracy", "macro avg", "weighted avg", "micro avg")


def thresholds() -> Dict[str, float]:
    """Scores below which CI fails; kept in the repository next to the held-out set."""
    return json.loads(THRESHOLDS.read_text())


def _rasa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rasa", *args], cwd=config.ROOT, env=config.rasa_env(),
                          capture_output=True, text=True)


def _intent_scores(report: dict) -> Dict[str, float]:
    return {name: round(scores["f1-score"], 4) for name, scores in report.items() if name not in SUMMARY_KEYS}


def _confusions(errors: List[dict], most: int = 15) -> List[dict]:
    counts: Dict[tuple, int] = {}
    for error in errors:
        key = (error["intent"], error["intent_prediction"]["name"])
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:most]
    return [{"intent": intent, "predicted": predicted, "count": count} for (intent, predicted), count in ranked]


def run(model: Path, folds: int = 3) -> dict:
    """Runs every evaluation; returns the figures (also what the next run compares against)."""
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        held_out = _rasa("test", "nlu", "--nlu", "tests/nlu/holdout.yml", "--model", str(model),
                         "--out", str(work_dir / "holdout"))
        if held_out.returncode:
            raise RuntimeError(held_out.stderr[-2000:])
        report = json.loads((work_dir / "holdout" / "intent_report.json").read_text())
        errors = json.loads((work_dir / "holdout" / "intent_errors.json").read_text())
        REPORTS.mkdir(exist_ok=True)
        image = work_dir / "holdout" / "intent_confusion_matrix.png"
        if image.exists():
            shutil.copy(image, REPORTS / "intent_confusion_matrix.png")
        cross = _rasa("test", "nlu", "--nlu", "data/nlu", "--cross-validation", "--folds", str(folds),
                      "--out", str(work_dir / "cross"))
        if cross.returncode:
            raise RuntimeError(cross.stderr[-2000:])
        cross_report = json.loads((work_dir / "cross" / "intent_report.json").read_text())
        stories = _rasa("test", "core", "--stories", str(TEST_STORIES), "--model", str(model),
                        "--out", str(work_dir / "stories"))
        if stories.returncode:
            raise RuntimeError(stories.stderr[-2000:])
        story_report = json.loads((work_dir / "stories" / "story_report.json").read_text())
        suite = _conversation_suite(work_dir / "suite.json")
    conversations = story_report["conversation_accuracy"]
    return {
        "at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "holdout": {"macro_f1": round(report["macro avg"]["f1-score"], 4), "accuracy": round(report["accuracy"], 4),
                    "intents": _intent_scores(report), "confusions": _confusions(errors)},
        "cross_validation": {"folds": folds, "macro_f1": round(cross_report["macro avg"]["f1-score"], 4),
                             "intents": _intent_scores(cross_report)},
        "stories": {"correct": conversations["correct"], "total": conversations["total"]},
        "suite": suite,
    }


def _conversation_suite(results: Path) -> dict:
    """Plays the conversation suite on the whole stack (a few minutes) and returns its pass rate."""
    played = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "tests/e2e/test_visitors.py"], cwd=config.ROOT, capture_output=True, text=True,
                            env={**config.rasa_env(), "CONVERSATION_SUITE_RESULTS": str(results)})
    if not results.exists():
        raise RuntimeError("the conversation suite did not run:\n" + played.stdout[-2000:] + played.stderr[-2000:])
    return json.loads(results.read_text())


def compare(previous: Optional[dict], current: dict, tolerance: float = 0.005) -> List[str]:
    """What went up and what went down since the previous run, in words."""
    if not previous:
        return ["First run: nothing to compare with."]
    changes = []

    def moved(label: str, before: float, after: float) -> None:
        if after > before + tolerance:
            changes.append(f"up: {label} {before:.3f} → {after:.3f}")
        elif after < before - tolerance:
            changes.append(f"DOWN: {label} {before:.3f} → {after:.3f}")

    moved("held-out macro F1", previous["holdout"]["macro_f1"], current["holdout"]["macro_f1"])
    moved("cross-validation macro F1", previous["cross_validation"]["macro_f1"],
          current["cross_validation"]["macro_f1"])
    for intent, after in sorted(current["holdout"]["intents"].items()):
        before = previous["holdout"]["intents"].get(intent)
        if before is not None:
            moved(f"held-out F1 of {intent}", before, after)
    before_stories = previous["stories"]["correct"] / max(previous["stories"]["total"], 1)
    after_stories = current["stories"]["correct"] / max(current["stories"]["total"], 1)
    moved("test stories passing", before_stories, after_stories)
    if previous.get("suite") and current.get("suite"):
        before, after = previous["suite"], current["suite"]
        moved("conversation suite passing", before["passed"] / max(before["total"], 1),
              after["passed"] / max(after["total"], 1))
        for category, (passed, total) in sorted(after["categories"].items()):
            if category in before["categories"]:
                was_passed, was_total = before["categories"][category]
                moved(f"conversation suite, {category}", was_passed / max(was_total, 1), passed / max(total, 1))
        newly_failing = sorted(set(after["failed"]) - set(before["failed"]))
        if newly_failing:
            changes.append("DOWN: now failing in the conversation suite: " + "; ".join(newly_failing))
    return changes or ["No score moved by more than 0.005."]


def markdown(current: dict, changes: List[str], limits: Dict[str, float]) -> str:
    holdout, cross, suite = current["holdout"], current["cross_validation"], current["suite"]
    lines = [f"# Evaluation, {current['at']}", "",
             f"- Held-out NLU (tests/nlu/holdout.yml): macro F1 **{holdout['macro_f1']:.3f}** "
             f"(CI fails below {limits['holdout_macro_f1']:.2f}), accuracy {holdout['accuracy']:.3f}",
             f"- Cross-validation on data/nlu ({cross['folds']} folds): macro F1 {cross['macro_f1']:.3f}",
             f"- Test stories: {current['stories']['correct']} of {current['stories']['total']} pass",
             f"- Conversation suite (tests/e2e/visitors, the whole stack): {suite['passed']} of {suite['total']} "
             "visitors pass", "",
             "## Since the previous run", ""] + [f"- {change}" for change in changes] + [
             "", "## Per intent (F1)", "", "| intent | held-out | cross-validation |", "|---|---|---|"]
    for intent in sorted(holdout["intents"]):
        lines.append(f"| {intent} | {holdout['intents'][intent]:.3f} | "
                     f"{cross['intents'].get(intent, float('nan')):.3f} |")
    lines += ["", "## Conversation suite by category", "", "| category | passed | of |", "|---|---|---|"]
    lines += [f"| {category} | {passed} | {total} |" for category, (passed, total) in suite["categories"].items()]
    lines += [f"- failing: {name}" for name in suite["failed"]]
    lines += ["", "## Most frequent confusions (held-out)", "", "| intent | predicted as | times |", "|---|---|---|"]
    lines += [f"| {c['intent']} | {c['predicted']} | {c['count']} |" for c in holdout["confusions"]]
    lines += ["", "![Confusion matrix of the held-out set](intent_confusion_matrix.png)", ""]
    return "\n".join(lines)


def main(model: Path) -> int:
    current = run(model)
    latest = REPORTS / "latest.json"
    previous = json.loads(latest.read_text()) if latest.exists() else None
    changes = compare(previous, current)
    limits = thresholds()
    (REPORTS / "evaluation.md").write_text(markdown(current, changes, limits))
    if previous:
        (REPORTS / "previous.json").write_text(json.dumps(previous, indent=2))
    latest.write_text(json.dumps(current, indent=2))
    print((REPORTS / "evaluation.md").read_text())
    return 0 if current["holdout"]["macro_f1"] >= limits["holdout_macro_f1"] else 1
