"""`make validate`: Rasa's checks of the data, the domain and the stories' structure (conflicting stories), failing
on any warning that says something is wrong. Rasa also warns that responses the forms ask (`utter_ask_<slot>`) or
the custom actions send are "not used in any story or rule": those are said, so they are listed, not failed on; a
response nothing says fails."""
from __future__ import annotations

import re
import subprocess
import sys
from typing import List, Tuple

import yaml

from bot import config

UNUSED = re.compile(r"UserWarning: The utterance '(\w+)' is not used in any story or rule\.")
WARNING = re.compile(r"(\w*Warning): (.*)")
# Printed by Rasa 3.6 whenever it reads a domain, whatever the domain says.
ALWAYS_PRINTED = ("Slot auto-fill has been removed in 3.0",)


def said_elsewhere(domain: dict, actions_source: str) -> set:
    """The responses a form asks (its required slots' `utter_ask_...`) or the custom actions name."""
    asked = {f"utter_ask_{slot}" for form in (domain.get("forms") or {}).values()
             for slot in form.get("required_slots") or []}
    asked |= {f"utter_ask_{name}_{slot}" for name, form in (domain.get("forms") or {}).items()
              for slot in form.get("required_slots") or []}
    named = set(re.findall(r"[\"'](utter_\w+)[\"']", actions_source))
    return {name for name in domain.get("responses") or {} if name in asked | named}


def judge(output: str, domain: dict, actions_source: str) -> Tuple[List[str], List[str]]:
    """From Rasa's output: (problems, responses said by forms or actions that Rasa warned about)."""
    elsewhere = said_elsewhere(domain, actions_source)
    problems, explained = [], []
    for name in UNUSED.findall(output):
        if name in elsewhere:
            explained.append(name)
        else:
            problems.append(f"the response {name} is never said: no story, rule, form or action uses it")
    for kind, text in WARNING.findall(output):
        if kind == "UserWarning" and UNUSED.search(f"{kind}: {text}"):
            continue
        if kind in ("UserWarning", "FutureWarning") and not text.startswith(ALWAYS_PRINTED):
            problems.append(f"{kind}: {text.strip()}")
    return problems, sorted(explained)


def main() -> int:
    run = subprocess.run([sys.executable, "-m", "rasa", "data", "validate", "--fail-on-warnings"], cwd=config.ROOT,
                         env=config.rasa_env(), capture_output=True, text=True)
    output = run.stdout + run.stderr
    domain = yaml.safe_load((config.ROOT / "domain.yml").read_text())
    source = "\n".join(path.read_text() for path in sorted((config.ROOT / "actions").rglob("*.py")))
    problems, explained = judge(output, domain, source)
    if run.returncode:
        print(output[-6000:])
        problems.insert(0, "Rasa's validation failed (its output is above)")
    if explained:
        print(f"{len(explained)} responses are asked by forms or sent by custom actions, not by stories or rules "
              f"(Rasa warns about them; they are said): {', '.join(explained)}")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print("Data, domain and stories are valid: no conflicting stories, every intent, action and response used.")
    return 1 if problems else 0
