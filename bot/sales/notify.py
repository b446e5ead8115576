"""Announcing new handoff briefs to salespeople (a Slack-compatible webhook and/or email over SMTP), and telling
their CRM about each new brief and each change of its status (a signed JSON webhook, docs/crm.md).

Every brief gets one delivery row per channel, and one CRM event, in the same transaction as the brief
(briefs.save_handoff); a status change writes its CRM event with the change (inbox.py). These outboxes
(models.Outbox) are sent by the web app's worker: a failure is retried with growing waits and shown in the
inbox once it keeps failing; a row is marked done only after the endpoint accepted it, and a lease stops
two workers from sending the same one.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import smtplib
import ssl
import time
import urllib.request
from email.message import EmailMessage
from typing import Callable, List, Optional, Tuple, Type
from urllib.parse import unquote, urlparse

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, aliased

from bot import config
from bot.clock import utcnow
from bot.store.engine import engine
from bot.store.models import Brief, CrmEvent, Delivery, MeetingEmail, Outbox

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
    message = EmailMessage()
    name = (brief.get("contact") or {}).get("name") or "Anonymous visitor"
    subject = f"New brief #{brief['id']}: {name} ({brief['buying_stage'].replace('_', ' ')})"
    message["Subject"] = " ".join(subject.split())  # a visitor's newline cannot add a header
    message["From"] = os.environ.get("SALES_EMAIL_FROM", "sales-assistant@localhost")
    message["To"] = os.environ["SALES_EMAIL_TO"]
    message.set_content(f"{brief['headline']}\n\n{brief['summary']}\n\nOpen the brief: {brief_link(brief['id'])}\n")
    send_smtp(message)


def send_meeting_email(email: dict) -> None:
    """A meeting's invitation, update or cancellation (bot/sales/booking.py wrote it whole): text and an ICS."""
    message = EmailMessage()
    message["Subject"] = email["subject"]
    message["From"] = os.environ.get("SALES_EMAIL_FROM", "sales-assistant@localhost")
    message["To"] = email["recipient"]
    message.set_content(email["body"])
    message.add_attachment(email["ics"].encode(), maintype="text", subtype="calendar",
                           filename="invite.ics" if email["method"] == "REQUEST" else "cancel.ics",
                           params={"method": email["method"]})
    send_smtp(message)


def send_smtp(message: EmailMessage) -> None:
    target = urlparse(os.environ["SMTP_URL"])  # smtp://user:password@host:port or smtps://...
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


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 of "<timestamp>.<body>": the time is signed too, so an old call cannot be replayed."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def send_crm(message: dict) -> None:
    """Posts one CRM event; any answer but 2xx (or no answer) is a failure, retried later."""
    body = json.dumps(message).encode()
    timestamp = int(time.time())
    signature = webhook_signature(config.crm_webhook_secret(), timestamp, body)
    request = urllib.request.Request(config.crm_webhook_url(), data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "demand-side-sales-bot", "X-Bot-Event": message["event"],
        "X-Bot-Delivery": str(message["id"]), "X-Bot-Signature": f"t={timestamp},v1={signature}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # 4xx and 5xx raise HTTPError
        if response.status >= 300:
            raise RuntimeError(f"the CRM webhook answered {response.status}")


def _sending(row: Outbox, session: Session) -> Tuple[str, Callable[[], None]]:
    """What a due row is, in words for the log, and the call that sends it (everything read beforehand)."""
    if isinstance(row, MeetingEmail):
        email = {name: getattr(row, name) for name in ("recipient", "subject", "body", "ics", "method")}
        return f"meeting {row.meeting_id} email to {row.recipient}", lambda: send_meeting_email(email)
    if isinstance(row, CrmEvent):
        message = row.message()
        return f"brief {row.brief_id} to the CRM ({row.kind})", lambda: send_crm(message)
    brief, channel = session.get(Brief, row.brief_id).to_json(), row.channel
    return f"brief {row.brief_id} by {channel}", lambda: SENDERS[channel](brief)


def _due(outbox: Type[Outbox], now: dt.datetime, url: Optional[str]) -> List[tuple]:
    due = [outbox.delivered_at.is_(None), outbox.next_attempt_at <= now]
    if outbox is CrmEvent:  # a brief's events in order, whichever worker sends them: none before an older one
        older = aliased(CrmEvent)
        due.append(~exists().where(older.brief_id == CrmEvent.brief_id, older.id < CrmEvent.id,
                                   older.delivered_at.is_(None)))
    with Session(engine(url), future=True) as session:
        return session.execute(select(outbox.id, outbox.next_attempt_at).where(*due).order_by(outbox.id)).all()


def _lease(outbox: Type[Outbox], row_id: int, seen: dt.datetime, until: dt.datetime, url: Optional[str]) -> bool:
    """Takes one row for this worker: only one worker's update can match what it saw."""
    with Session(engine(url), future=True) as session, session.begin():
        taken = session.execute(update(outbox).where(
            outbox.id == row_id, outbox.next_attempt_at == seen,
            outbox.delivered_at.is_(None)).values(next_attempt_at=until))
        return taken.rowcount == 1


def deliver_due(now: Optional[dt.datetime] = None, url: Optional[str] = None) -> int:
    """Sends every due notification and CRM event once; returns how many were delivered.

    Each row is leased just before it is sent, so a second worker cannot send it meanwhile. A crash between
    sending and recording would send it again later: at least once, never lost (a CRM event carries the
    same id each time, for the receiver to see a repeat). A brief's CRM events go out one after another,
    each once the one before it was accepted.
    """
    now = now or utcnow()
    delivered = 0
    for outbox in (Delivery, MeetingEmail, CrmEvent):
        while True:
            sent = _deliver(outbox, now, url)
            delivered += sent
            if not sent or outbox is not CrmEvent:  # a sent CRM event may have freed its brief's next one
                break
    return delivered


def _deliver(outbox: Type[Outbox], now: dt.datetime, url: Optional[str]) -> int:
    delivered = 0
    for row_id, seen in _due(outbox, now, url):
        lease = max(now, utcnow()) + LEASE
        if not _lease(outbox, row_id, seen, lease, url):
            continue
        with Session(engine(url), future=True) as session:
            what, send = _sending(session.get(outbox, row_id), session)
        try:
            send()
            error = None
        except Exception as failure:  # any failure: keep it, retry later
            error = f"{failure.__class__.__name__}: {failure}"
            logger.warning("Sending %s failed: %s", what, error)
        with Session(engine(url), future=True) as session, session.begin():
            row = session.get(outbox, row_id)
            row.attempts += 1
            if error is None:
                row.delivered_at = utcnow()
                delivered += 1
            else:
                row.last_error = error[:1000]
                row.next_attempt_at = now + retry_wait(row.attempts)
    return delivered
