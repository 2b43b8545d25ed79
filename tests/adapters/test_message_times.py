"""A message's time as each network gives it: epoch milliseconds, without a datetime."""

from __future__ import annotations

from datetime import UTC, datetime

import discord.utils

from hearth.adapters.discord.convert import snowflake_ms
from hearth.adapters.matrix.convert import event_ms, event_time
from hearth.timeutil import to_ms


def test_a_discord_message_s_milliseconds_come_from_its_snowflake() -> None:
    snowflake = 1_180_000_000_000_000_000
    assert snowflake_ms(snowflake) == to_ms(discord.utils.snowflake_time(snowflake))
    assert snowflake_ms(discord.utils.time_snowflake(discord.utils.snowflake_time(snowflake))) \
        == snowflake_ms(snowflake)


def test_a_matrix_event_s_milliseconds_are_its_origin_server_ts() -> None:
    assert event_ms({"origin_server_ts": 1772434800123}) == 1772434800123
    assert to_ms(event_time({"origin_server_ts": 1772434800123})) == 1772434800123


def test_a_matrix_event_without_a_usable_timestamp_is_dated_now() -> None:
    for source in ({}, {"origin_server_ts": "soon"}, {"origin_server_ts": True}):
        before = to_ms(datetime.now(UTC))
        assert before <= event_ms(source) <= before + 60_000
