"""A visitor's booked call, from the link in their invitation: see it, cancel it, move it. No sign-in: the secret
token in the URL is the only key (the database keeps only its hash, bot/sales/booking.py)."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from typing import Optional

from aiohttp import web

from bot import config
from bot.clock import iso
from bot.conversation import product
from bot.sales import booking
from bot.web import render
from bot.web.common import in_thread

TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what booking's links look like; anything else is not looked up
CHOICES = 5  # free times offered to move the call to
DONE = {"cancelled": "Your call is cancelled. We have emailed you the cancellation.",
        "moved": "Your call is moved. We have emailed you the updated invitation."}


def starts_at(meeting: dict) -> dt.datetime:
    """A meeting's start (ISO with a Z, as Meeting.to_json() gives it) as an aware UTC datetime."""
    return dt.datetime.fromisoformat(meeting["starts_at"].replace("Z", "+00:00"))


def form_token(token: str) -> str:
    """The CSRF token of this link's forms. The link's secret already keeps other sites from knowing where to post;
    this HMAC of it under the server's secret makes every post also carry a value only a page this server rendered
    holds, as the inbox's forms do. Derived, not stored: no cookie, no session, nothing to expire."""
    return hmac.new(config.session_secret().encode(), f"meeting-form:{token}".encode(), hashlib.sha256).hexdigest()


def _slots(meeting: dict) -> list:
    """(value, label) of the next free times of the same salesperson, in the visitor's time zone (within their day
    first, as the chat offers them)."""
    starts = booking.free_slots(CHOICES, salesperson=meeting["salesperson"],
                                visitor_time_zone=meeting["visitor_time_zone"])
    return [(iso(start), booking.label(start, meeting["visitor_time_zone"])) for start in starts]


async def _page(token: str, meeting: Optional[dict], status: int = 200, done: str = "",
                error: str = "") -> web.Response:
    slots = await in_thread(_slots, meeting) if meeting and meeting["status"] == "booked" else []
    when = booking.label(starts_at(meeting), meeting["visitor_time_zone"]) if meeting else ""
    facts = product.facts()
    return web.Response(text=render.page("meeting.html", meeting=meeting, token=token, when=when,
                                         zone=booking.zone_label(meeting["visitor_time_zone"]) if meeting else "",
                                         slots=slots, done=DONE.get(done, ""), error=error,
                                         csrf=form_token(token), company=facts.get("company") or facts["product"]),
                        content_type="text/html", status=status)


async def _meeting_or_404(request: web.Request) -> dict:
    token = request.match_info["token"]
    meeting = await in_thread(booking.meeting_by_token, token) if TOKEN.fullmatch(token) else None
    if meeting is None:
        raise web.HTTPNotFound(text=(await _page(token, None, 404)).text, content_type="text/html")
    return meeting


async def _form(request: web.Request, meeting: dict):
    """The posted form, once its CSRF token is checked: a post from another page is refused, and nothing changes."""
    form, token = await request.post(), request.match_info["token"]
    if not hmac.compare_digest(str(form.get("csrf", "")).encode(), form_token(token).encode()):
        raise web.HTTPForbidden(text=(await _page(token, meeting, 403, error="This form did not come from this "
                                                  "page, so nothing changed. Use the buttons below.")).text,
                                content_type="text/html")
    return form


async def meeting_page(request: web.Request) -> web.Response:
    meeting = await _meeting_or_404(request)
    return await _page(request.match_info["token"], meeting, done=request.query.get("done", ""))


async def cancel(request: web.Request) -> web.Response:
    meeting = await _meeting_or_404(request)
    await _form(request, meeting)
    token = request.match_info["token"]
    if await in_thread(booking.cancel, token) is None:
        raise web.HTTPNotFound()
    # After a post, a redirect: reloading the page shows the result and does not post again.
    raise web.HTTPSeeOther(f"/meetings/{token}?done=cancelled")


async def move(request: web.Request) -> web.Response:
    meeting = await _meeting_or_404(request)
    form, token = await _form(request, meeting), request.match_info["token"]
    try:
        start = dt.datetime.fromisoformat(str(form.get("start", "")).replace("Z", "+00:00"))
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        return await _page(token, meeting, 400, error="Choose one of the times below.")
    if await in_thread(booking.move, token, start) is None:
        # Cancelled, or someone else booked that time since the page was shown: the call keeps its time.
        meeting = await _meeting_or_404(request)
        return await _page(token, meeting, 409, error="This call is cancelled, so it cannot be moved."
                           if meeting["status"] != "booked" else
                           "That time is no longer free, so your call was not moved. Here are the times free now.")
    raise web.HTTPSeeOther(f"/meetings/{token}?done=moved")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/meetings/{token}", meeting_page)
    app.router.add_post("/meetings/{token}/cancel", cancel)
    app.router.add_post("/meetings/{token}/move", move)
