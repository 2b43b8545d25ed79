"""The welcome config: defaults, validation errors, texts, reminders (DST) and their rescheduling."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import yaml
from welcome_support import STAFF, START, config

from hearth import ConfigError
from hearth.adapters.testing import TestBot
from hearth.bootstrap import load
from hearth.plugins.welcome.config import WelcomeConfig
from hearth.plugins.welcome.texts import DEFAULTS


def problems(**welcome) -> str:
    with pytest.raises(ConfigError) as err:
        load(config(**welcome), text=True)
    return str(err.value)


def test_empty_block_is_valid_with_documented_defaults():
    cfg = WelcomeConfig()
    assert cfg.rules_delivery == ["dm"] and cfg.burst is None
    assert cfg.accept.command == "agree" and cfg.accept.reaction == "✅"
    assert cfg.accept.within == timedelta(hours=24) and cfg.accept.on_timeout == "kick"
    assert cfg.gate.invitation_codes is False and cfg.gate.code_length == 8
    assert cfg.gate.throttle.attempts == 5 and cfg.gate.throttle.within == timedelta(minutes=10)
    assert cfg.reminder.every is None


def test_example_block_from_config_md_is_valid():
    loaded = load(config(
        channel="general", message="Welcome {mention} to {community}! You are member #{member_count}.",
        rules="1. Stay on topic.\n", rules_delivery=["dm"],
        accept={"command": "agree", "reaction": "✅", "within": "24h", "on_timeout": "kick"},
        introduction={"channel": "intro", "prompt": "Tell us who you are."},
        gate={"invitation_codes": False}, burst="60s", reminder={"every": "7d", "channel": "general"},
    ), text=True)
    cfg = loaded.config.communities["tea-house"].plugins["welcome"]
    assert cfg.burst == timedelta(seconds=60) and cfg.reminder.every == timedelta(days=7)


def test_errors_name_the_key_and_what_is_expected():
    assert "unknown channel 'lobby'" in problems(channel="lobby")
    assert "accept.command" in problems(accept={"command": "two words"})
    assert "kick" in problems(accept={"on_timeout": "ban"})
    assert "texts.welcom: unknown key 'welcom'" in problems(texts={"welcom": "hi"})
    assert "unknown key 'gates'" in problems(gates={})
    assert "reminder.channel" in problems(reminder={"every": "7d", "channel": "nowhere"})


def test_zero_burst_means_immediate():
    assert WelcomeConfig(burst="0s").burst is None
    assert WelcomeConfig(burst=0).burst is None


def test_every_text_has_english_and_chinese():
    assert set(DEFAULTS["en"]) == set(DEFAULTS["zh"])


def test_accept_command_clashing_with_another_is_a_config_error_at_its_line():
    found = problems(accept={"command": "rules"})
    assert "welcome.accept.command: command 'rules' is offered by both 'hearth' and 'welcome'" in found
    assert re.search(r"<config>:\d+: communities", found)


def test_a_choice_answer_not_among_the_choices_is_a_config_error_at_its_line():
    found = problems(gate={"questions": [{"ask": "Clay?", "choices": ["zisha", "glass"], "answer": "jade"}]})
    assert "welcome.gate.questions[0]: answer 'jade' is not one of the choices (zisha, glass)" in found
    assert re.search(r"<config>:\d+: communities", found)


@pytest.mark.asyncio
async def test_welcome_without_a_channel_uses_the_first_one(hearth_bot):
    data = yaml.safe_load(config())
    data["communities"]["tea-house"]["plugins"]["welcome"] = {}
    bot = await hearth_bot(yaml.safe_dump(data), start=START, members=STAFF)
    await bot.join("alice")
    assert bot.sent("send")[0]["channel"] == "general"


# --------------------------------------------------------------------------- reminders


@pytest.mark.asyncio
async def test_weekly_reminder_keeps_local_time_across_dst(hearth_bot):
    # Berlin leaves summer time on Sunday 25 October 2026.
    bot = await hearth_bot(config(timezone="Europe/Berlin", rules="1. Be kind.",
                                  reminder={"every": "7d", "at": "10:00"}),
                           start="2026-10-20T09:00:00+02:00", members=STAFF)
    await bot.at("2026-11-04T00:00:00+01:00")
    sends = bot.sent("send")
    assert [datetime.fromisoformat(s["time"]) for s in sends] == [
        datetime.fromisoformat("2026-10-20T08:00:00+00:00"),
        datetime.fromisoformat("2026-10-27T09:00:00+00:00"),
        datetime.fromisoformat("2026-11-03T09:00:00+00:00"),
    ]
    assert all(s["text"].startswith("A reminder of our rules") and "1. Be kind." in s["text"] for s in sends)


@pytest.mark.asyncio
async def test_reminder_on_a_weekday_in_its_own_channel(hearth_bot):
    bot = await hearth_bot(config(reminder={"every": "7d", "channel": "intro", "at": "20:00", "day": "fri"}),
                           start="2026-11-21T09:00:00+08:00", members=STAFF)  # a Saturday
    await bot.at("2026-12-05T00:00:00+08:00")
    sends = bot.sent("send")
    assert [s["time"] for s in sends] == [
        "2026-11-27T20:00:00+08:00", "2026-12-04T20:00:00+08:00"]
    assert {s["channel"] for s in sends} == {"intro"}


@pytest.mark.asyncio
async def test_reminder_is_not_duplicated_by_restarts_and_follows_config_changes(tmp_path):
    storage = tmp_path / "hearth.db"
    weekly = config(reminder={"every": "7d", "at": "10:00"})
    bot = await TestBot.create(weekly, start=START, members=STAFF, storage=storage)
    await bot.restart()
    await bot.wait("1d")
    assert len(bot.sent("send")) == 1  # the 10:00 reminder the next morning, once
    now = bot.clock.now()
    await bot.stop()
    # The operator switches to a daily reminder at 09:00.
    daily = config(reminder={"every": "1d", "at": "09:00"})
    bot2 = await TestBot.create(daily, start=now, members=STAFF, storage=storage)
    try:
        await bot2.wait("2d")
        times = [s["time"][8:16].replace("T", " ") for s in bot2.sent("send")]
        assert times == ["22 09:00", "23 09:00"]
    finally:
        await bot2.close()
        await bot.close()
