import pytest

from bot.conversation.contact import details_in, normalise_email, phone_numbers


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


@pytest.mark.parametrize("typed, numbers", [
    ("call me on +44 20 7946 0958", ["+44 20 7946 0958"]), ("(555) 123-4567, after 5pm", ["(555) 123-4567"]),
    ("my number: 555.123.4567.", ["555.123.4567"]), ("01761234567", ["01761234567"]),
    ("due 2026-11-29", []), ("we lost $12,500,000", []), ("in 3-4 weeks", []), ("order 1234567 went missing", []),
])
def test_phone_numbers_as_people_type_them(typed, numbers):
    assert phone_numbers(typed) == numbers


def test_contact_details_typed_anywhere_are_found_once_each_in_order():
    said = ["hi", "reach me at Maria@BrightDental.com or +1 (555) 123-4567", "maria at brightdental dot com",
            "or the office: +1 (555) 123-4567"]
    assert details_in(said) == [("email", "Maria@brightdental.com"), ("phone", "+1 (555) 123-4567")]
