"""The conversation data: Rasa's validator, the end-to-end test stories and a held-out NLU evaluation."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.config import MODEL, rasa_env
from bot.trainer.evaluate import thresholds

ROOT = Path(__file__).resolve().parents[2]
MIN_MACRO_F1 = thresholds()["holdout_macro_f1"]  # kept in tests/nlu/thresholds.json


def rasa(*args):
    return subprocess.run([sys.executable, "-m", "rasa", *args], cwd=ROOT, env=rasa_env(),
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def model():
    assert MODEL.exists(), "no trained model: run `make test` (it trains when config, domain or data changed)"
    return str(MODEL)


def examples(path):
    found = {}
    for block in yaml.safe_load(Path(path).read_text())["nlu"]:
        for line in block["examples"].splitlines():
            if line.strip().startswith("- "):
                found.setdefault(block["intent"], []).append(line.strip()[2:].strip())
    return found


def test_make_validate_passes_and_says_which_responses_only_forms_and_actions_use():
    result = subprocess.run([sys.executable, "-m", "bot", "validate"], cwd=ROOT, env=rasa_env(), capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "responses are asked by forms or sent by custom actions" in result.stdout
    assert "utter_ask_situation" in result.stdout and "error" not in result.stderr


def test_every_intent_has_enough_varied_examples():
    training = {}
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for intent, lines in examples(path).items():
            training.setdefault(intent, []).extend(lines)
    domain_intents = yaml.safe_load((ROOT / "domain.yml").read_text())["intents"]
    assert sorted(training) == sorted(domain_intents)
    for intent, lines in training.items():
        assert len({line.lower() for line in lines}) >= (150 if intent == "inform" else 25), intent


def test_the_test_stories_pass_end_to_end(model, tmp_path):
    stories = [story for path in sorted((ROOT / "tests" / "stories").glob("*.yml"))
               for story in yaml.safe_load(path.read_text())["stories"]]
    assert len(stories) >= 20
    result = rasa("test", "core", "--stories", "tests/stories", "--model", model, "--e2e",
                  "--fail-on-prediction-errors", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    report = json.loads((tmp_path / "story_report.json").read_text())
    assert report["conversation_accuracy"]["correct"] == len(stories)


def test_the_training_gate_fails_a_story_whose_visitor_words_the_model_reads_as_another_intent(model, tmp_path):
    """The gate runs the stories end to end: the visitor's words, not only the intents the story names."""
    from bot.trainer.model import failed_stories

    recorded = yaml.safe_load((ROOT / "tests" / "stories" / "test_recorded.yml").read_text())
    story = recorded["stories"][0]
    struggle = next(step for step in story["steps"] if step.get("intent") == "inform")
    struggle["user"] = "can I please speak with someone from your sales team"  # read as request_human
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "test_changed.yml").write_text(yaml.safe_dump({"version": "3.1", "stories": [story]}))
    assert failed_stories(Path(model), tmp_path / "stories") == [story["story"]]
    assert failed_stories(Path(model), ROOT / "tests" / "stories") == []
    (tmp_path / "stories" / "by_hand.yml").write_text("")  # a name Rasa would skip without a word
    with pytest.raises(ValueError, match="named test_\\*.yml: rename .*by_hand.yml"):
        failed_stories(Path(model), tmp_path / "stories")


def test_nlu_on_held_out_messages(model, tmp_path, capsys):
    holdout = examples(ROOT / "tests" / "nlu" / "holdout.yml")
    training = {line.lower() for path in (ROOT / "data" / "nlu").glob("*.yml")
                for lines in examples(path).values() for line in lines}
    held_out = [line for lines in holdout.values() for line in lines]
    assert len(held_out) >= 150
    assert not training & {line.lower() for line in held_out}, "held-out messages leaked into training data"

    result = rasa("test", "nlu", "--nlu", "tests/nlu/holdout.yml", "--model", model, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "intent_report.json").read_text())
    rows = sorted((name, scores) for name, scores in report.items() if name in holdout)
    with capsys.disabled():
        print(f"\n\nNLU on {len(held_out)} held-out messages (tests/nlu/holdout.yml)")
        print(f"  {'intent':<20} {'F1':>6} {'support':>8}")
        for name, scores in rows:
            print(f"  {name:<20} {scores['f1-score']:>6.3f} {scores['support']:>8}")
        print(f"  {'macro F1':<20} {report['macro avg']['f1-score']:>6.3f}   accuracy {report['accuracy']:.3f}\n")
    assert report["macro avg"]["f1-score"] >= MIN_MACRO_F1


def test_the_training_gate_names_the_stories_a_model_fails(model, tmp_path):
    """`bot train` replaces the model only when this list is empty for the new one."""
    from bot.trainer.model import failed_stories

    wrong = tmp_path / "test_wrong.yml"
    wrong.write_text('version: "3.1"\nstories:\n- story: a greeting answered with a goodbye\n  steps:\n'
                     '  - user: |\n      hello there\n    intent: greet\n  - action: utter_goodbye\n')
    assert failed_stories(MODEL, wrong) == ["a greeting answered with a goodbye"]


def test_a_model_that_breaks_a_test_story_does_not_replace_the_last_good_one(model, tmp_path):
    """`bot train` in a copy of the project whose rules were broken: it says which stories fail and
    keeps the last good model."""
    import hashlib
    import shutil

    copy = tmp_path / "project"
    # The project as it is in the working tree: what git tracks or would track, without ignored output.
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    for name in listed.splitlines():
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    shutil.copytree(ROOT / "models", copy / "models")
    shutil.copytree(ROOT / "build", copy / "build")
    if (ROOT / ".rasa").exists():
        shutil.copytree(ROOT / ".rasa", copy / ".rasa")  # Rasa's cache: only the dialogue model retrains
    rules = copy / "data" / "rules" / "interruptions.yml"
    rules.write_text(rules.read_text().replace("  - intent: ask_why\n  - action: utter_explain_why\n",
                                               "  - intent: ask_why\n  - action: utter_goodbye\n"))
    before = hashlib.sha256((copy / "models" / "current.tar.gz").read_bytes()).hexdigest()
    env = {**rasa_env(), "PYTHONPATH": str(copy)}
    result = subprocess.run([sys.executable, "-m", "bot", "train"], cwd=copy, env=env, capture_output=True,
                            text=True)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "kept the last good model" in result.stderr
    assert "  - asks why the bot asks, then answers" in result.stderr
    assert hashlib.sha256((copy / "models" / "current.tar.gz").read_bytes()).hexdigest() == before
    assert (copy / "models" / "rejected.tar.gz").exists()
