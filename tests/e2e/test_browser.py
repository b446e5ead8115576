"""The widget on the product page, in a real browser (Debian's headless Chromium driven by Playwright)."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import expect, sync_playwright

from bot.conversation import product
from tests.e2e.stack import CONVERSATIONS, Stack
from tests.helpers import FakeSmtp, http

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
QUALIFIED = CONVERSATIONS["qualified visitor who greets first and agrees to be contacted"]["turns"]


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """docs/ under `make screenshots` (SCREENSHOTS_DIR); otherwise a temporary folder, so a test run
    leaves the tree as it found it."""
    chosen = os.environ.get("SCREENSHOTS_DIR")
    return Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def stack(tmp_path_factory, slack):
    tmp = tmp_path_factory.mktemp("browser-stack")
    running = Stack(tmp, f"sqlite:///{tmp / 'app.db'}", f"sqlite:///{tmp / 'tracker.db'}",
                    SLACK_WEBHOOK_URL=slack.url, PUBLIC_WEB_URL="https://sales.acme.test")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"])
        yield launched
        launched.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile; fails the test if any page opened a dialog (an executed script)."""
    made = browser.new_context()
    dialogs = []
    made.on("page", lambda page: page.on("dialog", lambda dialog: (dialogs.append(dialog.message),
                                                                   dialog.dismiss())))
    yield made
    made.close()
    assert dialogs == [], "visitor text was executed as a script"


def open_page(context, stack):
    page = context.new_page()
    page.goto(stack.web + "/")
    return page


def bot_lines(page):
    return page.locator(".dsb-bot")


def say(page, text):
    count = bot_lines(page).count()
    page.fill("#dsb-input", text)
    page.press("#dsb-input", "Enter")
    expect(bot_lines(page)).not_to_have_count(count, timeout=30000)


def test_the_widget_greets_and_a_visitor_converses_to_a_handoff(context, stack, screenshots):
    page = open_page(context, stack)
    expect(page.locator("h1")).to_have_text(product.facts()["tagline"])
    page.get_by_role("button", name="Talk to Acme Flow").click()
    expect(bot_lines(page).last).to_have_text("Assistant: What's going on that brought you here today?",
                                              timeout=30000)
    for turn in QUALIFIED[1:9]:
        say(page, turn)
    # The story played back in the visitor's words, one line each, before the contact question.
    expect(bot_lines(page).last).to_contain_text(f"What's going on: “{QUALIFIED[1]}”\n", timeout=30000)
    expect(bot_lines(page).last).to_contain_text(f"When: “{QUALIFIED[6]}”\nDid I get that right?")
    page.screenshot(path=str(screenshots / "widget-playback.png"))
    page.get_by_role("button", name="Yes, that's right").click()
    expect(page.get_by_role("button", name="Yes, please")).to_be_visible(timeout=30000)
    page.screenshot(path=str(screenshots / "widget.png"))
    page.get_by_role("button", name="Yes, please").click()
    expect(bot_lines(page).last).to_contain_text("What's your name?", timeout=30000)
    for turn in QUALIFIED[11:]:
        say(page, turn)
    expect(bot_lines(page).last).to_contain_text(product.message("handoff"))
    session_id = page.evaluate("JSON.parse(localStorage.getItem('dsb-chat:' + '%s')).sessionId" % stack.rasa)
    [brief] = stack.briefs(session_id)
    assert brief["handoff_reason"] == "qualified" and brief["contact"]["company"] == QUALIFIED[13]
    assert brief["playback"] == {"result": "confirmed"}
    assert brief["page_url"] == stack.web + "/"
    assert brief["transcript"][0]["speaker"] == "bot"  # the widget's own opening message is not the visitor's
    assert [line["text"] for line in brief["transcript"] if line["speaker"] == "visitor"][:2] == QUALIFIED[1:3]


