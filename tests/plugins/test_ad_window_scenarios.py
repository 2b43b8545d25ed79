"""Scenario tests for ad_window on the testing adapter, under virtual time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hearth import Role

CONFIG = """
communities:
  tea-house:
    timezone: Asia/Shanghai
    discord: {guild: "1"}
    channels:
      general: {discord: "11"}
      ads: {discord: "22"}
      intro: {discord: "33"}
      mods: {discord: "44"}
    plugins:
      ad_window:
        windows:
          - {days: [fri], from: "20:00", to: "22:00"}
        ad_channels: [ads]
        per_window_quota: 1
        exempt_roles: [admin, leader]
        detect:
          allow_domains: [example.org]
          repeat: {copies: 3, within: 10m}
        escalation: [warn, {mute: 1h}, {mute: 24h}, kick, ban]
        strike_decay: 30d
        announce: {channel: general}
        audit_channel: mods
"""

MEMBERS = [
    {"id": "olivia", "role": "owner"},
    {"id": "adam", "role": "admin"},
    {"id": "lee", "role": "leader"},
    {"id": "alice"},
    {"id": "bob"},
]
FRIDAY_EVENING = "2026-11-20T19:00:00+08:00"  # a Friday, one hour before the window
AD = "Best tea deals at https://cheap-tea.com/sale"


def kinds(actions):
    return [a["action"] for a in actions]


async def make(hearth_bot, config=CONFIG, start=FRIDAY_EVENING, members=MEMBERS, **kw):
    bot = await hearth_bot(config, start=start, members=members, **kw)
    bot.take()
    return bot


@pytest.mark.asyncio
async def test_ad_outside_window_is_deleted_with_dm_strike_and_audit(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("alice", "general", AD, ref="m1")
    acts = bot.take()
    assert kinds(acts) == ["dm", "send", "delete"]
    dm, audit, delete = acts
    assert dm["member"] == "alice"
    assert "Friday 20:00 (Asia/Shanghai)" in dm["text"]
    assert "warning" in dm["text"]
    assert audit["channel"] == "mods" and "@alice" in audit["text"] and "cheap-tea.com" in audit["text"]
    assert delete["message"] == "m1" and delete["member"] == "alice"
