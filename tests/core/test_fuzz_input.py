"""Fuzz: random YAML structures and bytes at `hearth check`, random text at command parsing.

Whatever comes in, the answer is a clean result: `check` exits 0 or 2 with no traceback,
command parsing returns arguments or raises :class:`UsageError` (issue 10, "Done when").
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hearth import Command, Param
from hearth.cli import main
from hearth.commands import parse_args
from hearth.errors import UsageError

# Real keys, so random structures reach deep into the schemas rather than stopping at the top.
KEYS = ["storage", "command_prefix", "accounts", "communities", "tea-house", "timezone", "language",
        "channels", "roles", "plugins", "discord", "matrix", "guild", "space", "rooms", "general",
        "welcome", "ad_window", "flash", "texts", "message", "accept", "command", "within", "burst",
        "windows", "days", "from", "to", "escalation", "mute", "strike_decay", "detect", "patterns",
        "homeserver", "user_id", "access_token", "token", "max_duration", "default_duration", "rules",
        "step_warn", "audit", "reminder", "day", "every", "gate", "creators", "max_open", "catch_up"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.sampled_from(["", "UTC", "general", "7d", "99999999d", "20:00", "fri", "{mention}", "{x: y}",
                     "{", "}", "sqlite:///", "https://x.org", "${NOPE}", "!x:y", "@a:b", "warn", "kick"]),
    st.text(max_size=20),
)
STRUCTURES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5)),
    max_leaves=40,
)
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hearth.yaml"
        path.write_bytes(data)
        result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


@FUZZ
@given(st.fixed_dictionaries({"communities": st.dictionaries(st.sampled_from(KEYS), STRUCTURES,
                                                              max_size=2)}) | STRUCTURES)
@example({"communities": {"storage": {"discord": {"[": None}}}})  # a key with a bracket in it
def test_random_yaml_structures_get_a_clean_answer(data: Any) -> None:
    _check(yaml.safe_dump(data, allow_unicode=True).encode())


@FUZZ
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_random_bytes_get_a_clean_answer(data: bytes) -> None:
    _check(data)


COMMANDS = [
    Command(name="flash", handler=lambda inv: None,  # type: ignore[arg-type, return-value]
            params=(Param("title", "text"), Param("duration", "duration", optional=True),
                    Param("members", "member", variadic=True))),
    Command(name="invite", handler=lambda inv: None,  # type: ignore[arg-type, return-value]
            params=(Param("uses", "int", optional=True), Param("expires", "duration", optional=True))),
    Command(name="mute", handler=lambda inv: None,  # type: ignore[arg-type, return-value]
            params=(Param("member", "member"), Param("for", "duration", longest=timedelta(days=28)),
                    Param("reason", "rest", optional=True))),
]
TOKENS = st.sampled_from(["9" * 30, "-1", "0", "1d", "99999999999999d", "1h30m", "@alice", "<@123>",
                          '"', "'", "“", "\\", "x", "", " ", "\n"])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(COMMANDS), st.lists(TOKENS | st.text(max_size=12), max_size=6).map(" ".join))
def test_random_command_lines_parse_or_give_a_usage_error(command: Command, line: str) -> None:
    try:
        args = parse_args(command, line)
    except UsageError as exc:
        assert exc.usage == command.usage
    else:
        for param in command.params:
            value = args[param.name]
            if param.kind == "int" and value is not None:
                assert param.bounds[0] <= value <= param.bounds[1]
            if param.kind == "duration" and value is not None:
                assert timedelta(0) < value <= param.longest
