"""Signing in to the inbox and working on a brief, over HTTP against the real web app."""
import csv
import datetime as dt
import html
import io
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.conversation import brief
from bot.conversation.qualify import assess
from bot.sales import accounts, inbox
from bot.store import briefs as store
from bot.store.engine import engine
from bot.store.models import Delivery, SignIn
from tests.helpers import SALES_TOKEN, Client, http

PASSWORD = "correct horse battery"


@pytest.fixture
def salesperson(app_database):
    accounts.add_user("Ann@Acme.io", PASSWORD)
    return "ann@acme.io"


def save_brief(sender_id, struggle, name=None, company=None, playback=None, email=None):
    answers = {"struggle": struggle, "trigger": "our CFO quit", "timeline": "by friday"}
    contact = {"name": name, "email": email or f"{sender_id}@acme.io", "company": company} if name else None
    return store.save_handoff(brief.build(sender_id, answers, assess(answers, dt.date(2026, 11, 26)),
                                          "qualified", contact, [], playback))


def test_the_brief_says_whether_the_visitor_confirmed_corrected_or_skipped_their_story(web_app, salesperson):
    corrected = {"result": "corrected", "slot": "timeline", "before": "by march", "said": "no, by <b>friday</b>"}
    ids = {result: save_brief(f"v-{result}", "rota chaos", "Ann", playback=record)
           for result, record in (("confirmed", {"result": "confirmed"}), ("corrected", corrected),
                                  ("skipped", {"result": "skipped"}), ("asked for a person", None))}
    client = Client(web_app)
    client.sign_in()

    def played_back(brief_id):
        page = client.request("GET", f"/inbox/briefs/{brief_id}")[2]
        return " ".join(re.sub(r"<[^>]+>", "", re.search(r'<p class="playback">(.*?)</p>', page, re.S)[1]).split())

    assert played_back(ids["confirmed"]) == "Story played back: confirmed by the visitor."
    assert played_back(ids["corrected"]) == ("Story played back: corrected by the visitor (the timeline): "
                                             "“no, by &lt;b&gt;friday&lt;/b&gt;”, where the bot had “by march”.")
    assert played_back(ids["skipped"]) == "Story played back: skipped by the visitor."
    assert played_back(ids["asked for a person"]) == "Story played back: not played back."
    assert http("GET", f"{web_app}/api/briefs/{ids['corrected']}", token=SALES_TOKEN)[1]["playback"] == corrected


def test_passwords_are_stored_hashed():
    stored = accounts.hash_password(PASSWORD)
    assert PASSWORD not in stored and stored.startswith("scrypt$")
    assert accounts.password_matches(PASSWORD, stored) and not accounts.password_matches("wrong", stored)


def test_without_a_session_the_inbox_sends_you_to_sign_in(web_app, salesperson):
    status, url, page = Client(web_app).request("GET", "/inbox")
    assert status == 200 and url.endswith("/login?next=/inbox") and "Sign in" in page
    status, _, _ = Client(web_app).request("GET", "/inbox/briefs/1/messages")
    assert status == 401


def test_a_wrong_password_is_refused(web_app, salesperson):
    status, _, page = Client(web_app).sign_in(password="not the password")
    assert status == 401 and "Wrong email or password." in page


def test_sign_in_without_the_forms_csrf_token_is_refused(web_app, salesperson):
    client = Client(web_app)
    client.request("GET", "/login")
    status, _, page = client.request("POST", "/login", {"email": "ann@acme.io", "password": PASSWORD})
    assert status == 403 and "CSRF" in page


def test_the_session_cookie_is_http_only_and_same_site(web_app, salesperson):
    client = Client(web_app)
    client.sign_in()
    [cookie] = [c for c in client.jar if c.name == "dsb_session"]
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.get_nonstandard_attr("SameSite") == "Lax"


def test_an_expired_session_is_refused(web_app, salesperson):
    client = Client(web_app)
    assert client.sign_in()[1].endswith("/inbox")
    with Session(engine(), future=True) as session, session.begin():
        session.execute(update(SignIn).values(expires_at=dt.datetime(2020, 1, 1)))
    assert client.request("GET", "/inbox")[1].endswith("/login?next=/inbox")


