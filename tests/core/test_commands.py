"""Command parsing, the registry and permission checks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from hearth import Command, Param, Role
from hearth.commands import CommandRegistry, check_permission, parse_args, quote_arg, split_args
from hearth.errors import PermissionDenied, StartupError, UsageError
from hearth.models import Member


async def _noop(inv: object) -> None:
    return None


FLASH = Command(
    name="flash",
    handler=_noop,
    params=(Param("title", "text"), Param("duration", "duration", optional=True),
            Param("members", "member", variadic=True)),
    min_role=Role.LEADER,
    power="flash",
    plugin="flash",
)


def _member(role: Role) -> Member:
    return Member(platform="testing", id="m", name="M", role=role)


def test_quoted_title_duration_and_mentions() -> None:
    args = parse_args(FLASH, '"Night talk" 1h30m @alice <@123>')
    assert args == {"title": "Night talk", "duration": timedelta(minutes=90), "members": ["alice", "123"]}


def test_optional_parameter_is_skipped_when_it_does_not_fit() -> None:
    args = parse_args(FLASH, "“Tea swap” @bob")
    assert args == {"title": "Tea swap", "duration": None, "members": ["bob"]}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("", "missing TITLE"),
        ('"Night talk', "a quote is not closed"),
        ('"Night talk" 2h bob', "unexpected 'bob'"),
    ],
)
def test_malformed_arguments_say_what_is_wrong_and_how_to_use(line: str, problem: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_args(FLASH, line)
    assert info.value.problem == problem
    assert info.value.usage == "flash TITLE [DURATION] [@member …]"


def test_required_typed_parameter_reports_expected_form() -> None:
    ping = Command(name="ping", handler=_noop, params=(Param("n", "int"),))
    with pytest.raises(UsageError, match="'x' is not a whole number for N"):
        parse_args(ping, "x")


def test_rest_parameter_takes_the_remaining_text_as_written() -> None:
    warn = Command(name="warn", handler=_noop, params=(Param("member", "member"), Param("reason", "rest")))
    assert parse_args(warn, "@ann sweep the   tea room") == {
        "member": "ann", "reason": "sweep the   tea room"}
    # an apostrophe or a quote in the rest is text, not an unclosed quote
    assert parse_args(warn, "@ann don't shout \"please\"\nsecond line") == {
        "member": "ann", "reason": "don't shout \"please\"\nsecond line"}
    assert parse_args(warn, "\"@ann\" 'it's fine") == {"member": "ann", "reason": "'it's fine"}


def test_a_text_only_command_takes_its_text_as_written() -> None:
    task = Command(name="task", handler=_noop, params=(Param("text", "rest"),))
    assert parse_args(task, "  sweep the   tea room  ") == {"text": "sweep the   tea room"}
    assert parse_args(task, "Don't forget \"Friday\"") == {"text": "Don't forget \"Friday\""}
    with pytest.raises(UsageError, match="missing TEXT"):
        parse_args(task, "   ")


def test_two_word_commands_win_over_one_word() -> None:
    join = Command(name="flash join", handler=_noop, params=(Param("name"),), plugin="flash")
    registry = CommandRegistry([FLASH, join])
    assert registry.resolve("flash join night-talk") == (join, "flash join", "night-talk")
    assert registry.resolve('FLASH "join us" 2h') == (FLASH, "flash", '"join us" 2h')
    assert registry.resolve("nothing here")[0] is None


def test_resolve_splits_the_name_from_the_arguments_however_spaced() -> None:
    join = Command(name="flash join", handler=_noop, params=(Param("name"),), plugin="flash")
    ping = Command(name="ping", handler=_noop, params=(Param("n", "int"),))
    registry = CommandRegistry([FLASH, join, ping])
    assert registry.resolve("  Flash\t JOIN   night  talk \n") == (join, "flash join", "night  talk")
    assert registry.resolve("flash join") == (join, "flash join", "")
    assert registry.resolve("flash") == (FLASH, "flash", "")
    assert registry.resolve("flash  joint x ") == (FLASH, "flash", "joint x")
    assert registry.resolve("PING   12 ") == (ping, "ping", "12")
    assert registry.resolve("ping join") == (ping, "ping", "join")
    assert registry.resolve("   ") == (None, "", "")
    assert registry.resolve("pong 1") == (None, "pong", "1")


@pytest.mark.parametrize(("line", "problem"), [
    ('"T" 2h bob "open', "unexpected 'bob'"),  # found before the parser reaches the quote
    ('"T" @a "open', "a quote is not closed"),  # the variadic members reach it
    ('"T" "open', "a quote is not closed"),  # the optional duration reaches it
    ("'open", "a quote is not closed"),
])
def test_an_unclosed_quote_is_an_error_once_the_parser_reaches_it(line: str, problem: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_args(FLASH, line)
    assert info.value.problem == problem


def test_rest_follows_quoted_and_plain_arguments_as_written() -> None:
    warn = Command(name="warn", handler=_noop,
                   params=(Param("member", "member"), Param("reason", "rest", optional=True)))
    assert parse_args(warn, "<@1>   several   spaces  ") == {"member": "1", "reason": "several   spaces"}
    assert parse_args(warn, '"@ann"   "quoted" rest \'open') == {
        "member": "ann", "reason": '"quoted" rest \'open'}
    assert parse_args(warn, "@ann") == {"member": "ann", "reason": None}
    assert parse_args(warn, '"@ann"  ') == {"member": "ann", "reason": None}
    label = Command(name="label", handler=_noop, params=(Param("a"), Param("b"), Param("note", "rest")))
    assert parse_args(label, "x y  the note") == {"a": "x", "b": "y", "note": "the note"}
    assert parse_args(label, "“x y” ‘z’ the ‘note’") == {"a": "x y", "b": "z", "note": "the ‘note’"}
    with pytest.raises(UsageError, match="missing NOTE"):
        parse_args(label, "x y ")


@pytest.mark.parametrize(("token", "value"), [
    ("7", 7), ("007", 7), ("+5", 5), ("\u0663", 3), ("000000000000000000042", 42), ("1000000", 1_000_000),
    ("1e3", None), ("\u00b2", None), ("4.5", None), ("", None),
])
def test_int_arguments(token: str, value: int | None) -> None:
    count = Command(name="count", handler=_noop,
                    params=(Param("n", "int", optional=True), Param("w", optional=True)))
    assert parse_args(count, token) == ({"n": value, "w": None} if value is not None else
                                        {"n": None, "w": token or None})
    if value is None and token:
        single = Command(name="single", handler=_noop, params=(Param("n", "int"),))
        with pytest.raises(UsageError, match=f"{token!r} is not a whole number for N"):
            parse_args(single, token)


def test_duplicate_command_names_are_a_startup_error() -> None:
    other = Command(name="flash", handler=_noop, plugin="other")
    with pytest.raises(StartupError, match="offered by both 'flash' and 'other'"):
        CommandRegistry([FLASH, other])


def test_role_and_power_checks() -> None:
    with pytest.raises(PermissionDenied, match="for leaders and above; you are a member"):
        check_permission(FLASH, _member(Role.MEMBER), None, frozenset({"flash"}), "!")
    check_permission(FLASH, _member(Role.LEADER), None, frozenset({"flash"}), "!")
    with pytest.raises(PermissionDenied, match="needs the 'flash' power"):
        check_permission(FLASH, _member(Role.LEADER), None, frozenset(), "!")
    check_permission(FLASH, _member(Role.ADMIN), None, frozenset(), "!")  # admins need no power


def test_role_rule_can_come_from_the_plugin_config() -> None:
    command = Command(name="x", handler=_noop, min_role=lambda cfg: cfg)
    check_permission(command, _member(Role.MEMBER), Role.MEMBER, frozenset(), "!")
    with pytest.raises(PermissionDenied):
        check_permission(command, _member(Role.MEMBER), Role.ADMIN, frozenset(), "!")


def test_split_args_keeps_apostrophes_inside_quotes_and_words() -> None:
    assert split_args('"Olivia\'s tea" 2h') == ["Olivia's tea", "2h"]
    assert split_args("Olivia's ‘tea room’  “big hall”") == ["Olivia's", "tea room", "big hall"]
    with pytest.raises(ValueError, match="a quote is not closed"):
        split_args("fine 'not closed")


@pytest.mark.parametrize("text", ["tea", "two words", "Olivia's tea", 'say "hi"', "it's \"both\"",
                                  "'lead", "“curly”", "line\nbreak"])
def test_a_quoted_argument_reads_back_as_one_token(text: str) -> None:
    [token] = split_args(quote_arg(text))
    assert token == text if not ('"' in text and "'" in text) else token == text.replace('"', "'")


# Issue 10 item 22: absurd numbers are usage errors at parsing, never a crash deeper in.
INVITE = Command(name="invite", handler=_noop,
                 params=(Param("uses", "int", optional=True), Param("expires", "duration", optional=True)))


@pytest.mark.parametrize(("line", "problem"), [
    ("99999999999999999999 1d", "USES is a whole number from 0 to 1,000,000"),
    ("-5", "USES is a whole number from 0 to 1,000,000"),
    ("9" * 5000, "USES is a whole number from 0 to 1,000,000"),
    ("3 9999999999999d", "EXPIRES is at most 366d"),
    ("3 " + "9" * 5000 + "d", "EXPIRES is at most 366d"),
])
def test_absurd_numbers_are_usage_errors(line: str, problem: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_args(INVITE, line)
    assert err.value.problem.startswith(f"{problem} (got ") and err.value.usage == "invite [USES] [EXPIRES]"


def test_bounds_are_per_parameter() -> None:
    roll = Command(name="roll", handler=_noop,
                   params=(Param("sides", "int", bounds=(2, 100)),
                           Param("for", "duration", longest=timedelta(hours=1))))
    assert parse_args(roll, "6 1h") == {"sides": 6, "for": timedelta(hours=1)}
    with pytest.raises(UsageError, match="SIDES is a whole number from 2 to 100"):
        parse_args(roll, "1 1h")
    with pytest.raises(UsageError, match="FOR is at most 1h"):
        parse_args(roll, "6 61m")


@pytest.mark.asyncio
async def test_absurd_numbers_in_real_commands_get_a_usage_reply(hearth_bot) -> None:
    config = (Path(__file__).parents[2] / "examples" / "community.yaml").read_text()
    bot = await hearth_bot(config, start="2026-11-20T19:00:00+08:00",
                           members=[{"id": "olivia", "role": "owner"}])
    await bot.dm("olivia", "!invite 99999999999999999999 1d")
    await bot.dm("olivia", '!flash x 9999999999999d')
    replies = [a["text"] for a in bot.sent("dm", member="olivia")]
    assert len(replies) == 2
    assert replies[0].startswith("USES is a whole number from 0 to 1,000,000 (got 99999999999999999999)\n"
                                 "Usage: !invite")
    assert replies[1].startswith("DURATION is at most 366d (got 9999999999999d)\nUsage: !flash")
    assert not any("Sorry" in r for r in replies)