def test_reloading_or_a_second_tab_continues_the_conversation_with_its_history(context, stack):
    page = open_page(context, stack)
    page.get_by_role("button", name="Talk to Acme Flow").click()
    expect(bot_lines(page)).to_have_count(2, timeout=30000)
    typed = 'our "orders" keep getting lost between sales and the warehouse <script>alert("x")</script>'
    say(page, typed)
    page.reload()
    expect(page.locator(".dsb-visitor")).to_have_text([f"You: {typed}"], timeout=30000)
    expect(bot_lines(page).last).to_have_text("Assistant: Tell me about the last time that happened. "
                                              "What went wrong?")
    stored = "JSON.parse(localStorage.getItem('dsb-chat:' + '%s'))" % stack.rasa
    assert page.evaluate(stored + ".outbox.length") == 0  # the server acknowledged every message
    second = context.new_page()
    second.goto(stack.web + "/")
    expect(second.locator(".dsb-msg")).to_have_count(4, timeout=30000)
    say(second, "last friday a customer waited three days for a parcel")
    expect(bot_lines(second).last).to_contain_text("What have you tried so far")
    second.get_by_role("button", name="Close chat").click()
    second.reload()
    expect(second.get_by_role("button", name="Talk to Acme Flow")).to_be_visible()
    expect(second.get_by_role("dialog")).to_be_hidden()  # closed stays closed on the next page


def test_messages_typed_while_offline_are_sent_on_reconnect(context, stack):
    page = open_page(context, stack)
    page.get_by_role("button", name="Talk to Acme Flow").click()
    expect(bot_lines(page)).to_have_count(2, timeout=30000)
    context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    expect(page.get_by_role("status")).to_have_text("reconnecting…", timeout=30000)
    page.fill("#dsb-input", "our invoices are always late")
    page.press("#dsb-input", "Enter")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(bot_lines(page).last).to_have_text("Assistant: Tell me about the last time that happened. "
                                              "What went wrong?", timeout=60000)
    expect(page.get_by_role("status")).to_be_hidden()