def test_a_signed_in_salesperson_finds_claims_and_works_a_brief(web_app, salesperson):
    older = save_brief("v-1", "our <script>alert(1)</script> invoices are late", "Maria", "Bright Dental")
    newer = save_brief("v-2", "dispatch double books trucks", "Tom", "Northwind")
    client = Client(web_app)
    status, url, page = client.sign_in()
    assert url.endswith("/inbox") and page.index(f"#{newer}") < page.index(f"#{older}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert f"#{older}" not in client.request("GET", "/inbox?q=northwind")[2]
    assert f"#{newer}" in client.request("GET", "/inbox?q=Trucks+dispatch")[2]
    assert client.request("GET", "/inbox?status=bogus")[0] == 400

    token = client.csrf(f"/inbox/briefs/{older}")
    assert client.request("POST", f"/inbox/briefs/{older}/claim", {})[0] == 403  # no CSRF token
    client.request("POST", f"/inbox/briefs/{older}/claim", {"csrf": token})
    client.request("POST", f"/inbox/briefs/{older}/status", {"csrf": token, "status": "contacted"})
    client.request("POST", f"/inbox/briefs/{older}/note", {"csrf": token, "note": "call <b>Tuesday</b>"})
    assert client.request("POST", f"/inbox/briefs/{older}/status", {"csrf": token, "status": "bogus"})[0] == 400
    assert [(e["actor"], e["kind"], e["detail"]) for e in inbox.history(older)] == [
        ("ann@acme.io", "claimed", ""), ("ann@acme.io", "status", "contacted"), ("ann@acme.io", "note",
                                                                                 "call <b>Tuesday</b>")]
    page = client.request("GET", f"/inbox/briefs/{older}")[2]
    assert "claimed by ann@acme.io" in page and "call &lt;b&gt;Tuesday&lt;/b&gt;" in page
    assert [b["id"] for b in inbox.find(status="contacted").briefs] == [older]

    status, _, csv_text = client.request("GET", "/inbox/briefs.csv?status=contacted")
    assert status == 200 and next(csv.reader(io.StringIO(csv_text)))[:3] == ["id", "created_at", "status"]
    assert "Bright Dental" in csv_text and "dispatch" not in csv_text
    printable = client.request("GET", f"/inbox/briefs/{older}/print")[2]
    assert "Printable brief" not in printable and "Forces" in printable
    assert "conversations started" in client.request("GET", "/inbox/dashboard")[2]


def test_spreadsheet_formulas_typed_by_a_visitor_stay_text_in_the_csv(web_app, salesperson):
    save_brief("v-3", '=HYPERLINK("http://x","y")', "+1 555 0100", "@Evil Corp")
    save_brief("v-3b", "\tcmd|' /C calc'!A0", "-2+3", "Plain Co")
    client = Client(web_app)
    client.sign_in()
    with client.opener.open(web_app + "/inbox/briefs.csv") as response:
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Disposition"] == 'attachment; filename="briefs.csv"'
        csv_text = response.read().decode()
    assert all(line.startswith('"') and line.endswith('"') for line in csv_text.splitlines())  # every cell quoted
    header, tab, formula = csv.reader(io.StringIO(csv_text))
    formula, tab = dict(zip(header, formula)), dict(zip(header, tab))
    assert formula["struggle"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert (formula["name"], formula["company"]) == ("'+1 555 0100", "'@Evil Corp")
    assert (tab["struggle"], tab["name"], tab["company"]) == ("'\tcmd|' /C calc'!A0", "'-2+3", "Plain Co")


def test_notifications_that_keep_failing_are_shown_in_the_inbox(web_app, salesperson):
    brief_id = save_brief("v-4", "late invoices")
    with Session(engine(), future=True) as session, session.begin():
        session.add(Delivery(brief_id=brief_id, channel="slack", attempts=3,  # not due again today
                                     last_error="HTTPError: <b>500</b>",
                                     next_attempt_at=dt.datetime.utcnow() + dt.timedelta(days=1)))
    client = Client(web_app)
    page = client.sign_in()[2]
    assert "Notifications keep failing" in page and f"Brief #{brief_id} by slack: 3 attempts" in page
    assert "HTTPError: &lt;b&gt;500&lt;/b&gt;" in page


def test_sign_in_only_redirects_inside_the_inbox(web_app, salesperson):
    client = Client(web_app)
    token = client.csrf("/login")
    for target in ("//evil.example/inbox", "https://evil.example", "/inbox/../login"):
        status, url, _ = client.request("POST", "/login", {"csrf": token, "email": "ann@acme.io",
                                                            "password": PASSWORD, "next": target})
        assert urllib.parse.urlparse(url).netloc == urllib.parse.urlparse(web_app).netloc, target
        token = client.csrf("/login")


def test_signing_out_ends_the_session_and_needs_the_csrf_token(web_app, salesperson):
    client = Client(web_app)
    client.sign_in()
    assert client.request("POST", "/logout", {})[0] == 403
    token = client.csrf("/inbox")
    client.request("POST", "/logout", {"csrf": token})
    assert client.request("GET", "/inbox")[1].endswith("/login?next=/inbox")


def test_every_change_needs_the_csrf_token(web_app, salesperson):
    brief_id = save_brief("v-5", "late invoices")
    client = Client(web_app)
    client.sign_in()
    for action, form in (("message", {"message": "hi"}), ("hand-back", {}), ("note", {"note": "x"}),
                         ("status", {"status": "won"})):
        assert client.request("POST", f"/inbox/briefs/{brief_id}/{action}", form)[0] == 403, action
    assert inbox.history(brief_id) == []


def test_a_colleagues_brief_is_taken_over_only_on_purpose(web_app, salesperson):
    brief_id = save_brief("v-6", "late invoices")
    inbox.claim(brief_id, "bob@acme.io")
    inbox.set_status(brief_id, "won", "bob@acme.io")
    client = Client(web_app)
    client.sign_in()
    token = client.csrf(f"/inbox/briefs/{brief_id}")
    assert client.request("POST", f"/inbox/briefs/{brief_id}/claim", {"csrf": token})[0] == 409
    assert "Take over from bob@acme.io" in client.request("GET", f"/inbox/briefs/{brief_id}")[2]
    client.request("POST", f"/inbox/briefs/{brief_id}/claim", {"csrf": token, "take_over": "1"})
    stored = store.get_brief(brief_id)
    assert stored["claimed_by"] == "ann@acme.io" and stored["status"] == "won"
    assert inbox.history(brief_id)[-1]["detail"] == "taken over from bob@acme.io"


def test_resetting_a_password_signs_the_person_out(web_app, salesperson):
    client = Client(web_app)
    client.sign_in()
    accounts.add_user("ann@acme.io", "another long password")
    assert client.request("GET", "/inbox")[1].endswith("/login?next=/inbox")


def test_password_guessing_is_throttled_and_the_inbox_cannot_be_framed(web_app, salesperson):
    client = Client(web_app)
    for _ in range(5):
        assert client.sign_in(password="guess")[0] == 401
    status, _, page = client.sign_in()  # even the right password waits now
    assert status == 429 and "Too many wrong passwords" in page
    response = urllib.request.urlopen(web_app + "/login")
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def many_briefs(salesperson):
    """105 briefs about invoices (ids newest first), and 3 about trucks, newer than all of them."""
    invoices = [save_brief(f"inv-{n}", f"late invoices, month {n}", f"Person {n}", "Acme") for n in range(105)]
    trucks = [save_brief(f"truck-{n}", "dispatch double books trucks") for n in range(3)]
    return invoices[::-1], trucks[::-1]


def shown(page):
    return [int(found) for found in re.findall(r'href="/inbox/briefs/([0-9]+)"', page)]


def link(page, rel):
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return html.unescape(found.group(1)) if found else None


def test_the_inbox_pages_through_every_brief_keeping_the_filter(web_app, many_briefs):
    invoices, trucks = many_briefs
    client = Client(web_app)
    page = client.sign_in()[2]
    assert shown(page) == (trucks + invoices)[:50] and link(page, "prev") is None
    page = client.request("GET", "/inbox?q=INVOICES")[2]
    first = shown(page)
    late = save_brief("late-comer", "late invoices again")  # arrives while the salesperson reads page one
    seen, pages = list(first), [first]
    while link(page, "next"):
        assert "q=INVOICES" in link(page, "next")
        page = client.request("GET", link(page, "next"))[2]
        pages.append(shown(page))
        seen += pages[-1]
    assert seen == invoices and [len(ids) for ids in pages] == [50, 50, 5]  # each once, in order, no trucks
    page = client.request("GET", link(page, "prev"))[2]
    assert shown(page) == pages[1]
    page = client.request("GET", link(page, "prev"))[2]
    assert shown(page) == pages[0] and link(page, "prev") == "/inbox?q=INVOICES&before=" + str(pages[0][0])
    assert shown(client.request("GET", link(page, "prev"))[2]) == [late]  # newer than page one now
    assert client.request("GET", "/inbox?after=abc")[0] == 400


def test_the_csv_export_holds_every_matching_brief_once(web_app, many_briefs, monkeypatch):
    monkeypatch.setattr(store, "CHUNK", 40)  # several chunks
    invoices, _ = many_briefs
    client = Client(web_app)
    client.sign_in()
    rows = list(csv.DictReader(io.StringIO(client.request("GET", "/inbox/briefs.csv?q=invoices")[2])))
    assert [int(row["id"]) for row in rows] == invoices and rows[-1]["struggle"] == "late invoices, month 0"


def api(url):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {SALES_TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), response.headers.get("Link", "")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), ""


def test_the_brief_api_pages_with_link_headers_and_caps_the_page(web_app, many_briefs):
    invoices, trucks = many_briefs
    status, found, links = api(web_app + "/api/briefs")
    assert status == 200 and [b["id"] for b in found] == (trucks + invoices)[:50] and 'rel="next"' in links
    seen, url = [], web_app + "/api/briefs?status=new&limit=40"
    while url:
        status, found, links = api(url)
        seen += [b["id"] for b in found]
        following = re.search(r'<([^>]+)>; rel="next"', links)
        url = web_app + following.group(1) if following else None
    assert seen == trucks + invoices and 'rel="prev"' in links
    assert found[-1]["transcript"] == [] and found[-1]["forces"]  # whole briefs, as before
    for bad in ("0", "201", "ten", "²"):
        status, body, _ = api(web_app + f"/api/briefs?limit={urllib.parse.quote(bad)}")
        assert status == 400 and "'limit' must be a whole number from 1 to 200" in body["error"], bad
    assert api(web_app + "/api/briefs?after=-1")[0] == 400


@pytest.mark.parametrize("actors", [("ann@acme.io", "bob@acme.io"), ("ann@acme.io", "ann@acme.io")])
def test_of_two_claims_at_the_same_moment_exactly_one_wins(database_url, monkeypatch, actors):
    brief_id = store.save_handoff(brief.build("v-race", {"struggle": "late invoices"},
                                              assess({"struggle": "late invoices"}, dt.date(2026, 11, 26)),
                                              "qualified", None, []), url=database_url)
    both_looked, looked_once, real_holder = threading.Barrier(2), threading.local(), inbox._holder

    def look_then_wait(*args):  # both see it unclaimed before either writes: the race, every time
        holder = real_holder(*args)
        if not getattr(looked_once, "done", False):
            looked_once.done = True
            both_looked.wait(timeout=10)
        return holder

    monkeypatch.setattr(inbox, "_holder", look_then_wait)
    outcomes = {}

    def claim(number, actor):
        try:
            inbox.claim(brief_id, actor, url=database_url)
            outcomes[number] = "claimed"
        except inbox.ClaimedByOther as refusal:
            outcomes[number] = str(refusal)

    threads = [threading.Thread(target=claim, args=(number, actor)) for number, actor in enumerate(actors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    stored = store.get_brief(brief_id, url=database_url)
    [event] = inbox.history(brief_id, url=database_url)  # one claim recorded
    winner = stored["claimed_by"]
    assert stored["status"] == "claimed" and event["actor"] == winner
    if actors[0] == actors[1]:  # a double click: claimed once, no error
        assert outcomes == {0: "claimed", 1: "claimed"}
    else:
        assert sorted(outcomes.values()) == sorted(["claimed", f"{winner} has just claimed this brief; take it "
                                                               "over explicitly."])


def test_an_email_or_phone_the_visitor_typed_is_taken_as_the_contact_in_one_click(web_app, salesperson):
    said = ["can a person just call me? +44 20 7946 0958", "or write to lee at parkoutdoor dot com <b>x</b>"]
    events = [{"event": "user", "text": text, "timestamp": 1790000000.0 + n} for n, text in enumerate(said)]
    answers = {"struggle": "returns pile up", "trigger": None, "timeline": None}
    brief_id = store.save_handoff(brief.build("v-typed", answers, assess(answers, dt.date(2026, 11, 26)),
                                              "visitor_requested_human", None, events))
    client = Client(web_app)
    client.sign_in()
    page = client.request("GET", f"/inbox/briefs/{brief_id}")[2]
    assert "No email or phone given" in page  # nothing was asked, but the visitor typed both
    offered = re.findall(r'name="kind" value="(\w+)"><input type="hidden" name="value"\s+value="([^"]+)"', page)
    assert offered == [("phone", "+44 20 7946 0958"), ("email", "lee@parkoutdoor.com")]
    token = client.csrf(f"/inbox/briefs/{brief_id}")
    forged = client.request("POST", f"/inbox/briefs/{brief_id}/contact",
                            {"csrf": token, "kind": "email", "value": "attacker@evil.example"})
    assert forged[0] == 400 and store.get_brief(brief_id)["contact"] is None  # only what the visitor typed
    client.request("POST", f"/inbox/briefs/{brief_id}/contact",
                   {"csrf": token, "kind": "email", "value": "lee@parkoutdoor.com"})
    assert store.get_brief(brief_id)["contact"] == {"email": "lee@parkoutdoor.com"}
    assert inbox.history(brief_id)[-1]["detail"] == "email taken from the conversation: lee@parkoutdoor.com"
    page = client.request("GET", f"/inbox/briefs/{brief_id}")[2]
    assert '<a href="mailto:lee%40parkoutdoor.com">lee@parkoutdoor.com</a>' in page.split('class="contact-bar"')[1]
    assert re.findall(r'name="kind" value="(\w+)"', page) == ["phone"]  # the email is no longer offered


def test_visitors_waiting_for_a_person_come_first_until_someone_writes_to_them(web_app, salesperson):
    answers = {"struggle": "our <i>rota</i> is chaos", "trigger": None, "timeline": None}
    asked = [store.save_handoff(brief.build(f"v-wait-{n}", answers, assess(answers, dt.date(2026, 11, 26)),
                                            "visitor_requested_human", None, [])) for n in range(2)]
    qualified = save_brief("v-ready", "invoices are late", "Maria")
    client = Client(web_app)
    page = client.sign_in()[2]
    waiting = page.split('<section class="waiting"')[1].split("</section>")[0]
    assert re.findall(r"#(\d+)</a>", waiting) == [str(asked[0]), str(asked[1])]  # longest waiting first
    assert f"#{qualified}" not in waiting and "waiting 0 min" in waiting and "&lt;i&gt;rota" in waiting
    assert page.count("<strong>asked for a person</strong>") == 2  # nor taken for the coldest leads in the list
    inbox.record_message(asked[0], "Hi, Ann here", "ann@acme.io")
    inbox.set_status(asked[1], "contacted", "ann@acme.io")
    assert '<section class="waiting"' not in client.request("GET", "/inbox")[2]
    assert inbox.waited(dt.timedelta(minutes=135)) == "2 h" and inbox.waited(dt.timedelta(days=3)) == "3 days"


def test_mine_and_unassigned_views_and_briefs_released_or_reassigned_with_the_activity(web_app, salesperson):
    accounts.add_user("sam@acme.io", PASSWORD)
    mine, theirs, nobodys = (save_brief(f"v-view-{n}", f"struggle number {n}") for n in range(3))
    inbox.claim(mine, "ann@acme.io")
    inbox.claim(theirs, "sam@acme.io")
    client = Client(web_app)
    client.sign_in()

    def listed(query=""):
        return [int(n) for n in re.findall(r'<tr data-brief="(\d+)"', client.request("GET", "/inbox" + query)[2])]

    assert listed() == [nobodys, theirs, mine]
    assert listed("?view=mine") == [mine] and listed("?view=unassigned") == [nobodys]
    assert listed("?view=unassigned&q=number") == [nobodys]  # with the other filters
    page = client.request("GET", "/inbox?view=mine")[2]
    assert '<a href="/inbox?view=mine" aria-current="page">Mine</a>' in page
    assert '<input type="hidden" name="view" value="mine">' in page  # filtering keeps the view
    assert client.request("GET", "/inbox?view=everything")[0] == 400
    assert "struggle number" in client.request("GET", "/inbox/briefs.csv?view=mine")[2]
    assert len(client.request("GET", "/inbox/briefs.csv?view=unassigned")[2].splitlines()) == 2  # header, 1 brief

    token = client.csrf(f"/inbox/briefs/{mine}")
    client.request("POST", f"/inbox/briefs/{mine}/release", {"csrf": token})
    assert store.get_brief(mine)["claimed_by"] is None and store.get_brief(mine)["status"] == "new"
    assert listed("?view=unassigned") == [nobodys, mine] and listed("?view=mine") == []
    page = client.request("GET", f"/inbox/briefs/{nobodys}")[2]
    assert re.findall(r'<select name="to">(.*?)</select>', page) == [
        "<option>ann@acme.io</option><option>sam@acme.io</option>"]
    client.request("POST", f"/inbox/briefs/{theirs}/reassign", {"csrf": token, "to": "Ann@acme.io "})
    assert store.get_brief(theirs)["claimed_by"] == "ann@acme.io" and listed("?view=mine") == [theirs]
    refused = client.request("POST", f"/inbox/briefs/{nobodys}/reassign", {"csrf": token, "to": "eve@evil.test"})
    assert refused[0] == 400 and store.get_brief(nobodys)["claimed_by"] is None
    assert client.request("POST", f"/inbox/briefs/{nobodys}/release", {"csrf": token})[0] == 400  # nobody holds it
    client.request("POST", f"/inbox/briefs/{nobodys}/reassign", {"csrf": token, "to": "sam@acme.io"})
    assert store.get_brief(nobodys)["status"] == "claimed"
    assert [(e["actor"], e["kind"], e["detail"]) for e in inbox.history(mine)][-1] == (
        "ann@acme.io", "released", "released by ann@acme.io")
    assert [(e["kind"], e["detail"]) for e in inbox.history(theirs)][-1] == (
        "reassigned", "to ann@acme.io from sam@acme.io")
    assert [(e["kind"], e["detail"]) for e in inbox.history(nobodys)] == [("reassigned", "to sam@acme.io")]


def test_one_persons_briefs_are_grouped_by_their_email(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    answers = {"struggle": "rotas", "trigger": None, "timeline": None}

    def brief_from(sender, email):
        return store.save_handoff(brief.build(sender, answers, assess(answers, dt.date(2026, 11, 26)), "qualified",
                                              {"name": "Kim", "email": email, "company": None} if email else None, []))

    first, other, second, third = (brief_from("g-1", "kim@rota.test"), brief_from("g-2", "lee@rota.test"),
                                   brief_from("g-3", "Kim@Rota.test "), brief_from("g-4", None))
    listed = inbox.find().briefs
    assert inbox.same_person(listed) == {first: [second], second: [first]}
    assert other not in inbox.same_person(listed) and third not in inbox.same_person(listed)
    assert inbox.same_person([]) == {}


def test_the_brief_list_links_a_persons_other_briefs(web_app, salesperson):
    first = save_brief("g-web-1", "rotas are chaos", "Kim", email="kim@rota.test")
    second = save_brief("g-web-2", "rotas, again", "Kim", email="kim@rota.test")
    client = Client(web_app)
    page = client.sign_in()[2]
    row = page.split(f'<tr data-brief="{second}">')[1].split("</tr>")[0]
    assert f'also <a href="/inbox/briefs/{first}">#{first}</a>' in row
