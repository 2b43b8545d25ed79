"""Operator-written patterns run on a linear-time engine; what it cannot run is refused at check.

Issue 10 item 1: ``detect.patterns`` (and any later plugin's pattern lists) compile
through one core type, :data:`hearth.Pattern`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from hearth import Pattern, PluginConfig, SafePattern, compile_pattern
from hearth.cli import main


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        (r"(cheap)\s+\1", r"backreference \1 is not allowed"),
        (r"(?P<w>a)(?P=w)", "backreference (?P=…) is not allowed"),
        (r"(?=deal)d", "lookaround (?=…) is not allowed"),
        (r"(?!no)deal", "lookaround (?!…) is not allowed"),
        (r"(?<=buy )now", "lookaround (?<=…) is not allowed"),
        (r"(?<!no )deal", "lookaround (?<!…) is not allowed"),
        (r"(?>a+)b", "atomic group (?>…) is not allowed"),
        ("(unclosed", "is not a valid regular expression: missing )"),
        ("", "an empty pattern matches every message"),
    ],
)
def test_patterns_the_linear_engine_cannot_run_are_refused_with_the_reason(pattern, problem):
    with pytest.raises(ValueError) as info:
        compile_pattern(pattern)
    assert problem in str(info.value)


@pytest.mark.parametrize("pattern", [r"[(?=]deal", r"\\1 deal", r"(?i)free\s+samples?"])
def test_look_alikes_of_unsupported_syntax_are_accepted(pattern):
    assert isinstance(compile_pattern(pattern), SafePattern)


def test_patterns_are_case_insensitive_and_run_in_linear_time():
    pattern = compile_pattern(r"(a+)+$")  # exponential on Python's re
    assert compile_pattern(r"free\s+samples?").search("FREE samples today") == "FREE samples"
    start = time.perf_counter()
    assert pattern.search("a" * 50_000 + "!") is None
    assert time.perf_counter() - start < 1.0


class _Words(PluginConfig):
    patterns: list[Pattern] = []


def test_the_pattern_type_validates_in_any_plugin_schema():
    words = _Words.model_validate({"patterns": ["spam+", r"free\s+samples"]})
    assert [p.pattern for p in words.patterns] == ["spam+", r"free\s+samples"]
    assert words.model_dump() == {"patterns": ["spam+", r"free\s+samples"]}
    with pytest.raises(ValidationError) as info:
        _Words.model_validate({"patterns": ["ok", r"(a)\1"]})
    assert info.value.errors()[0]["loc"] == ("patterns", 1)


def test_check_names_file_line_and_key_of_a_pattern_it_refuses(tmp_path: Path):
    config = tmp_path / "hearth.yaml"
    config.write_text(
        "communities:\n"
        "  tea-house:\n"
        "    discord: {guild: '1'}\n"
        "    channels: {general: {discord: '11'}}\n"
        "    plugins:\n"
        "      ad_window:\n"
        "        detect:\n"
        "          patterns:\n"
        "            - free\\s+samples\n"
        "            - (cheap)\\s+\\1\n"
        "            - (?<!no )deal\n"
    )
    result = CliRunner().invoke(main, ["check", str(config)])
    assert result.exit_code == 2
    key = "communities.tea-house.plugins.ad_window.detect.patterns"
    assert f"{config}:10: {key}[1]: backreference \\1 is not allowed" in result.output
    assert f"{config}:11: {key}[2]: lookaround (?<!…) is not allowed" in result.output