def test_the_widget_works_by_keyboard_and_on_a_phone(browser, stack, screenshots):
    phone = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(stack.web + "/")
    page.keyboard.press("Tab")
    launcher = page.get_by_role("button", name="Talk to Acme Flow")
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Talk to Acme Flow")
    expect(dialog).to_be_visible()
    expect(page.get_by_label("Your message")).to_be_focused()
    expect(page.get_by_role("log", name="Conversation")).to_contain_text("What's going on", timeout=30000)
    box = dialog.bounding_box()
    assert box["width"] == 375
    page.screenshot(path=str(screenshots / "widget-phone.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(launcher).to_be_focused()
    phone.close()


def test_a_salesperson_takes_over_the_chat_and_hands_it_back(browser, stack, slack, screenshots):
    from bot.sales import accounts

    accounts.add_user("ann@acme.io", "correct horse battery", url=stack.database_url)
    visitor = browser.new_context()
    page = visitor.new_page()
    page.goto(stack.web + "/")
    page.get_by_role("button", name="Talk to Acme Flow").click()
    expect(bot_lines(page)).to_have_count(2, timeout=30000)
    say(page, "our clinic double books patients every week")
    say(page, "can I talk to a real person please")
    expect(bot_lines(page).last).to_contain_text("what's your email?")  # one skippable question first
    say(page, "skip")
    expect(bot_lines(page).last).to_have_text("Assistant: " + product.message("handoff_no_email"))
    page.fill("#dsb-input", "ok, I'll wait here")
    page.press("#dsb-input", "Enter")
    expect(page.locator(".dsb-typing")).to_be_hidden()  # handed over: the bot will not answer, so no "typing…"
    session_id = page.evaluate("JSON.parse(localStorage.getItem('dsb-chat:' + '%s')).sessionId" % stack.rasa)
    [brief] = stack.briefs(session_id)
    link = f"<https://sales.acme.test/inbox/briefs/{brief['id']}|Open brief #{brief['id']}>"
    for _ in range(60):  # the web app's worker announces the new brief within seconds
        if any(link in message["text"] for message in slack.received):
            break
        time.sleep(0.5)
    assert [m["text"] for m in slack.received if link in m["text"]], slack.received

    sales = browser.new_context()
    inbox_page = sales.new_page()
    inbox_page.goto(stack.web + "/inbox")
    inbox_page.get_by_label("Email").fill("ann@acme.io")
    inbox_page.get_by_label("Password").fill("correct horse battery")
    inbox_page.get_by_role("button", name="Sign in").click()
    expect(inbox_page.locator("table.briefs tbody tr").first).to_contain_text("our clinic double books patients")
    # The visitor's widget is connected: they are on the page now, in the list and on the brief.
    expect(inbox_page.locator("table.briefs tbody tr").first.locator(".presence")).to_have_text("on the page now")
    inbox_page.locator("table.briefs tbody tr").first.get_by_role("link").click()
    expect(inbox_page).to_have_url(f"{stack.web}/inbox/briefs/{brief['id']}")
    expect(inbox_page.locator(".seen")).to_have_text("on the page now")
    inbox_page.get_by_role("button", name="Claim").click()
    expect(inbox_page.locator(".meta").first).to_contain_text("claimed by ann@acme.io")
    page.get_by_role("button", name="Close chat").click()  # the visitor closed the chat meanwhile
    inbox_page.get_by_label("Message to the visitor").fill("Hi, I'm Ann from sales. <b>How can I help?</b>")
    inbox_page.get_by_label("Message to the visitor").press("Control+Enter")  # sends, as the button does
    expect(page.get_by_role("button", name="Talk to Acme Flow (1 new)")).to_be_visible(timeout=30000)
    page.get_by_role("button", name="Talk to Acme Flow").click()
    expect(page.locator(".dsb-badge")).to_be_hidden()
    # The visitor sees a person join, by name, on the message as seen and as read out.
    expect(page.locator(".dsb-agent").last).to_have_text("Ann: Hi, I'm Ann from sales. <b>How can I help?</b>",
                                                         timeout=30000)
    expect(page.locator(".dsb-note")).to_have_text(["Ann joined the chat"])
    page.set_viewport_size({"width": 390, "height": 844})  # as the visitor sees the takeover on a phone
    page.screenshot(path=str(screenshots / "widget-takeover-phone.png"))
    page.set_viewport_size({"width": 1280, "height": 720})
    # While Ann types (and only then) the visitor sees it, by her name.
    inbox_page.get_by_label("Message to the visitor").press_sequentially("Let me check the calendar")
    expect(page.locator(".dsb-typing")).to_have_text("Ann is typing…")
    inbox_page.get_by_label("Message to the visitor").fill("")
    expect(page.locator(".dsb-typing")).to_be_hidden(timeout=10000)  # she stopped: it goes
    say_without_reply = "could you call me tomorrow morning?"
    page.fill("#dsb-input", say_without_reply)
    page.press("#dsb-input", "Enter")
    expect(page.locator(".dsb-typing")).to_be_hidden()  # a person answers: no bot "typing…" meanwhile
    expect(inbox_page.get_by_role("log", name="Live conversation")).to_contain_text(say_without_reply,
                                                                                     timeout=30000)
    page.reload()
    expect(page.locator(".dsb-agent").last).to_have_text("Ann: Hi, I'm Ann from sales. <b>How can I help?</b>",
                                                         timeout=30000)
    inbox_page.set_viewport_size({"width": 1400, "height": 1000})  # wide: the conversation beside the brief
    inbox_page.evaluate("window.scrollTo(0, 0)")
    inbox_page.screenshot(path=str(screenshots / "brief-page.png"))
    inbox_page.get_by_role("button", name="Hand back to the bot").click()
    expect(inbox_page.get_by_role("status")).to_have_text("The bot is answering this visitor.", timeout=30000)
    # The bot says it is back and asks the question that was open when the visitor asked for a person.
    expect(bot_lines(page).last).to_have_text("Assistant: Tell me about the last time that happened. What went wrong?",
                                              timeout=30000)
    expect(bot_lines(page).nth(-2)).to_have_text("Assistant: " + product.message("handed_back_resume"))
    say(page, "on friday the front desk booked two people into the 9:30 and nobody noticed until they arrived")
    expect(bot_lines(page).last).to_have_text(
        "Assistant: What have you tried so far: workarounds, other tools, or living with it?")
    assert len(stack.briefs(session_id)) == 1  # handing back did not replay the handoff
    from bot.sales import inbox

    assert [e["kind"] for e in inbox.history(brief["id"], url=stack.database_url)] == [
        "claimed", "message", "handed_back"]
    page.close()  # the visitor left: the brief page says so at once
    expect(inbox_page.locator(".seen")).to_have_text("last seen just now", timeout=2000)
    visitor.close()
    sales.close()


# Each visible button, field, link, badge and status with text: its contrast ratio against the first opaque
# background behind it (WCAG's relative luminance).
CONTRASTS = """(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92
                                                     : Math.pow((v + 0.055) / 1.055, 2.4); })
                                      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const behind = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
                             if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3); }
                           return [255, 255, 255]; };
  const found = [];
  document.querySelectorAll("button, input, select, textarea, a, .unread, .fresh, .status, .meta, .unknown, .hint, "
                            + ".presence")
    .forEach((el) => {
      if (!el.offsetParent || !(el.textContent.trim() || el.value)) return;
      const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(behind(el))];
      found.push([el.tagName.toLowerCase() + "." + el.className, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)]);
    });
  return found;
})()"""


# The browser's notifications, recorded; the brief list's tab behind another window (so it notifies).
NOTIFICATIONS_SEEN = """
window.notified = [];
window.Notification = class {
  constructor(title, options) { window.notified.push([title, options.body]); }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
};
if (location.pathname === "/inbox") Object.defineProperty(document, "hidden", { get: () => true });
"""


def test_the_inbox_is_live_new_briefs_and_unread_messages_arrive_without_a_reload(browser, stack, screenshots):
    inbox_page = signed_in(browser, stack, "lee@acme.io", "Europe/Berlin")
    inbox_page.context.add_init_script(NOTIFICATIONS_SEEN)
    inbox_page.reload()
    expect(inbox_page.get_by_role("button", name="Notify me of new briefs")).to_be_hidden()  # already allowed
    expect(inbox_page).to_have_title(re.compile(r"^(\(\d+\) )?Briefs$"))
    before = int(re.match(r"\((\d+)\)", inbox_page.title()).group(1)) if inbox_page.title()[0] == "(" else 0

    def titled(news: int) -> str:  # earlier tests' briefs may have news for Lee too
        return f"({before + news}) Briefs" if before + news else "Briefs"

    sender = f"live-{uuid.uuid4().hex[:10]}"
    rest_turn(stack, sender, "our two warehouses keep shipping the same order twice")
    rest_turn(stack, sender, "could somebody from your sales team get in touch with me?")
    rest_turn(stack, sender, "lee.visitor@northwind.test")
    [brief] = stack.briefs(sender)  # stored: from here the open page has 2 s to show it
    row = inbox_page.locator(f'tr[data-brief="{brief["id"]}"]')
    expect(row).to_contain_text("keep shipping the same order twice", timeout=2000)
    expect(row).to_contain_text("new")
    waiting_line = inbox_page.locator(f'section.waiting li[data-brief="{brief["id"]}"]')
    expect(waiting_line).to_contain_text("asked for a person")  # waiting for a person, first
    expect(inbox_page).to_have_title(titled(1))
    assert inbox_page.evaluate("window.notified") == [
        [f"New brief #{brief['id']}", "our two warehouses keep shipping the same order twice"]]

    rest_turn(stack, sender, "are you still there? tuesday at 10 would suit me")
    expect(row.locator(".unread")).to_have_text("1", timeout=2000)
    assert inbox_page.evaluate("window.notified")[-1] == [f"Brief #{brief['id']}: the visitor wrote",
                                                          "Open the brief to answer them."]
    rest_turn(stack, sender, "or wednesday, any time after lunch")
    expect(row.locator(".unread")).to_have_text("2", timeout=2000)
    expect(row.locator(".unread")).to_have_attribute("aria-label", "2 unread")
    expect(inbox_page).to_have_title(titled(1))  # one brief with news
    inbox_page.screenshot(path=str(screenshots / "inbox-live.png"))

    inbox_page.reload()  # the count is the server's too
    expect(row.locator(".unread")).to_have_text("2")
    expect(inbox_page).to_have_title(titled(1))
    other_tab = inbox_page.context.new_page()  # the same salesperson's second tab
    other_tab.goto(stack.web + "/inbox")
    expect(other_tab).to_have_title(titled(1))
    row.get_by_role("link").click()  # reading the brief clears it, in every tab
    live_log = inbox_page.get_by_role("log", name="Live conversation")
    expect(live_log).to_contain_text("or wednesday, any time after lunch")
    expect(other_tab.locator(f'tr[data-brief="{brief["id"]}"] .unread')).to_be_hidden(timeout=2000)
    expect(other_tab).to_have_title(titled(0))
    # Claiming and answering show in the other tab at once: the holder, and the visitor no longer waiting.
    other_row, other_waiting = (other_tab.locator(f'{where}[data-brief="{brief["id"]}"]') for where in ("tr", "li"))
    expect(other_waiting).to_contain_text("asked for a person")
    inbox_page.get_by_role("button", name="Claim").click()
    expect(other_row.locator(".status")).to_have_text("claimed", timeout=2000)
    expect(other_row).to_contain_text("lee@acme.io")
    inbox_page.get_by_label("Message to the visitor").fill("Hello, Lee here: Tuesday at 10 suits us too.")
    inbox_page.get_by_role("button", name="Send to visitor").click()
    expect(other_waiting).to_be_hidden(timeout=2000)

    rest_turn(stack, sender, "one more thing: we ship from Leeds and Lyon")  # the brief page is open
    expect(live_log).to_contain_text("we ship from Leeds and Lyon", timeout=2000)
    inbox_page.goto(stack.web + "/inbox")
    expect(inbox_page).to_have_title(titled(0))  # seen on the brief page as it arrived
    expect(row.locator(".unread")).to_be_hidden()
    inbox_page.context.close()


def test_the_inbox_works_by_keyboard_and_on_a_phone(browser, stack, screenshots):
    sender = f"phone-{uuid.uuid4().hex[:10]}"
    rest_turn(stack, sender, "our delivery drivers never see the latest route changes")
    rest_turn(stack, sender, "may I chat with an actual human from your company instead?")
    rest_turn(stack, sender, "pat.delivery@longroute.test")
    [brief] = stack.briefs(sender)
    page = signed_in(browser, stack, "pat@acme.io", "America/New_York")
    newest = page.locator("table.briefs tbody tr").first
    expect(newest).to_contain_text("never see the latest route changes")
    expect(newest.locator("time")).to_have_text(re.compile(r"^(just now|\d+ min ago)$"))
    at = dt.datetime.fromisoformat(brief["created_at"].rstrip("Z")).replace(tzinfo=dt.timezone.utc)
    local = at.astimezone(ZoneInfo("America/New_York"))  # the salesperson's own time zone, on hover
    expect(newest.locator("time")).to_have_attribute("title", re.compile(
        rf"{local.strftime('%B')} {local.day}, {local.year} at {local.hour % 12 or 12}:{local.strftime('%M')}"))

    page.keyboard.press("j")
    expect(newest).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(newest).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    expect(page.get_by_role("searchbox")).to_be_focused()
    page.keyboard.type("jk")  # typed into the search, not taken as shortcuts
    expect(page.get_by_role("searchbox")).to_have_value("jk")
    page.get_by_role("searchbox").fill("")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("k")  # the selection stayed on the newest brief, the first: k keeps it there
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{stack.web}/inbox/briefs/{brief['id']}")

    # Readable and visible by keyboard: text at 4.5:1 or more against what is behind it, and a focus ring.
    for path in ("/inbox", f"/inbox/briefs/{brief['id']}", "/inbox/dashboard"):
        page.goto(stack.web + path)
        for selector, ratio in page.evaluate(CONTRASTS):
            assert ratio >= 4.5, f"{selector} on {path}: contrast {ratio:.2f}"
    page.goto(f"{stack.web}/inbox/briefs/{brief['id']}")
    page.get_by_role("button", name="Claim").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focused by keyboard
    ring = page.evaluate("(() => { const el = document.activeElement, s = getComputedStyle(el);"
                         " return [el.textContent, s.outlineStyle, parseFloat(s.outlineWidth)]; })()")
    assert ring[0] == "Claim" and ring[1] == "solid" and ring[2] >= 2, ring

    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/inbox", f"/inbox/briefs/{brief['id']}", "/inbox/dashboard"):
        page.goto(stack.web + path)
        wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wide <= 0, f"{path} scrolls sideways by {wide} px at phone width"
        if path == "/inbox":
            page.screenshot(path=str(screenshots / "inbox-phone.png"))
    page.context.close()


# --- Booking a call in the chat ---------------------------------------------------------------------------------


class Mailbox(FakeSmtp):
    """The company's mail server for the booking stack: what it accepted, read as emails."""

    def to(self, address: str, method: str) -> list:
        """The messages to `address` with a calendar part of that METHOD (REQUEST or CANCEL)."""
        parsed = [email.message_from_bytes(sent.content, policy=email.policy.default) for sent in self.messages]
        return [message for message in parsed if message["To"] == address
                and any(part.get_content_type() == "text/calendar" and part.get_param("method") == method
                        for part in message.walk())]

    def wait_for(self, address: str, method: str) -> list:
        for _ in range(60):  # the web app's worker sends the outbox every two seconds
            if self.to(address, method):
                time.sleep(4)  # two more rounds of the worker: nothing is sent twice
                return self.to(address, method)
            time.sleep(0.5)
        raise AssertionError(f"no {method} email to {address}: {[sent.rcpt_tos for sent in self.messages]}")


def calendar_event(message):
    [part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]


@pytest.fixture(scope="module")
def mailbox():
    box = Mailbox()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def booking_stack(tmp_path_factory, mailbox):
    tmp = tmp_path_factory.mktemp("booking-stack")
    running = Stack(tmp, f"sqlite:///{tmp / 'app.db'}", f"sqlite:///{tmp / 'tracker.db'}",
                    SMTP_URL=mailbox.url, SALES_EMAIL_FROM="assistant@acme.test")
    yield running
    running.stop()


def signed_in(browser, stack, address, time_zone):
    from bot.sales import accounts

    accounts.add_user(address, "correct horse battery", url=stack.database_url)
    page = browser.new_context(timezone_id=time_zone).new_page()
    page.goto(stack.web + "/inbox")
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Availability")).to_be_visible()
    return page


def rest_turn(stack, sender, text):
    status, replies = http("POST", f"{stack.rasa}/webhooks/rest/webhook", {
        "sender": sender, "message": text, "metadata": {"time_zone": "America/New_York"}})
    assert status == 200, replies
    return replies


def test_a_visitor_books_a_call_in_the_widget_in_their_time_zone_and_can_cancel_it(browser, booking_stack, mailbox,
                                                                                  screenshots):
    from bot.sales import booking

    stack = booking_stack
    sales = signed_in(browser, stack, "sam@acme.io", "Europe/Berlin")
    sales.get_by_role("link", name="Availability").click()
    sales.get_by_label("Time zone").fill("Europe/Berlin")
    sales.get_by_label("Weekly hours").fill("mon-sun 00:00-24:00")
    sales.get_by_role("button", name="Save").click()
    expect(sales.get_by_role("status")).to_contain_text("Saved")
    visitor = browser.new_context(timezone_id="America/New_York")
    page = visitor.new_page()
    page.goto(stack.web + "/")
    page.get_by_role("button", name="Talk to Acme Flow").click()
    expect(bot_lines(page).last).to_contain_text("What's going on", timeout=30000)
    for turn in QUALIFIED[1:9]:
        say(page, turn)
    page.get_by_role("button", name="Yes, that's right").click()
    page.get_by_role("button", name="Yes, please").click()
    expect(bot_lines(page).last).to_contain_text("What's your name?", timeout=30000)
    for turn in QUALIFIED[11:]:
        say(page, turn)
    expect(bot_lines(page).last).to_contain_text("(New York time)", timeout=30000)
    expect(page.get_by_role("button", name="Another time")).to_be_visible()
    offered = booking.free_slots(3, url=stack.database_url, visitor_time_zone="America/New_York")
    labels = [booking.label(start, "America/New_York") for start in offered]
    for label in labels:  # the next three free times, as the visitor's clock reads them
        expect(page.get_by_role("button", name=label)).to_be_visible()

    # Another visitor in New York, over REST, is offered the same times.
    other = f"rest-{uuid.uuid4().hex[:8]}"
    for turn in [t.replace("maria.gonzalez", "lee.other") for t in QUALIFIED]:
        replies = rest_turn(stack, other, turn)
    assert [button["title"] for button in replies[-1]["buttons"]] == [*labels, "Another time"]
    page.screenshot(path=str(screenshots / "booking.png"))
    page.get_by_role("button", name=labels[0]).click()
    expect(bot_lines(page).last).to_contain_text(f"Booked: {labels[0]} (New York time), 30 minutes. "
                                                 f"The invitation is on its way to {QUALIFIED[12]}", timeout=30000)

    # The REST visitor picks the time just taken: told so, and offered fresh times without it.
    replies = rest_turn(stack, other, labels[0])
    assert replies[0]["text"] == "Sorry, someone took that time a moment ago."
    fresh = [button["title"] for button in replies[-1]["buttons"]]
    assert labels[0] not in fresh and len(fresh) == 4  # three times and "another time"

    # One invitation each, for the time picked; the brief is Sam's and shows the call.
    [invitation] = mailbox.wait_for(QUALIFIED[12], "REQUEST")
    [for_sam] = mailbox.wait_for("sam@acme.io", "REQUEST")
    for message in (invitation, for_sam):
        event = calendar_event(message)
        assert (event.decoded("dtstart"), event.decoded("dtend")) == (offered[0], offered[0] + dt.timedelta(minutes=30))
    assert "America/New_York" in invitation["Subject"] and "Europe/Berlin" in for_sam["Subject"]
    session_id = page.evaluate("JSON.parse(localStorage.getItem('dsb-chat:' + '%s')).sessionId" % stack.rasa)
    [brief] = stack.briefs(session_id)
    assert brief["claimed_by"] == "sam@acme.io"
    sales.goto(f"{stack.web}/inbox/briefs/{brief['id']}")
    expect(sales.locator(".call")).to_contain_text(f"Call booked: {booking.label(offered[0], 'Europe/Berlin')}")

    # The visitor cancels from the link in the email: both are told, once, and the time is free again.
    body = invitation.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+?(/meetings/\S+)", body)[1]
    page.goto(stack.web + link)
    expect(page.locator("main")).to_contain_text(labels[0])
    page.get_by_role("button", name="Cancel the call").click()
    expect(page.locator("main")).to_contain_text("cancelled")
    [cancelled] = mailbox.wait_for(QUALIFIED[12], "CANCEL")
    assert calendar_event(cancelled)["uid"] == calendar_event(invitation)["uid"]
    assert len(mailbox.wait_for("sam@acme.io", "CANCEL")) == 1
    assert offered[0] in booking.free_slots(5, url=stack.database_url)


def test_the_outcomes_page_shows_which_answers_led_to_won_deals(browser, booking_stack, screenshots):
    from tests.integration.test_outcomes import seed

    seed(booking_stack.database_url)  # 40 closed briefs, two open ones, a nurtured visitor who bought later
    page = signed_in(browser, booking_stack, "olu@acme.io", "Europe/Berlin")
    page.get_by_role("link", name="Outcomes").click()
    expect(page.get_by_role("heading", name="Outcomes")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("actively looking or deciding")  # the check that did not help
    expect(page.locator("table.outcomes")).to_contain_text("push rating")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(screenshots / "outcomes.png"), full_page=True)
