"""HTML of the salespeople's inbox. Every value is escaped: briefs are full of visitor text."""
from __future__ import annotations

from html import escape
from typing import Dict, List, Optional
from urllib.parse import urlencode

from bot.sales.inbox import STAGES, STATUSES

FORCE_LABELS = {"push": "Push of the situation", "pull": "Pull of the new way", "anxiety": "Anxiety about the new",
                "habit": "Habit of the present"}


def _page(title: str, body: str, user: Optional[str] = None, csrf: str = "", printable: bool = False) -> str:
    nav = ""
    if user and not printable:
        nav = (f'<nav><a href="/inbox">Briefs</a> <a href="/inbox/dashboard">Dashboard</a> '
               f'<span class="who">{escape(user)}</span>'
               f'<form method="post" action="/logout" class="inline">{_csrf(csrf)}'
               f'<button type="submit">Sign out</button></form></nav>')
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(title)}</title><link rel="stylesheet" href="/static/inbox.css"></head>'
            f'<body{" class=print" if printable else ""}><header class="bar"><strong>Sales inbox</strong>{nav}'
            f'</header><main>{body}</main></body></html>')


def _csrf(token: str) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(token)}">'


def _quote(text: Optional[str]) -> str:
    return f"“{escape(text)}”" if text else '<span class="unknown">not stated</span>'


def login(csrf: str, next_path: str, error: str = "") -> str:
    message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return _page("Sign in", f"""<h1>Sign in</h1>{message}
<form method="post" action="/login" class="login">{_csrf(csrf)}
<input type="hidden" name="next" value="{escape(next_path)}">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>""")


def brief_list(briefs: List[dict], filters: Dict[str, str], user: str, csrf: str, failing: List[dict]) -> str:
    def options(values, chosen):
        return "".join(f'<option value="{v}"{" selected" if v == chosen else ""}>{v.replace("_", " ")}</option>'
                       for v in ("",) + tuple(values))

    alert = ""
    if failing:
        items = "".join(f"<li>Brief #{d['brief_id']} by {escape(d['channel'])}: {d['attempts']} attempts, "
                        f"last error: {escape(d['last_error'] or '')}</li>" for d in failing)
        alert = f'<div class="alert" role="alert"><strong>Notifications keep failing</strong><ul>{items}</ul></div>'
    rows = "".join(
        f"<tr><td><a href=\"/inbox/briefs/{b['id']}\">#{b['id']}</a></td><td>{escape(b['created_at'])}</td>"
        f"<td>{escape((b['contact'] or {}).get('name') or 'Anonymous')}"
        f"<br><small>{escape((b['contact'] or {}).get('company') or '')}</small></td>"
        f"<td>{_quote(b['struggle'])}</td><td>{escape(b['buying_stage'].replace('_', ' '))}</td>"
        f"<td><span class=\"status status-{escape(b['status'])}\">{escape(b['status'])}</span>"
        f"{'<br><small>' + escape(b['claimed_by']) + '</small>' if b.get('claimed_by') else ''}</td></tr>"
        for b in briefs
    ) or '<tr><td colspan="6">No briefs match.</td></tr>'
    export = "/inbox/briefs.csv?" + urlencode({k: v for k, v in filters.items() if v})
    return _page("Briefs", f"""{alert}<h1>Briefs</h1>
<form method="get" action="/inbox" class="filters" role="search">
<label>Status <select name="status">{options(STATUSES, filters.get("status", ""))}</select></label>
<label>Stage <select name="stage">{options(STAGES, filters.get("stage", ""))}</select></label>
<label>Search <input type="search" name="q" value="{escape(filters.get("q", ""))}"
 placeholder="name, company or words in the struggle"></label>
<button type="submit">Filter</button> <a href="{escape(export)}">Export CSV</a></form>
<table class="briefs"><thead><tr><th>Brief</th><th>Received</th><th>Who</th><th>Struggle</th><th>Stage</th>
<th>Status</th></tr></thead><tbody>{rows}</tbody></table>""", user, csrf)


def _forces(forces: Dict[str, dict]) -> str:
    rows = []
    for name, label in FORCE_LABELS.items():
        force = forces.get(name) or {"rating": 0, "evidence": []}
        evidence = "".join(f"<li>{_quote(quote)}</li>" for quote in force["evidence"]) or "<li>nothing said</li>"
        rows.append(f'<div class="force force-{name}"><span class="label">{label}</span>'
                    f'<meter min="0" max="2" value="{int(force["rating"])}" aria-label="{label}: '
                    f'{int(force["rating"])} of 2">{int(force["rating"])}/2</meter>'
                    f'<span class="rating">{int(force["rating"])}/2</span><ul>{evidence}</ul></div>')
    return '<section class="forces"><h2>Forces</h2>' + "".join(rows) + "</section>"


