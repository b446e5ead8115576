"""Briefs that could not be stored when the visitor was handed off (the database was down): kept as files
under var/pending-briefs and stored by the web app's worker once the database answers, each exactly once."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Optional

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot import config
from bot.clock import utcnow
from bot.store import briefs
from bot.store.engine import DatabaseUnreachable, engine
from bot.store.models import Brief

logger = logging.getLogger(__name__)


def folder() -> Path:
    return config.VAR_DIR / "pending-briefs"


def keep(fields: dict) -> Path:
    """Writes the brief to disk at once (atomically: a half-written file is never read)."""
    folder().mkdir(parents=True, exist_ok=True)
    target = folder() / f"{uuid.uuid4().hex}.json"
    partial = target.with_suffix(".part")
    partial.write_text(json.dumps({**fields, "created_at": utcnow().isoformat()}, ensure_ascii=False))
    os.replace(partial, target)
    return target


def store_pending(url: Optional[str] = None) -> int:
    """Stores the kept briefs; a brief already stored (same visitor, same moment) is not stored again.
    One the database refuses for what it holds (not for being away) goes to failed/, so it cannot hold
    up the others. Several web apps may share the folder (`bot run-scaled`): each brief is first claimed
    by renaming it, which only one of them can do."""
    _release_stale_claims()
    stored = 0
    for path in sorted(folder().glob("*.json")):
        claimed = _claim(path)
        if claimed is None:
            continue  # another web app took it
        try:
            fields = json.loads(claimed.read_text())
            fields["created_at"] = dt.datetime.fromisoformat(fields["created_at"])
            with Session(engine(url), future=True) as session:
                already = session.execute(select(Brief.id).where(
                    Brief.sender_id == fields["sender_id"], Brief.created_at == fields["created_at"])).first()
            if not already:
                brief_id = briefs.save_handoff(fields, url=url)
                logger.warning("Stored brief %s for %r, kept on disk while the database was unreachable",
                               brief_id, fields["sender_id"])
                stored += 1
        except (OperationalError, DatabaseUnreachable):
            os.replace(claimed, path)  # the database is still away: all of them wait for the next round
            raise
        except Exception:
            logger.exception("The kept brief %s cannot be stored; moved to %s", path.name, folder() / "failed")
            (folder() / "failed").mkdir(exist_ok=True)
            os.replace(claimed, folder() / "failed" / path.name)
            continue
        claimed.unlink(missing_ok=True)  # (erased meanwhile: `forget`)
    return stored


# A claim older than this belongs to a web app that stopped while storing it: the brief goes back in line
# (and is not stored twice: the check above finds it if it was stored).
STALE_CLAIM_SECONDS = 600


def _claim(path: Path) -> Optional[Path]:
    """Renames a kept brief for this web app alone (of several renaming it at once, one succeeds)."""
    claimed = path.with_name(f"{path.name}.{uuid.uuid4().hex}.claimed")
    try:
        os.utime(path)  # the claim's age starts now (a rename keeps the time)
        os.rename(path, claimed)
    except FileNotFoundError:
        return None
    return claimed


def _release_stale_claims() -> None:
    for claimed in folder().glob("*.claimed"):
        try:
            if time.time() - claimed.stat().st_mtime > STALE_CLAIM_SECONDS:
                os.rename(claimed, claimed.with_name(claimed.name.rsplit(".", 2)[0]))
        except FileNotFoundError:
            pass  # stored, or released by another web app


def forget(sender_ids) -> int:
    """Deletes the kept briefs of these visitors (erasure), claimed ones included; returns how many."""
    senders, forgotten = set(sender_ids), 0
    for path in [*folder().glob("*.json"), *folder().glob("*.claimed")]:
        try:
            if json.loads(path.read_text()).get("sender_id") in senders:
                path.unlink()
                forgotten += 1
        except FileNotFoundError:
            pass  # stored or renamed meanwhile
    return forgotten
