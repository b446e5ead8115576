"""The widget on the product page, in a real browser (Debian's headless Chromium driven by Playwright)."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from bot.conversation import product
from tests.e2e.stack import CONVERSATIONS, Stack

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
    inbox_page.locator("table.briefs tbody tr").first.get_by_role("link").click()
    expect(inbox_page).to_have_url(f"{stack.web}/inbox/briefs/{brief['id']}")
    inbox_page.get_by_role("button", name="Claim").click()
    expect(inbox_page.locator(".meta").first).to_contain_text("claimed by ann@acme.io")
    inbox_page.get_by_label("Message to the visitor").fill("Hi, I'm Ann from sales. <b>How can I help?</b>")
    inbox_page.get_by_role("button", name="Send to visitor").click()
    expect(bot_lines(page).last).to_have_text("Assistant: Hi, I'm Ann from sales. <b>How can I help?</b>",
                                              timeout=30000)
    say_without_reply = "could you call me tomorrow morning?"
    page.fill("#dsb-input", say_without_reply)
    page.press("#dsb-input", "Enter")
    expect(inbox_page.get_by_role("log", name="Live conversation")).to_contain_text(say_without_reply,
                                                                                     timeout=30000)
    inbox_page.screenshot(path=str(screenshots / "brief-page.png"), full_page=True)
    inbox_page.get_by_role("button", name="Hand back to the bot").click()
    expect(inbox_page.get_by_role("status")).to_have_text("The bot is answering this visitor.", timeout=30000)
    say(page, "thanks")
    expect(bot_lines(page).last).to_have_text("Assistant: You're welcome!")
    assert len(stack.briefs(session_id)) == 1  # handing back did not replay the handoff
    from bot.sales import inbox

    assert [e["kind"] for e in inbox.history(brief["id"], url=stack.database_url)] == [
        "claimed", "message", "handed_back"]
    visitor.close()
    sales.close()
