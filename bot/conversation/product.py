"""Product facts from the one file a company edits (product.yml, or PRODUCT_FILE)."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Optional

import yaml

from bot import config


@functools.lru_cache(maxsize=None)
def facts(path: Optional[Path] = None) -> dict:
    with open(path or config.PRODUCT_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def answer(intent: str) -> Optional[str]:
    """The company's answer to a product question intent (e.g. `ask_pricing`), if it gave one."""
    return facts()["answers"].get(intent)


def message(name: str) -> str:
    """A company message such as `handoff` (what happens next, and when)."""
    return facts()[name]
