"""Announcing new handoff briefs to salespeople: a Slack-compatible webhook and/or email over SMTP.

Every brief gets one delivery row per channel in the same transaction as the brief (storage.save_handoff).
The web app's worker sends what is due: a failure is retried with growing waits and shown in the
inbox once it keeps failing; a delivery is marked done only after the endpoint accepted it, and a
lease stops two workers from sending the same one.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import os
import smtplib
import ssl
import urllib.request
from email.message import EmailMessage
from typing import List, Optional
from urllib.parse import unquote, urlparse

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import config
from bot.clock import utcnow
from bot.store.engine import engine
from bot.store.models import Brief, Delivery

logger = logging.getLogger(__name__)
LEASE = dt.timedelta(seconds=60)
MAX_WAIT_SECONDS = 300


def retry_wait(attempts: int) -> dt.timedelta:
    base = float(os.environ.get("NOTIFY_RETRY_SECONDS", "2"))
    return dt.timedelta(seconds=min(base * 2 ** (attempts - 1), MAX_WAIT_SECONDS))


def brief_link(brief_id: int) -> str:
    return f"{config.public_web_url()}/inbox/briefs/{brief_id}"


def slack_escape(text: str) -> str:
    """Slack reads <...> as links and mentions: a visitor's text must not."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def send_slack(brief: dict) -> None:
    text = (f"New {brief['handoff_reason'].replace('_', ' ')} brief: {slack_escape(brief['headline'])}\n"
            f"<{brief_link(brief['id'])}|Open brief #{brief['id']}>")
    request = urllib.request.Request(os.environ["SLACK_WEBHOOK_URL"], data=json.dumps({"text": text}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status >= 300:
            raise RuntimeError(f"Slack answered {response.status}")


def _plaintext_allowed(host: Optional[str]) -> bool:
    """Clear text only to a server on this machine (development, tests) or when SMTP_ALLOW_PLAINTEXT says so."""
    if os.environ.get("SMTP_ALLOW_PLAINTEXT", "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    try:
        return host == "localhost" or ipaddress.ip_address(host or "").is_loopback
    except ValueError:  # a host name other than localhost
        return False


def send_email(brief: dict) -> None:
    target = urlparse(os.environ["SMTP_URL"])  # smtp://user:password@host:port or smtps://...
    message = EmailMessage()
    name = (brief.get("contact") or {}).get("name") or "Anonymous visitor"
    subject = f"New brief #{brief['id']}: {name} ({brief['buying_stage'].replace('_', ' ')})"
    message["Subject"] = " ".join(subject.split())  # a visitor's newline cannot add a header
    message["From"] = os.environ.get("SALES_EMAIL_FROM", "sales-assistant@localhost")
    message["To"] = os.environ["SALES_EMAIL_TO"]
    message.set_content(f"{brief['headline']}\n\n{brief['summary']}\n\nOpen the brief: {brief_link(brief['id'])}\n")
    tls = ssl.create_default_context()
    if target.scheme == "smtps":
        smtp = smtplib.SMTP_SSL(target.hostname, target.port or 465, timeout=10, context=tls)
    else:
        smtp = smtplib.SMTP(target.hostname, target.port or 25, timeout=10)
    with smtp:
        if target.scheme != "smtps":
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=tls)
            elif not _plaintext_allowed(target.hostname):  # a password and a visitor's words, in clear
                raise smtplib.SMTPNotSupportedError(
                    f"{target.hostname} does not offer STARTTLS: not sending in clear text "
                    "(SMTP_ALLOW_PLAINTEXT=1 allows it)")
        if target.username:
            smtp.login(unquote(target.username), unquote(target.password or ""))
        smtp.send_message(message)


SENDERS = {"slack": send_slack, "email": send_email}


def _due(now: dt.datetime, url: Optional[str]) -> List[tuple]:
    with Session(engine(url), future=True) as session:
        return session.execute(select(Delivery.id, Delivery.next_attempt_at).where(
            Delivery.delivered_at.is_(None), Delivery.next_attempt_at <= now).order_by(Delivery.id)).all()


def _lease(delivery_id: int, seen: dt.datetime, until: dt.datetime, url: Optional[str]) -> bool:
    """Takes one delivery for this worker: only one worker's update can match what it saw."""
    with Session(engine(url), future=True) as session, session.begin():
        taken = session.execute(update(Delivery).where(
            Delivery.id == delivery_id, Delivery.next_attempt_at == seen,
            Delivery.delivered_at.is_(None)).values(next_attempt_at=until))
        return taken.rowcount == 1


def deliver_due(now: Optional[dt.datetime] = None, url: Optional[str] = None) -> int:
    """Sends every due notification once; returns how many were delivered.

    Each delivery is leased just before it is sent, so a second worker cannot send it meanwhile. A
    crash between sending and recording would send it again later: at least once, never lost.
    """
    now = now or utcnow()
    delivered = 0
    for delivery_id, seen in _due(now, url):
        lease = max(now, utcnow()) + LEASE
        if not _lease(delivery_id, seen, lease, url):
            continue
        with Session(engine(url), future=True) as session:
            delivery = session.get(Delivery, delivery_id)
            channel, brief = delivery.channel, session.get(Brief, delivery.brief_id).to_json()
        try:
            SENDERS[channel](brief)
            error = None
        except Exception as failure:  # any failure: keep it, retry later
            error = f"{failure.__class__.__name__}: {failure}"
            logger.warning("Notifying brief %s by %s failed: %s", brief["id"], channel, error)
        with Session(engine(url), future=True) as session, session.begin():
            delivery = session.get(Delivery, delivery_id)
            delivery.attempts += 1
            if error is None:
                delivery.delivered_at = utcnow()
                delivered += 1
            else:
                delivery.last_error = error[:1000]
                delivery.next_attempt_at = now + retry_wait(delivery.attempts)
    return delivered
