"""The flash plugin's config block, channel names and time formats."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hearth import ConfigError, Role
from hearth.bootstrap import load
from hearth.plugins.flash.config import FlashConfig
from hearth.plugins.flash.plugin import slug
from hearth.plugins.flash.texts import DEFAULTS, moment, span

CONFIG = """
communities:
  tea-house:
    discord: {{guild: "1"}}
    channels: {{general: {{discord: "11"}}}}
    plugins:
      flash: {flash}
"""


def flash_config(block: str) -> FlashConfig:
    return load(CONFIG.format(flash=block), text=True).config.communities["tea-house"].plugins["flash"]


def problems(block: str) -> str:
    with pytest.raises(ConfigError) as err:
        load(CONFIG.format(flash=block), text=True)
    return str(err.value)


def test_defaults_match_the_contract():
    config = flash_config("{}")
    assert config.creators == Role.LEADER
    assert config.max_open == 5
    assert config.default_duration == timedelta(hours=2)
    assert config.max_duration == timedelta(days=7)
    assert config.remind_before == timedelta(minutes=10)
    assert config.on_close == "delete"
    assert config.announce is None
    assert config.texts.model_dump(exclude_none=True) == {}


def test_every_key_is_read():
    config = flash_config(
        "{creators: member, max_open: 2, default_duration: 30m, max_duration: 1d,"
        " remind_before: 5m, on_close: archive, announce: general, texts: {closed: Bye}}"
    )
    assert (config.creators, config.max_open, config.on_close, config.announce) == (
        Role.MEMBER, 2, "archive", "general",
    )
    assert (config.default_duration, config.max_duration, config.remind_before) == (
        timedelta(minutes=30), timedelta(days=1), timedelta(minutes=5),
    )


def test_default_duration_may_not_exceed_max_duration():
    text = problems("{default_duration: 10d}")
    assert "default_duration (10d) is longer than max_duration (7d)" in text


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("{on_close: shred}", "'delete' or 'archive'"),
        ("{creators: boss}", "unknown role 'boss'"),
        ("{max_open: 0}", "max_open"),
        ("{remind_before: 10}", "has no unit"),
        ("{announce: nowhere}", "unknown channel 'nowhere'"),
        ("{texts: {bye: x}}", "texts.bye: unknown key 'bye'"),
        ("{max_opn: 3}", "did you mean 'max_open'"),
    ],
)
def test_invalid_values_are_refused(block, expected):
    assert expected in problems(block)


def test_both_languages_have_every_text():
    assert set(DEFAULTS["en"]) == set(DEFAULTS["zh"])


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Night talk", "night-talk"),
        ("  Tea & cakes!! ", "tea-cakes"),
        ("Über Tee", "über-tee"),
        ("夜谈 会", "夜谈-会"),
        ("snake_case_title", "snake-case-title"),
        ("!!!", "flash"),
        ("a" * 40 + " b", "a" * 32),
        ("x" * 31 + " yz", "x" * 31),
    ],
)
def test_slug(title, name):
    assert slug(title) == name


def test_span_and_moment():
    assert span(timedelta(minutes=44, seconds=10), up=True) == "45m"
    assert span(timedelta(hours=1, seconds=20)) == "1h"
    assert span(timedelta(0)) == "0m"
    now = datetime(2026, 11, 20, 19, 0)
    assert moment(datetime(2026, 11, 20, 21, 5), now, "en") == "21:05"
    assert moment(datetime(2026, 11, 21, 9, 0), now, "en") == "Sat 21 Nov 09:00"
    assert moment(datetime(2026, 11, 21, 9, 0), now, "zh") == "11月21日 09:00"
