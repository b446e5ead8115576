"""Salespeople's accounts and signed-in sessions.

Passwords are hashed with scrypt (hashlib, a standard memory-hard KDF) and a random salt. A session
cookie carries a random token; the database keeps only its SHA-256, with the session's CSRF token and
expiry, so a leaked database does not let anyone in.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import List, Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.store.engine import engine
from bot.store.models import SignIn, User

SESSION_HOURS = 12
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}
MIN_PASSWORD_LENGTH = 10
# scrypt is slow on purpose: sign-ins check passwords on threads of their own, so a flood of them cannot
# take the default executor's threads that every database call of the web app waits for.
PASSWORD_CHECKS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="password-check")


@dataclass
class SignedIn:
    email: str
    csrf_token: str


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate.hex(), digest)


# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
_DECOY_HASH = hash_password(secrets.token_urlsafe(16))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(email: str, password: str, url: Optional[str] = None) -> None:
    email = email.strip().lower()
    if "@" not in email:
        raise ValueError(f"{email!r} is not an email address.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    with Session(engine(url), future=True) as session, session.begin():
        existing = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if existing is not None:
            existing.password_hash = hash_password(password)  # adding again resets the password
            session.execute(delete(SignIn).where(SignIn.user_id == existing.id))  # and signs them out
        else:
            session.add(User(email=email, password_hash=hash_password(password)))


async def sign_in(email: str, password: str, url: Optional[str] = None) -> Optional[str]:
    """A new session token for the right email and password, else None."""
    loop = asyncio.get_running_loop()
    email = email.strip().lower()
    stored = await loop.run_in_executor(None, _password_hash, email, url)
    matches = await loop.run_in_executor(PASSWORD_CHECKS, password_matches, password, stored or _DECOY_HASH)
    if not matches or stored is None:
        return None
    return await loop.run_in_executor(None, _start_session, email, stored, url)


def _password_hash(email: str, url: Optional[str]) -> Optional[str]:
    with Session(engine(url), future=True) as session:
        return session.execute(select(User.password_hash).where(User.email == email)).scalar_one_or_none()


def _start_session(email: str, checked_hash: str, url: Optional[str]) -> Optional[str]:
    with Session(engine(url), future=True) as session, session.begin():
        # The password may have been reset while it was checked: the old one no longer opens a session.
        user = session.execute(select(User).where(User.email == email, User.password_hash == checked_hash)
                               ).scalar_one_or_none()
        if user is None:
            return None
        session.execute(delete(SignIn).where(SignIn.expires_at <= utcnow()))
        token = secrets.token_urlsafe(32)
        session.add(SignIn(token_hash=_token_hash(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                           expires_at=utcnow() + dt.timedelta(hours=SESSION_HOURS)))
        return token


def signed_in(token: Optional[str], url: Optional[str] = None) -> Optional[SignedIn]:
    """Who holds this session token, if it exists and has not expired."""
    if not token:
        return None
    with Session(engine(url), future=True) as session:
        row = session.execute(
            select(SignIn, User.email).join(User, User.id == SignIn.user_id)
            .where(SignIn.token_hash == _token_hash(token))
        ).first()
        if row is None or row[0].expires_at <= utcnow():
            return None
        return SignedIn(email=row[1], csrf_token=row[0].csrf_token)


def sign_out(token: str, url: Optional[str] = None) -> None:
    with Session(engine(url), future=True) as session, session.begin():
        session.execute(delete(SignIn).where(SignIn.token_hash == _token_hash(token)))


def display_name(email: str) -> str:
    """How a visitor sees a salesperson in the chat: the first name their address gives ("sam.lee@acme.io": Sam)."""
    first = re.split(r"[._+\-]", email.split("@", 1)[0])[0]
    return first[:1].upper() + first[1:30] if first else "Sales"


def emails(url: Optional[str] = None) -> List[str]:
    """Every salesperson's email, in order."""
    with Session(engine(url), future=True) as session:
        return list(session.scalars(select(User.email).order_by(User.email)))


def exists(email: str, url: Optional[str] = None) -> bool:
    """Whether there is a salesperson with this email (in any case)."""
    with Session(engine(url), future=True) as session:
        return session.scalar(select(User.id).where(User.email == email.strip().lower())) is not None


def remove_user(email: str, url: Optional[str] = None) -> None:
    """Removes a salesperson's account and ends their sessions; LookupError when there is none."""
    email = email.strip().lower()
    with Session(engine(url), future=True) as session, session.begin():
        user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if user is None:
            raise LookupError(f"There is no salesperson {email!r}.")
        session.execute(delete(SignIn).where(SignIn.user_id == user.id))
        session.delete(user)
