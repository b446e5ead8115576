"""`make evaluate`: held-out and cross-validated NLU scores, the confusions, the test stories' pass rate (run end
to end: NLU reads their words) and the conversation suite's (tests/e2e/test_visitors.py, played on the whole
stack), written to reports/ as Markdown (with Rasa's confusion-matrix image) and compared with the pinned baseline
(reports/baseline.json, `make baseline`; the previous run when there is none): per-intent F1 with its 90% interval,
so that a move inside the interval reads as noise, the held-out messages whose prediction changed, and which model
and commit each side is. With `seeds` above 1 the same data is also trained with other random seeds, which is the
other noise: a data change retrains every weight, and the same data with another seed already reads some held-out
messages differently (`make baseline` measures this with 3 seeds, `make evaluate SEEDS=3` for a change)."""
from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from bot import config
from bot.trainer.model import FINGERPRINT, TEST_STORIES, failed_story_names, training_fingerprint

REPORTS = config.ROOT / "reports"
BASELINE = REPORTS / "baseline.json"  # pinned on purpose (`make baseline`), kept in git
LATEST = REPORTS / "latest.json"
INTERVAL = 0.90  # of each per-intent F1, by bootstrap over the held-out messages
THRESHOLDS = config.ROOT / "tests" / "nlu" / "thresholds.json"
SUMMARY_KEYS = ("accuracy", "macro avg", "weighted avg", "micro avg")


def thresholds() -> Dict[str, float]:
    """Scores below which CI fails; kept in the repository next to the held-out set."""
    return json.loads(THRESHOLDS.read_text())


def _rasa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rasa", *args], cwd=config.ROOT, env=config.rasa_env(),
                          capture_output=True, text=True)


def _f1(pairs: List[Tuple[str, str]], intent: str) -> float:
    hits = sum(1 for gold, predicted in pairs if gold == predicted == intent)
    claimed = sum(1 for _, predicted in pairs if predicted == intent)
    actual = sum(1 for gold, _ in pairs if gold == intent)
    return 2 * hits / (claimed + actual) if claimed + actual else 0.0


def intent_scores(predictions: Dict[str, dict], rounds: int = 1000, seed: int = 1) -> Dict[str, dict]:
    """Each intent's held-out F1, its number of messages and the INTERVAL around the F1 (the held-out messages
    resampled `rounds` times): with 10 to 15 messages an intent, one message more or less right moves F1 by
    several points, and the interval says how far is noise."""
    pairs = [(found["intent"], found["predicted"]) for found in predictions.values()]
    intents = sorted({gold for gold, _ in pairs})
    draw = random.Random(seed)
    resampled: Dict[str, List[float]] = {intent: [] for intent in intents}
    for _ in range(rounds):
        sample = [pairs[draw.randrange(len(pairs))] for _ in pairs]
        for intent in intents:
            resampled[intent].append(_f1(sample, intent))
    scores = {}
    for intent in intents:
        ranked = sorted(resampled[intent])
        tail = int(rounds * (1 - INTERVAL) / 2)
        scores[intent] = {"f1": round(_f1(pairs, intent), 4), "messages": sum(1 for gold, _ in pairs if gold == intent),
                          "low": round(ranked[tail], 4), "high": round(ranked[-tail - 1], 4)}
    return scores


def _cross_scores(report: dict) -> Dict[str, float]:
    return {name: round(scores["f1-score"], 4) for name, scores in report.items() if name not in SUMMARY_KEYS}


def _predictions(holdout: Path) -> Dict[str, dict]:
    """Every held-out message: its intent and what the model read (Rasa's successes and errors)."""
    found = {}
    for name in ("intent_successes.json", "intent_errors.json"):
        for entry in json.loads((holdout / name).read_text()) if (holdout / name).exists() else []:
            predicted = entry.get("intent_prediction") or {}
            found[entry["text"]] = {"intent": entry["intent"], "predicted": predicted.get("name"),
                                    "confidence": round(float(predicted.get("confidence") or 0), 4)}
    return found


def _holdout_test(model: Path, out: Path) -> dict:
    """Rasa's held-out test of `model` into `out`; returns its intent report."""
    tested = _rasa("test", "nlu", "--nlu", "tests/nlu/holdout.yml", "--model", str(model), "--successes",
                   "--out", str(out))
    if tested.returncode:
        raise RuntimeError(tested.stderr[-2000:])
    return json.loads((out / "intent_report.json").read_text())


def _config_with_seed(seed: int, path: Path) -> None:
    """config.yml with `seed` as every component's random seed."""
    settings = yaml.safe_load((config.ROOT / "config.yml").read_text())
    for component in settings.get("pipeline") or []:
        if "random_seed" in component:
            component["random_seed"] = seed
    path.write_text(yaml.safe_dump(settings, sort_keys=False))


