"""The salespeople's inbox: brief list and CSV, brief page, claim/status/notes, live takeover, dashboard,
outcomes, one's own availability for calls."""
from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import zoneinfo
from typing import Optional

from aiohttp import web

from bot import config
from bot.conversation import contact
from bot.conversation.slots import STAGES
from bot.conversation.transcript import visible_messages
from bot.sales import accounts, booking, dashboard, inbox, live, outcomes
from bot.store import briefs
from bot.web import live as live_feed
from bot.web import meetings, rasa_client, render
from bot.web.common import BRIEF_ID, error, in_thread

CSV_COLUMNS = ("id", "created_at", "status", "claimed_by", "handoff_reason", "qualified", "buying_stage",
               "struggle", "situation", "current_solution", "desired_progress", "trigger", "timeline",
               "anxieties", "cost_of_inaction", "name", "email", "company", "summary", "page_url")


VIEWS = ("mine", "unassigned")  # besides every brief: the ones I claimed, the ones nobody claimed


def _filters(request: web.Request) -> dict:
    filters = {name: request.query.get(name, "").strip() for name in ("view", "status", "stage", "q")}
    if filters["view"] and filters["view"] not in VIEWS:
        raise web.HTTPBadRequest(reason=f"Unknown view {filters['view']!r}.")
    if filters["status"] and filters["status"] not in inbox.STATUSES:
        raise web.HTTPBadRequest(reason=f"Unknown status {filters['status']!r}.")
    if filters["stage"] and filters["stage"] not in STAGES:
        raise web.HTTPBadRequest(reason=f"Unknown stage {filters['stage']!r}.")
    return filters


def _holder(request: web.Request, filters: dict) -> Optional[str]:
    """Whose briefs the view shows: mine, nobody's (""), or everyone's (None)."""
    return {"mine": request["user"].email, "unassigned": ""}.get(filters["view"])


def _cursors(request: web.Request) -> dict:
    """`after` / `before`: the brief ids the inbox's Older / Newer links page from."""
    cursors = {}
    for name in ("after", "before"):
        value = request.query.get(name, "")
        if value and not BRIEF_ID.fullmatch(value):
            raise web.HTTPBadRequest(reason=f"{name!r} must be a brief id.")
        cursors[name] = int(value) if value else None
    return cursors


async def brief_list(request: web.Request) -> web.Response:
    filters = _filters(request)
    found = await in_thread(inbox.find, filters["status"], filters["stage"], filters["q"],
                            holder=_holder(request, filters), **_cursors(request))
    failing = await in_thread(inbox.failing_deliveries)
    first_page = not any(filters.values()) and not any(_cursors(request).values())
    tracker = request.app[live_feed.FEED].tracker
    waiting = await in_thread(inbox.waiting, wrote=await in_thread(live.unanswered, tracker)) if first_page else []
    user = request["user"]
    unread = await in_thread(live.unread, [*waiting, *found.briefs], user.email, tracker)
    seen = await in_thread(live.presence_of, [*waiting, *found.briefs])
    same_person = await in_thread(inbox.same_person, found.briefs)
    return web.Response(text=render.page("inbox.html", briefs=found.briefs, paging=found, filters=filters,
                                         failing=failing, waiting=waiting, unread=unread, seen=seen, live=first_page,
                                         same_person=same_person,
                                         user=user.email, csrf=user.csrf_token),
                        content_type="text/html")


async def _brief_or_404(request: web.Request) -> dict:
    raw_id = request.match_info["brief_id"]
    brief = await in_thread(briefs.get_brief, int(raw_id)) if BRIEF_ID.fullmatch(raw_id) else None
    if brief is None:
        raise web.HTTPNotFound(reason=f"No brief with id {raw_id!r}.")
    return brief


def _calls(brief_id: int) -> list:
    """The calls booked from a brief, each at its time in its salesperson's time zone."""
    calls = []
    for meeting in booking.meetings_of(brief_id):
        time_zone, _ = booking.availability_of(meeting["salesperson"])
        calls.append({**meeting, "when": booking.label(meetings.starts_at(meeting), time_zone),
                      "zone": booking.zone_label(time_zone)})
    return calls


async def _typed_details(request: web.Request, brief: dict) -> list:
    """The emails and phone numbers the visitor typed, in the brief's transcript or since (the live conversation,
    when Rasa answers): (kind, value) pairs a salesperson may take as the contact."""
    said = [line["text"] for line in brief["transcript"] if line.get("speaker") == "visitor"]
    try:
        tracker = await rasa_client.tracker(request, brief["sender_id"])
        said += [line["text"] for line in visible_messages(tracker.get("events") or []) if line["speaker"] == "visitor"]
    except web.HTTPBadGateway:
        pass  # the brief's own transcript still offers what was typed before the handoff
    return contact.details_in(said)


