import pytest

from bot.conversation.contact import normalise_email


@pytest.mark.parametrize("typed, address", [
    ("jane@acme.io", "jane@acme.io"),
    ("my email is raj@brightdental.com.", "raj@brightdental.com"),
    ("Bob@Gmail.COM", "Bob@gmail.com"),
])
def test_valid_addresses_are_accepted(typed, address):
    assert normalise_email(typed) == address


@pytest.mark.parametrize("typed", ["jane@acme", "priya at greenleaf", "a@b.c", "x@localhost", "bob@test.test",
                                   "@acme.io", "jane@@acme.io", "<script>@x.com"])
def test_invalid_or_implausible_addresses_are_rejected(typed):
    assert normalise_email(typed) is None


@pytest.mark.parametrize("typed, address", [
    ("maria at brightdental dot com", "maria@brightdental.com"),
    ("it's maria (at) bright-dental [dot] co [dot] uk", "maria@bright-dental.co.uk"),
    ("Maria.G at BrightDental.com", "Maria.G@brightdental.com"),
])
def test_an_address_spelled_out_against_robots_is_read(typed, address):
    assert normalise_email(typed) == address


@pytest.mark.parametrize("typed", ["priya at greenleaf", "we meet at noon", "at the office dot"])
def test_words_that_only_look_spelled_out_are_no_address(typed):
    assert normalise_email(typed) is None
