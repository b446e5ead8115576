"""`bot try "message"`: how each model reads one message, side by side: the current model, the last one the
training gate rejected (or any model named), and the running server's (`make run`, which loads a new current
model by itself)."""
from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

from bot import config
from bot.config import MODEL, MODEL_DIR

REJECTED = MODEL_DIR / "rejected.tar.gz"  # the last model the test stories turned down (bot/trainer/model.py)
SHOWN = 5  # intents of each ranking


def models(named: List[Path]) -> Dict[str, Path]:
    """The models to read the message with: current, the last rejected one (if any), and those named."""
    found = {"current": MODEL} if MODEL.exists() else {}
    if REJECTED.exists():
        found["rejected"] = REJECTED
    for path in named:
        found[path.name] = path
    return found


async def _parse(model: Path, text: str) -> dict:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # not Rasa's debug line for every parse
    return await Agent.load(str(model)).parse_message(text)


def parse_with_models(text: str, chosen: Dict[str, Path]) -> Dict[str, dict]:
    return {name: asyncio.run(_parse(path, text)) for name, path in chosen.items()}


def parse_on_server(text: str, url: Optional[str] = None) -> Optional[dict]:
    """The running Rasa server's reading (its HTTP API), or None when none answers."""
    request = urllib.request.Request(f"{url or config.rasa_url()}/model/parse?token={config.rasa_token()}",
                                     data=json.dumps({"text": text}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    except (OSError, ValueError):
        return None


def table(text: str, parsed: Dict[str, dict]) -> str:
    """The readings side by side: each model's top intents with their confidence, and the entities it found."""
    names = list(parsed)
    width = max(24, *(len(name) + 2 for name in names))
    rankings = {name: [r for r in found.get("intent_ranking") or [] if r.get("name")][:SHOWN]
                for name, found in parsed.items()}
    lines = [f"“{text}”", "", "".join(f"{name:<{width}}" for name in names)]
    for place in range(SHOWN):
        cells = []
        for name in names:
            ranking = rankings[name]
            cells.append(f"{ranking[place]['name']} {ranking[place]['confidence']:.2f}" if place < len(ranking)
                         else "")
        if any(cells):
            lines.append("".join(f"{cell:<{width}}" for cell in cells))
    entities = {name: ", ".join(f"{e.get('entity')}={e.get('value')}" for e in found.get("entities") or [])
                or "no entities" for name, found in parsed.items()}
    lines.append("".join(f"{entities[name]:<{width}}" for name in names))
    chosen = {name: (found.get("intent") or {}).get("name") for name, found in parsed.items()}
    if len(set(chosen.values())) > 1:
        lines += ["", "The models disagree: " + ", ".join(f"{name} reads {intent}" for name, intent in chosen.items())]
    return "\n".join(lines)