async def brief_page(request: web.Request) -> web.Response:
    brief = await _brief_or_404(request)
    events = await in_thread(inbox.history, brief["id"])
    calls = await in_thread(_calls, brief["id"])
    user = request["user"]
    printable = request.path.endswith("/print")
    known = brief["contact"] or {}
    offers = [] if printable else [(kind, value) for kind, value in await _typed_details(request, brief)
                                   if (known.get(kind) or "").lower() != value.lower()]
    await _read(request, brief["id"])
    colleagues = [] if printable else [email for email in await in_thread(accounts.emails)
                                       if email != brief.get("claimed_by")]
    seen = {} if printable else await in_thread(live.presence_of, [brief])
    return web.Response(text=render.page("brief.html", brief=brief, events=events, meetings=calls, offers=offers,
                                         colleagues=colleagues, seen=seen.get(brief["id"]), printable=printable,
                                         user=user.email,
                                         csrf=user.csrf_token),
                        content_type="text/html")


async def _read(request: web.Request, brief_id: int) -> None:
    await in_thread(live.mark_read, brief_id, request["user"].email)
    live_feed.read(request, brief_id)


async def change(request: web.Request) -> web.StreamResponse:
    brief = await _brief_or_404(request)
    form, actor, action = await request.post(), request["user"].email, request.match_info["action"]
    try:
        if action == "claim":
            await in_thread(inbox.claim, brief["id"], actor, bool(form.get("take_over")))
        elif action == "release":
            await in_thread(inbox.release, brief["id"], actor)
        elif action == "reassign":
            await in_thread(inbox.reassign, brief["id"], str(form.get("to", "")), actor)
        elif action == "status":
            await in_thread(inbox.set_status, brief["id"], str(form.get("status", "")), actor)
        elif action == "note":
            await in_thread(inbox.add_note, brief["id"], str(form.get("note", "")), actor)
        elif action == "message":
            text = str(form.get("message", "")).strip()
            if not text or len(text) > 2000:
                raise ValueError("A message needs 1 to 2000 characters.")
            said = {"agent": actor, "agent_name": accounts.display_name(actor)}  # the widget shows the name
            await rasa_client.post_events(request, brief["sender_id"],
                                          [{"event": "pause"}, {"event": "bot", "text": text, "metadata": said}])
            await in_thread(inbox.record_message, brief["id"], text, actor)
        elif action == "contact":
            typed = (str(form.get("kind", "")), str(form.get("value", "")))
            if typed not in await _typed_details(request, brief):  # only what the visitor typed, as they typed it
                raise ValueError("Only an email or phone number the visitor typed in the conversation can be taken.")
            await in_thread(inbox.set_contact, brief["id"], *typed, actor)
        elif action == "typing":  # the salesperson is writing to the visitor: their widget says so
            await rasa_client.typing(request, brief["sender_id"], accounts.display_name(actor))
        elif action == "read":  # the page showed the visitor's newest messages
            await _read(request, brief["id"])
        elif action == "hand-back":
            # The bot says it is back and asks the interview's open question (action_hand_back). Should the action
            # fail, the conversation stays paused and the brief page says so: nobody is left unanswered unawares.
            await rasa_client.run_action(request, brief["sender_id"], "action_hand_back")
            await in_thread(inbox.record_hand_back, brief["id"], actor)
        else:
            raise web.HTTPNotFound(reason=f"No action {action!r}.")
    except ValueError as failure:
        return error(400, str(failure))
    except inbox.ClaimedByOther as failure:
        return error(409, str(failure))
    if "application/json" in request.headers.get("Accept", ""):
        return web.json_response({"ok": True})
    raise web.HTTPSeeOther(f"/inbox/briefs/{brief['id']}")


async def messages(request: web.Request) -> web.Response:
    """The conversation as it goes on, for the brief page during a live takeover."""
    brief = await _brief_or_404(request)
    tracker = await rasa_client.tracker(request, brief["sender_id"])
    return web.json_response({"paused": tracker.get("paused", False),
                              "messages": visible_messages(tracker.get("events") or [])})


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A visitor's "=HYPERLINK(...)" must stay text in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL).writerows(rows)
    return out.getvalue().encode()


def _csv_row(brief: dict) -> list:
    row = {**brief, **(brief["contact"] or {})}
    return [_csv_cell(row.get(column)) for column in CSV_COLUMNS]


