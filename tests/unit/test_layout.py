"""The package's plan holds: each layer imports only the layers below it (README, "Layout")."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = {"bot.config", "bot.clock", "bot.safety"}
# What each part of the code may import from this project, besides itself and the shared modules.
MAY_IMPORT = {
    "bot.conversation": set(),
    "bot.store": {"bot.conversation"},
    "bot.sales": {"bot.store", "bot.conversation"},
    "bot.web": {"bot.sales", "bot.store", "bot.conversation"},
    "bot.trainer": {"bot.store", "bot.conversation"},
    "actions": {"bot.conversation", "bot.store", "bot.sales"},  # bot.sales.booking: a call booked in the chat
    "components": {"bot.conversation"},
    "channels": {"bot.conversation", "bot.store"},  # bot.store.presence: who is on the page now
}
PURE_FORBIDS = ("sqlalchemy", "psycopg2", "sqlite3", "aiohttp", "rasa", "rasa_sdk", "socket", "subprocess",
                "http", "urllib.request", "smtplib")


def imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield from (f"{node.module}.{alias.name}" for alias in node.names)  # `from bot import config`


def part_of(module: str) -> str:
    parts = [*MAY_IMPORT, *SHARED]
    return next((part for part in parts if module == part or module.startswith(part + ".")), module)


@pytest.mark.parametrize("part", sorted(MAY_IMPORT))
def test_each_layer_imports_only_the_layers_below_it(part):
    allowed = {part} | MAY_IMPORT[part] | SHARED
    wrong = []
    for path in sorted((ROOT / part.replace(".", "/")).rglob("*.py")):
        for module in imports(path):
            if module.split(".")[0] in ("bot", "actions") and part_of(module) not in allowed:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_the_conversation_is_pure():
    found = [f"{path.relative_to(ROOT)} imports {module}"
             for path in sorted((ROOT / "bot" / "conversation").rglob("*.py")) for module in imports(path)
             if module.startswith(PURE_FORBIDS)]
    assert found == []


def test_shared_modules_import_nothing_of_ours():
    for name in ("config", "clock"):
        assert [m for m in imports(ROOT / "bot" / f"{name}.py") if m.startswith(("bot", "actions"))] == []
    assert [m for m in imports(ROOT / "bot" / "safety.py") if m.startswith(("bot", "actions"))] == ["bot.config"]
