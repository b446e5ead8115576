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
