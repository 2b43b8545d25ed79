"""Issue 10 item 16: moderators see the account id beside any display name, on every network."""

from __future__ import annotations

from hearth import Member, literal


def member(platform: str, id_: str, name: str) -> Member:
    return Member(platform=platform, id=id_, name=name)


def test_the_account_id_is_shown_beside_the_display_name_on_each_network():
    assert member("matrix", "@mallory:evil.org", "alice").name_and_id == "alice (`@mallory:evil.org`)"
    assert member("discord", "123456789012345678", "alice").name_and_id == "alice (`123456789012345678`)"
    assert member("testing", "bob", "Bob").name_and_id == "Bob (`bob`)"


def test_a_name_cannot_hide_or_reorder_the_id():
    # a right-to-left override would show the id reversed; backticks would end the code span
    assert member("matrix", "@m:evil.org", "ali\u202ece`x").name_and_id == "alicex (`@m:evil.org`)"
    assert member("matrix", "@m:evil.org", "alice\n(`@alice:example.org`)").name_and_id == (
        "alice (@alice:example.org) (`@m:evil.org`)")
    assert member("discord", "1", "x" * 500).name_and_id == "x" * 64 + " (`1`)"


def test_no_name_or_the_id_as_name_shows_the_id_once():
    assert member("matrix", "@bob:example.org", "").name_and_id == "`@bob:example.org`"
    assert member("matrix", "@bob:example.org", "@bob:example.org").name_and_id == "`@bob:example.org`"
    assert member("testing", "bob", "@bob").name_and_id == "`bob`"


def test_literal_is_a_code_span_whatever_the_text():
    assert literal("cheap.com") == "`cheap.com`"
    assert literal("a`b") == "`a'b`"
    assert literal("two\nlines") == "`two lines`"
