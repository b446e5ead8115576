"""Training: the spaCy pipeline, then a Rasa model, only when its inputs changed, kept only if it passes
every test story (otherwise the last good model stays)."""
from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List

import yaml

from bot import config
from bot.config import MODEL, MODEL_DIR

FINGERPRINT = MODEL_DIR / "current.fingerprint"
PIPELINE_SOURCE = "bot/conversation/nlp.py"
TRAINING_INPUTS = ["config.yml", "domain.yml", "data", PIPELINE_SOURCE, "components"]
# The end-to-end test stories: test_recorded.yml (scripts/record-test-stories) and any test_*.yml written by hand.
TEST_STORIES = config.ROOT / "tests" / "stories"


class ModelRejected(Exception):
    pass


def build_nlp(force: bool = False) -> None:
    from bot.conversation import nlp

    meta = config.SPACY_PIPELINE_DIR / "meta.json"
    source = config.ROOT / PIPELINE_SOURCE
    if force or not meta.exists() or meta.stat().st_mtime < source.stat().st_mtime:
        nlp.save_pipeline()
        print(f"Built the spaCy pipeline in {config.SPACY_PIPELINE_DIR.relative_to(config.ROOT)}")


def training_fingerprint() -> str:
    """Hash of everything a trained model depends on (the spaCy pipeline is built from its source)."""
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = config.ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(config.ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def failed_stories(model: Path, stories: Path = TEST_STORIES) -> List[str]:
    """Names of the test stories a model gets wrong, run end to end: NLU reads each visitor message's words, so a
    model that reads them as another intent (or extracts other entities) fails the story."""
    files = sorted(stories.rglob("*.y*ml")) if stories.is_dir() else [stories]
    ignored = [str(path) for path in files if not path.name.startswith("test_")]
    if ignored:  # Rasa would skip them without a word, and every story in them would "pass"
        raise ValueError(f"Rasa reads end-to-end test stories only from files named test_*.yml: rename "
                         f"{', '.join(ignored)}")
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "-m", "rasa", "test", "core", "--stories", str(stories), "--e2e",
                        "--model", str(model), "--out", out], cwd=config.ROOT, env=config.rasa_env(),
                       capture_output=True, check=True)
        return failed_story_names(Path(out))


def failed_story_names(out: Path) -> List[str]:
    """The test stories `rasa test core` wrote as failed into `out`."""
    failed = yaml.safe_load((out / "failed_test_stories.yml").read_text() or "{}") or {}
    # Rasa appends " (the/file.yml)" to each failed story's name.
    return [story["story"].rsplit(" (", 1)[0] for story in failed.get("stories") or []]


def train(force: bool = False) -> bool:
    """Train only when config.yml, domain.yml, data/ or the pipeline changed; returns True if trained.

    The new model replaces the last good one only if it passes the test stories; otherwise the last
    good model stays and ModelRejected says which stories failed.
    """
    fingerprint = training_fingerprint()
    if not force and MODEL.exists() and FINGERPRINT.exists() and FINGERPRINT.read_text() == fingerprint:
        build_nlp()  # the model does not contain the pipeline: it must exist to serve
        print("Model is up to date (config.yml, domain.yml, data/ and the pipeline are unchanged).")
        return False
    build_nlp(force=True)  # SpacyNLP's fingerprint is only the path: always train on a fresh build
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "rasa", "train", "--fixed-model-name", "candidate", "--out",
                    str(MODEL_DIR)], cwd=config.ROOT, check=True, env=config.rasa_env())
    candidate = MODEL_DIR / "candidate.tar.gz"
    print(f"Trained in {time.monotonic() - started:.0f} s; checking it against tests/stories/ (end to end)")
    failed = failed_stories(candidate)
    if failed:
        candidate.replace(MODEL_DIR / "rejected.tar.gz")
        kept = "kept the last good model, models/current.tar.gz" if MODEL.exists() else "there is no good model yet"
        raise ModelRejected(f"the new model fails {len(failed)} test stories, so {kept} (the new one is "
                            f"models/rejected.tar.gz):\n" + "\n".join(f"  - {name}" for name in failed))
    candidate.replace(MODEL)
    (MODEL_DIR / "rejected.tar.gz").unlink(missing_ok=True)  # superseded: `bot try` compares with the current one
    FINGERPRINT.write_text(fingerprint)
    print("It passes every test story: models/current.tar.gz replaced.")
    return True
