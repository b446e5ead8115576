"""Signing in to the inbox and working on a brief, over HTTP against the real web app."""
import datetime as dt
import http.cookiejar
import re
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

PASSWORD = "correct horse battery"


class Client:
    """A browser without JavaScript: keeps cookies, follows redirects, never raises on 4xx."""

    def __init__(self, base):
        self.base, self.jar = base, http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, method, path, form=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=data, method=method), timeout=30) as r:
                return r.status, r.geturl(), r.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode()

    def csrf(self, path):
        _, _, page = self.request("GET", path)
        return re.search(r'name="csrf" value="([^"]+)"', page).group(1)

    def sign_in(self, email="ann@acme.io", password=PASSWORD):
        token = self.csrf("/login?next=/inbox")
        return self.request("POST", "/login", {"csrf": token, "email": email, "password": password,
                                               "next": "/inbox"})


@pytest.fixture
def salesperson(app_database):
    accounts.add_user("Ann@Acme.io", PASSWORD)
    return "ann@acme.io"


def save_brief(sender_id, struggle, name=None, company=None):
    answers = {"struggle": struggle, "trigger": "our CFO quit", "timeline": "by friday"}
    contact = {"name": name, "email": "x@acme.io", "company": company} if name else None
    return store.save_handoff(brief.build(sender_id, answers, assess(answers, dt.date(2026, 11, 26)),
                                          "qualified", contact, []))


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
    assert [b["id"] for b in inbox.find(status="contacted")] == [older]

    status, _, csv_text = client.request("GET", "/inbox/briefs.csv?status=contacted")
    assert status == 200 and csv_text.splitlines()[0].startswith("id,created_at,status")
    assert "Bright Dental" in csv_text and "dispatch" not in csv_text
    printable = client.request("GET", f"/inbox/briefs/{older}/print")[2]
    assert "Printable brief" not in printable and "Forces" in printable
    assert "conversations started" in client.request("GET", "/inbox/dashboard")[2]


def test_spreadsheet_formulas_typed_by_a_visitor_stay_text_in_the_csv(web_app, salesperson):
    save_brief("v-3", '=HYPERLINK("http://evil.example","click")', "Eve", "Evil")
    client = Client(web_app)
    client.sign_in()
    csv_text = client.request("GET", "/inbox/briefs.csv")[2]
    assert "'=HYPERLINK" in csv_text


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