def brief_page(brief: dict, events: List[dict], user: str, csrf: str, printable: bool = False) -> str:
    contact = brief["contact"] or {}
    who = escape(contact.get("name") or "Anonymous visitor")
    if contact.get("company"):
        who += f" <small>({escape(contact['company'])})</small>"
    details = "".join(
        f"<dt>{label}</dt><dd>{_quote(brief.get(slot))}</dd>"
        for slot, label in (("situation", "Last time it happened"), ("current_solution", "What they tried"),
                            ("desired_progress", "Progress they want"), ("anxieties", "Anxieties to address first"),
                            ("cost_of_inaction", "If nothing changes"))
    )
    questions = "".join(f"<li>{escape(q)}</li>" for q in brief["suggested_questions"])
    reasons = "".join(f"<li>{escape(r)}</li>" for r in brief["reasons"])
    contact_line = (" · ".join(escape(v) for v in (contact.get("name"), contact.get("email"), contact.get("company"))
                               if v) if brief["contact"] else "not given (no consent)")
    transcript = "".join(
        f'<li class="{escape(line["speaker"])}"><span class="speaker">{escape(line["speaker"])}</span> '
        f'<time>{escape(line["at"])}</time><p>{escape(line["text"])}</p></li>'
        for line in brief["transcript"]
    )
    activity = "".join(f"<li><time>{escape(e['at'])}</time> {escape(e['actor'])}: {escape(e['kind'])}"
                       f"{' — ' + escape(e['detail']) if e['detail'] else ''}</li>" for e in events)
    actions = ""
    if not printable:
        statuses = "".join(f'<option value="{s}"{" selected" if s == brief["status"] else ""}>{s}</option>'
                           for s in STATUSES)
        holder = brief.get("claimed_by")
        take_over = '<input type="hidden" name="take_over" value="1">' if holder and holder != user else ""
        claim = ("" if holder == user else
                 f'<form method="post" action="/inbox/briefs/{brief["id"]}/claim">{_csrf(csrf)}{take_over}'
                 f'<button type="submit">{"Take over from " + escape(holder) if holder else "Claim"}</button>'
                 f'</form>')
        actions = f"""<section class="actions" aria-label="Work on this brief">{claim}
<form method="post" action="/inbox/briefs/{brief["id"]}/status">{_csrf(csrf)}
<label>Status <select name="status">{statuses}</select></label><button type="submit">Change</button></form>
<form method="post" action="/inbox/briefs/{brief["id"]}/note">{_csrf(csrf)}
<label for="note">Note</label><textarea id="note" name="note" rows="2" required></textarea>
<button type="submit">Add note</button></form>
<a href="/inbox/briefs/{brief["id"]}/print">Printable brief</a></section>"""
        live = f"""<section class="live" aria-label="Talk to the visitor">
<h2>Talk to the visitor</h2>
<ol id="live-log" role="log" aria-live="polite" aria-label="Live conversation"></ol>
<form id="live-form" method="post" action="/inbox/briefs/{brief["id"]}/message">{_csrf(csrf)}
<label for="message">Message to the visitor</label>
<textarea id="message" name="message" rows="2" required></textarea>
<button type="submit">Send to visitor</button></form>
<form method="post" action="/inbox/briefs/{brief["id"]}/hand-back">{_csrf(csrf)}
<button type="submit">Hand back to the bot</button></form>
<p id="live-state" role="status"></p></section>
<script src="/static/inbox.js" data-brief="{brief["id"]}" defer></script>"""
    else:
        live = ""
    page_info = (f'<p class="visit">Chatted on {escape(brief["page_url"])}'
                 f'{" from " + escape(brief["referrer"]) if brief.get("referrer") else ""}</p>'
                 if brief.get("page_url") else "")
    body = f"""<article class="brief">
<h1>{who}</h1>
<p class="headline">{_quote(brief["struggle"])}</p>
<p class="meta"><strong>{escape(brief["buying_stage"].replace("_", " "))}</strong> ·
why now: {_quote(brief["trigger"])} · timeline: {_quote(brief["timeline"])} ·
status: <span class="status status-{escape(brief["status"])}">{escape(brief["status"])}</span>
{"· claimed by " + escape(brief["claimed_by"]) if brief.get("claimed_by") else ""}</p>
<p class="meta">Handoff: {escape(brief["handoff_reason"].replace("_", " "))} ·
{"qualified" if brief["qualified"] else "not qualified"} · brief #{brief["id"]}, {escape(brief["created_at"])}</p>
{page_info}{actions}
<section><h2>Summary</h2><p>{escape(brief["summary"])}</p><ul class="reasons">{reasons}</ul></section>
{_forces(brief["forces"])}
<section><h2>In their words</h2><dl class="details">{details}</dl></section>
<section><h2>Ask next</h2><ul>{questions}</ul></section>
<section><h2>Contact</h2><p>{contact_line}</p></section>
{live}
<section><h2>Transcript</h2><ol class="transcript">{transcript}</ol></section>
<section><h2>Activity</h2><ol class="activity">{activity or "<li>Nothing yet.</li>"}</ol></section>
</article>"""
    return _page(f"Brief #{brief['id']}", body, user, csrf, printable)


def dashboard(stats: Dict[str, int], drop_off: Dict[str, int], user: str, csrf: str) -> str:
    tiles = "".join(f'<div class="tile"><span class="number">{value}</span> {escape(label)}</div>'
                    for label, value in stats.items())
    widest = max(drop_off.values(), default=0) or 1
    bar_height, width = 26, 520
    bars = "".join(
        f'<g transform="translate(0,{i * bar_height})"><text x="0" y="17">{escape(question.replace("_", " "))}</text>'
        f'<rect x="170" y="4" height="18" width="{int(300 * count / widest)}" fill="#3b4cca"></rect>'
        f'<text x="{176 + int(300 * count / widest)}" y="17">{count}</text></g>'
        for i, (question, count) in enumerate(drop_off.items())
    )
    chart = (f'<svg role="img" aria-label="Conversations that stopped at each interview question" '
             f'width="{width}" height="{bar_height * len(drop_off) + 4}" class="chart">{bars}</svg>')
    return _page("Dashboard", f"""<h1>Dashboard</h1><div class="tiles">{tiles}</div>
<h2>Where unfinished interviews stopped</h2>{chart}""", user, csrf)