def model_seed() -> int:
    """The random seed config.yml gives the model (DIETClassifier's)."""
    return next((part["random_seed"] for part in yaml.safe_load((config.ROOT / "config.yml").read_text())["pipeline"]
                 if "random_seed" in part), 1)


def _require_model_of_current_data() -> None:
    if not FINGERPRINT.exists() or FINGERPRINT.read_text() != training_fingerprint():
        raise RuntimeError("config.yml, domain.yml or data/ changed since models/current.tar.gz was trained: run "
                           "`make train` first (the other seeds must learn from the same data)")


def other_seeds(count: int, work_dir: Path) -> List[dict]:
    """The held-out readings of `count` more models trained from the same data and configuration as the current
    model, each with another random seed: how far training alone moves the scores and which messages flip."""
    if count:
        _require_model_of_current_data()
    runs = []
    for seed in range(model_seed() + 1, model_seed() + 1 + count):
        settings = work_dir / f"config-seed-{seed}.yml"
        _config_with_seed(seed, settings)
        trained = _rasa("train", "--config", str(settings), "--out", str(work_dir), "--fixed-model-name",
                        f"seed-{seed}")
        if trained.returncode:
            raise RuntimeError(trained.stderr[-2000:])
        report = _holdout_test(work_dir / f"seed-{seed}.tar.gz", work_dir / f"holdout-seed-{seed}")
        runs.append({"seed": seed, "macro_f1": round(report["macro avg"]["f1-score"], 4),
                     "predictions": {text: found["predicted"] for text, found in
                                     _predictions(work_dir / f"holdout-seed-{seed}").items()}})
    return runs