async def briefs_csv(request: web.Request) -> web.StreamResponse:
    filters = _filters(request)
    response = web.StreamResponse(headers={"Content-Type": "text/csv; charset=utf-8",
                                           "Content-Disposition": 'attachment; filename="briefs.csv"'})
    await response.prepare(request)
    await response.write(_csv([CSV_COLUMNS]))
    after = None
    while True:  # a chunk at a time: memory stays one chunk deep however many briefs there are
        found = await in_thread(inbox.find, filters["status"], filters["stage"], filters["q"], after=after,
                                limit=briefs.CHUNK, holder=_holder(request, filters))
        await response.write(_csv(_csv_row(brief) for brief in found.briefs))
        if found.older is None:
            break
        after = found.older
    await response.write_eof()
    return response


def _date_range(request: web.Request) -> tuple:
    """`from` and `to` (YYYY-MM-DD, both included); the last 30 days by default."""
    today = dt.datetime.now(dt.timezone.utc).date()
    chosen = []
    for name, default in (("from", today - dt.timedelta(days=29)), ("to", today)):
        value = request.query.get(name, "").strip()
        try:
            chosen.append(dt.date.fromisoformat(value) if value else default)
        except ValueError:
            raise web.HTTPBadRequest(reason=f"{name!r} must be a date such as {today.isoformat()}.") from None
    if chosen[0] > chosen[1]:
        raise web.HTTPBadRequest(reason="'from' must not be after 'to'.")
    return tuple(chosen)


async def dashboard_page(request: web.Request) -> web.Response:
    start, end = _date_range(request)
    stats, drop_off = await in_thread(dashboard.figures, start, end)
    problems = await in_thread(dashboard.problems, start, end)
    replies = await in_thread(dashboard.replies, start, end)
    user = request["user"]
    return web.Response(text=render.page("dashboard.html", stats=stats, drop_off=drop_off, replies=replies,
                                         problems=problems,
                                         start=start.isoformat(), end=end.isoformat(),
                                         hours=dashboard.reply_hours(), user=user.email,
                                         csrf=user.csrf_token),
                        content_type="text/html")


async def outcomes_page(request: web.Request) -> web.Response:
    found = await in_thread(outcomes.report)
    user = request["user"]
    return web.Response(text=render.page("outcomes.html", report=found, min_outcomes=outcomes.MIN_OUTCOMES,
                                         user=user.email, csrf=user.csrf_token),
                        content_type="text/html")


@functools.lru_cache(maxsize=1)
def _time_zones() -> tuple:
    """The zones the availability form suggests: IANA region names and UTC, not legacy aliases such as EST5EDT."""
    return tuple(sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC"))


def _availability(email: str) -> dict:
    """A salesperson's saved time zone and hours (as text), and the next free slots they give."""
    time_zone, hours = booking.availability_of(email)
    slots = [booking.label(start, time_zone) for start in booking.free_slots(3, salesperson=email)]
    return {"time_zone": time_zone or "", "hours": booking.describe_hours(hours), "slots": slots,
            "zone": booking.zone_label(time_zone)}


async def _availability_page(request: web.Request, status: int = 200, **typed: str) -> web.Response:
    """The form with what is saved, or with what was `typed` (time_zone, hours, error) when it could not be."""
    user = request["user"]
    saved = await in_thread(_availability, user.email)
    context = {**saved, "error": "", **typed, "saved": request.query.get("saved") == "1"}
    return web.Response(text=render.page("availability.html", **context, time_zones=_time_zones(),
                                         horizon=booking.HORIZON_DAYS, invitations=config.smtp_configured(),
                                         user=user.email, csrf=user.csrf_token),
                        content_type="text/html", status=status)


async def availability_page(request: web.Request) -> web.Response:
    return await _availability_page(request)


async def set_availability(request: web.Request) -> web.Response:
    form = await request.post()
    time_zone, hours = str(form.get("time_zone", "")).strip(), str(form.get("hours", ""))
    try:
        await in_thread(booking.set_availability, request["user"].email, time_zone, hours)
    except booking.BookingError as failure:  # shown above the form, with what was typed still in it
        return await _availability_page(request, 400, time_zone=time_zone, hours=hours, error=str(failure))
    raise web.HTTPSeeOther("/inbox/availability?saved=1")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/inbox", brief_list)
    app.router.add_get("/inbox/events", live_feed.events)
    app.router.add_get("/inbox/briefs.csv", briefs_csv)
    app.router.add_get("/inbox/dashboard", dashboard_page)
    app.router.add_get("/inbox/outcomes", outcomes_page)
    app.router.add_get("/inbox/availability", availability_page)
    app.router.add_post("/inbox/availability", set_availability)
    app.router.add_get("/inbox/briefs/{brief_id}", brief_page)
    app.router.add_get("/inbox/briefs/{brief_id}/print", brief_page)
    app.router.add_get("/inbox/briefs/{brief_id}/messages", messages)
    app.router.add_post("/inbox/briefs/{brief_id}/{action}", change)