def model_identity() -> dict:
    """Which model was evaluated (the fingerprint of everything it was trained from) and at which commit."""
    fingerprint = FINGERPRINT.read_text().strip()[:12] if FINGERPRINT.exists() else "unknown"
    git = ["git", "-C", str(config.ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    commit = head.stdout.strip() if head.returncode == 0 else "unknown"
    changed = " with uncommitted changes" if dirty.stdout.strip() else ""
    return {"fingerprint": fingerprint, "commit": commit + changed}


def _confusions(errors: List[dict], most: int = 15) -> List[dict]:
    counts: Dict[tuple, int] = {}
    for error in errors:
        key = (error["intent"], error["intent_prediction"]["name"])
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:most]
    return [{"intent": intent, "predicted": predicted, "count": count} for (intent, predicted), count in ranked]


def run(model: Path, folds: int = 3, seeds: int = 1) -> dict:
    """Runs every evaluation; returns the figures (also what the next run compares against). `seeds` counts the
    model itself: 3 trains two more models from the same data."""
    if seeds > 1:  # before the minutes of the other evaluations, and again when training (data edited meanwhile)
        _require_model_of_current_data()
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        report = _holdout_test(model, work_dir / "holdout")
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
        stories = _rasa("test", "core", "--stories", str(TEST_STORIES), "--model", str(model), "--e2e",
                        "--out", str(work_dir / "stories"))
        if stories.returncode:
            raise RuntimeError(stories.stderr[-2000:])
        story_report = json.loads((work_dir / "stories" / "story_report.json").read_text())
        failed = failed_story_names(work_dir / "stories")
        predictions = _predictions(work_dir / "holdout")
        suite = _conversation_suite(work_dir / "suite.json")
        trained_again = other_seeds(seeds - 1, work_dir)
    conversations = story_report["conversation_accuracy"]
    macro_f1 = round(report["macro avg"]["f1-score"], 4)
    itself = {"seed": model_seed(), "macro_f1": macro_f1,
              "predictions": {text: found["predicted"] for text, found in predictions.items()}}
    return {
        "at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "model": model_identity(),
        "holdout": {"macro_f1": macro_f1, "accuracy": round(report["accuracy"], 4),
                    "intents": intent_scores(predictions), "confusions": _confusions(errors),
                    "predictions": predictions, "seeds": [itself, *trained_again] if trained_again else []},
        "cross_validation": {"folds": folds, "macro_f1": round(cross_report["macro avg"]["f1-score"], 4),
                             "intents": _cross_scores(cross_report)},
        "stories": {"correct": conversations["correct"], "total": conversations["total"], "failed": failed},
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


def _f1_of(scores: dict, intent: str) -> Optional[float]:
    """An intent's held-out F1 in figures of this version ({"f1": ...}) or of an earlier one (a number)."""
    found = scores.get(intent)
    return found if isinstance(found, (int, float)) or found is None else found["f1"]


def compare(reference: Optional[dict], current: dict, tolerance: float = 0.005) -> List[str]:
    """What went up and what went down since `reference` (the baseline, or the previous run), in words. A
    per-intent F1 that stays inside the reference's 90% interval is counted as noise, not listed as a move."""
    if not reference:
        return ["First run: nothing to compare with."]
    changes: List[str] = []

    def moved(label: str, before: float, after: float) -> None:
        if after > before + tolerance:
            changes.append(f"up: {label} {before:.3f} → {after:.3f}")
        elif after < before - tolerance:
            changes.append(f"DOWN: {label} {before:.3f} → {after:.3f}")

    before_seeds, after_seeds = seed_scores(reference), seed_scores(current)
    before, after = reference["holdout"]["macro_f1"], current["holdout"]["macro_f1"]
    if len(before_seeds) > 1 and len(after_seeds) > 1:  # the same seeds on both sides: compare their means
        moved(f"held-out macro F1, mean of {len(after_seeds)} training seeds", _mean(before_seeds), _mean(after_seeds))
    elif len(before_seeds) > 1 and min(before_seeds) - tolerance <= after <= max(before_seeds) + tolerance:
        if abs(after - before) > tolerance:
            changes.append(f"held-out macro F1 {before:.3f} → {after:.3f}: within what the reference's data scores "
                           f"with {len(before_seeds)} training seeds ({min(before_seeds):.3f}–{max(before_seeds):.3f}),"
                           " training noise, not a change")
    else:
        moved("held-out macro F1", before, after)
    moved("cross-validation macro F1", reference["cross_validation"]["macro_f1"],
          current["cross_validation"]["macro_f1"])
    noise = []
    for intent in sorted(current["holdout"]["intents"]):
        before, after = _f1_of(reference["holdout"]["intents"], intent), _f1_of(current["holdout"]["intents"], intent)
        if before is None or abs(after - before) <= tolerance:
            continue
        interval = reference["holdout"]["intents"][intent]
        if isinstance(interval, dict) and interval["low"] <= after <= interval["high"]:
            noise.append(f"{intent} {before:.3f} → {after:.3f}")
        else:
            moved(f"held-out F1 of {intent}", before, after)
    if noise:
        changes.append(f"within the {INTERVAL:.0%} interval of the reference (noise, not a change): "
                       + ", ".join(noise))
    before_stories = reference["stories"]["correct"] / max(reference["stories"]["total"], 1)
    after_stories = current["stories"]["correct"] / max(current["stories"]["total"], 1)
    moved("test stories passing", before_stories, after_stories)
    newly_failing = sorted(set(current["stories"].get("failed", [])) - set(reference["stories"].get("failed", [])))
    if newly_failing:
        changes.append("DOWN: test stories now failing: " + "; ".join(newly_failing))
    if reference.get("suite") and current.get("suite"):
        before, after = reference["suite"], current["suite"]
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


def seed_scores(figures: dict) -> List[float]:
    """Held-out macro F1 of the model and of each model trained again with another seed (none if not measured)."""
    return [run["macro_f1"] for run in figures["holdout"].get("seeds") or []]


def _mean(values: List[float]) -> float:
    return sum(values) / len(values)


def _right_with(figures: dict, text: str, intent: str) -> Optional[Tuple[int, int]]:
    """With how many of the training seeds the message was read as its intent, and of how many."""
    readings = [run["predictions"][text] for run in figures["holdout"].get("seeds") or [] if text in run["predictions"]]
    return (sum(reading == intent for reading in readings), len(readings)) if len(readings) > 1 else None


def changed_predictions(reference: Optional[dict], current: dict) -> List[str]:
    """The held-out messages read differently now, each with its intent: what was read then and now. Where other
    training seeds were measured, with how many seeds each side read it right: a message that flips between seeds
    of the same data is noise, one read wrong with every seed after a change and right with every seed before it is
    what the change did. A message whose seeds moved (right with most, then with few) is listed too, as weaker or
    stronger, even where this model reads it as before."""
    before = (reference or {}).get("holdout", {}).get("predictions") or {}
    lines = []
    for text, now in sorted(current["holdout"].get("predictions", {}).items()):
        then = before.get(text)
        if not then:
            continue
        was, now_right = _right_with(reference, text, now["intent"]), _right_with(current, text, now["intent"])
        if then["predicted"] != now["predicted"]:
            mark = "fixed" if now["predicted"] == now["intent"] else "BROKEN" if then["predicted"] == now["intent"] \
                else "changed"
        elif was and now_right and abs(now_right[0] / now_right[1] - was[0] / was[1]) >= 0.5:
            mark = "stronger" if now_right[0] / now_right[1] > was[0] / was[1] else "weaker"
        else:
            continue
        seeds = (f"; right with {was[0]} of {was[1]} seeds → {now_right[0]} of {now_right[1]}" if was and now_right
                 else f"; right with {was[0]} of {was[1]} seeds before" if was
                 else f"; right with {now_right[0]} of {now_right[1]} seeds now" if now_right else "")
        lines.append(f"{mark}: “{text}” ({now['intent']}): {then['predicted']} {then['confidence']:.2f} → "
                     f"{now['predicted']} {now['confidence']:.2f}{seeds}")
    return lines


def _side(figures: dict) -> str:
    model = figures.get("model") or {}
    return (f"{figures['at']}, model {model.get('fingerprint', 'unknown')} at commit "
            f"{model.get('commit', 'unknown')}")


def markdown(current: dict, changes: List[str], limits: Dict[str, float], reference: Optional[dict] = None,
             reference_name: str = "the previous run") -> str:
    holdout, cross, suite = current["holdout"], current["cross_validation"], current["suite"]
    changed = changed_predictions(reference, current)
    lines = [f"# Evaluation, {current['at']}", "",
             f"- This run: {_side(current)}",
             f"- Compared with {reference_name}: {_side(reference) if reference else 'none yet'}",
             f"- Held-out NLU (tests/nlu/holdout.yml): macro F1 **{holdout['macro_f1']:.3f}** "
             f"(CI fails below {limits['holdout_macro_f1']:.2f}), accuracy {holdout['accuracy']:.3f}",
             *[f"- {side} data trained with {len(seed_scores(figures))} seeds "
               f"({', '.join(str(run['seed']) for run in figures['holdout']['seeds'])}): held-out macro F1 "
               f"{', '.join(f'{score:.3f}' for score in seed_scores(figures))} (mean {_mean(seed_scores(figures)):.3f})"
               for side, figures in (("This run's", current), (f"{reference_name.capitalize()}'s", reference or {}))
               if figures and len(seed_scores(figures)) > 1],
             f"- Cross-validation on data/nlu ({cross['folds']} folds): macro F1 {cross['macro_f1']:.3f}",
             f"- Test stories, end to end: {current['stories']['correct']} of {current['stories']['total']} pass",
             f"- Conversation suite (tests/e2e/visitors, the whole stack): {suite['passed']} of {suite['total']} "
             "visitors pass", "",
             f"## Since {reference_name}", ""] + [f"- {change}" for change in changes] + [
             "", f"## Held-out messages read differently since {reference_name} ({len(changed)})", ""]
    lines += [f"- {line}" for line in changed] or ["- none"]
    lines += ["", f"## Per intent (F1; held-out with its {INTERVAL:.0%} interval and number of messages)", "",
              "| intent | held-out | interval | messages | cross-validation |", "|---|---|---|---|---|"]
    for intent in sorted(holdout["intents"]):
        score = holdout["intents"][intent]
        if not isinstance(score, dict):  # figures of an earlier version
            score = {"f1": score, "low": float("nan"), "high": float("nan"), "messages": 0}
        lines.append(f"| {intent} | {score['f1']:.3f} | {score['low']:.3f}–{score['high']:.3f} | {score['messages']} "
                     f"| {cross['intents'].get(intent, float('nan')):.3f} |")
    lines += [f"- failing test story: {name}" for name in current["stories"].get("failed", [])]
    lines += ["", "## Conversation suite by category", "", "| category | passed | of |", "|---|---|---|"]
    lines += [f"| {category} | {passed} | {total} |" for category, (passed, total) in suite["categories"].items()]
    lines += [f"- failing: {name}" for name in suite["failed"]]
    lines += ["", "## Most frequent confusions (held-out)", "", "| intent | predicted as | times |", "|---|---|---|"]
    lines += [f"| {c['intent']} | {c['predicted']} | {c['count']} |" for c in holdout["confusions"]]
    lines += ["", "![Confusion matrix of the held-out set](intent_confusion_matrix.png)", ""]
    return "\n".join(lines)


def main(model: Path, pin: bool = False, seeds: int = 1) -> int:
    """Evaluates `model` and compares it with the baseline (or the previous run); `pin` makes this run the
    baseline; `seeds` above 1 also trains that many models less one from the same data with other seeds."""
    current = run(model, seeds=seeds)
    previous = json.loads(LATEST.read_text()) if LATEST.exists() else None
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else None
    reference, name = (baseline, "the baseline") if baseline else (previous, "the previous run")
    limits = thresholds()
    (REPORTS / "evaluation.md").write_text(markdown(current, compare(reference, current), limits, reference, name))
    if previous:
        (REPORTS / "previous.json").write_text(json.dumps(previous, indent=2, ensure_ascii=False))
    LATEST.write_text(json.dumps(current, indent=2, ensure_ascii=False))
    if pin:
        BASELINE.write_text(json.dumps(current, indent=2, ensure_ascii=False))
    print((REPORTS / "evaluation.md").read_text())
    if pin:
        print(f"Pinned as the baseline: {BASELINE.relative_to(config.ROOT)} (commit it).")
    return 0 if current["holdout"]["macro_f1"] >= limits["holdout_macro_f1"] else 1
