"""Jobs as inbox events: order with other events, retries, declared recurring jobs."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hearth import PluginConfig, hookimpl
from hearth.adapters.testing import TestBot
from hearth.scheduler import MAX_ATTEMPTS, RETRY_FIRST

CONFIG = """
communities:
  tea:
    timezone: Europe/Berlin
    channels: {general: {discord: "1"}}
    discord: {guild: "1"}
    plugins: {clockwork: {}}
"""
BERLIN = ZoneInfo("Europe/Berlin")


class Clockwork:
    """Records what ran; its message handler can be held; its jobs can be made to fail."""

    def __init__(self, declare: dict[str, Any] | None = None, failures: int = 0) -> None:
        self.log: list[str] = []
        self.runs: list[tuple[str, datetime, int]] = []
        self.declare = declare
        self.failures = failures
        self.gate: asyncio.Event | None = None
        self.inside = asyncio.Event()

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def on_startup(self, ctx: Any) -> None:
        if self.declare is not None:
            await ctx.ensure_schedule("tick", **self.declare)

    @hookimpl
    async def on_message(self, ctx: Any, message: Any) -> None:
        self.log.append("message start")
        self.inside.set()
        if self.gate is not None:
            await self.gate.wait()
        self.log.append("message end")

    @hookimpl
    async def on_job_due(self, ctx: Any, job: Any) -> None:
        self.log.append("job")
        self.runs.append((job.key, ctx.now(), job.attempt))
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the network is unreachable")


async def _bot(plugin: Clockwork, start: str = "2026-03-02T08:00:00+01:00") -> TestBot:
    return await TestBot.create(CONFIG, extra_plugins={"clockwork": plugin}, members=[{"id": "ann"}],
                                start=start)


@pytest.mark.asyncio
async def test_job_handlers_never_interleave_with_message_handlers() -> None:
    plugin = Clockwork()
    bot = await _bot(plugin)
    try:
        assert bot.app is not None
        ctx = bot.app.contexts["tea"]["clockwork"]
        await ctx.schedule("due", ctx.now() + timedelta(minutes=1))
        plugin.gate = asyncio.Event()
        await bot.adapter.inject_message("tea", "ann", "general", "a slow one", "m1")
        await asyncio.wait_for(plugin.inside.wait(), 5)  # the message handler is running
        bot.clock.set(bot.clock.now() + timedelta(minutes=1))
        await bot.app.scheduler.run_due()  # the job falls due meanwhile
        assert plugin.log == ["message start"]  # it waits its turn in the inbox
        plugin.gate.set()
        await bot.settle()
        assert plugin.log == ["message start", "message end", "job"]
    finally:
        if plugin.gate is not None:
            plugin.gate.set()
        await bot.close()


@pytest.mark.asyncio
async def test_a_failing_job_is_retried_with_backoff_and_not_marked_done() -> None:
    plugin = Clockwork(failures=2)
    bot = await _bot(plugin)
    try:
        assert bot.app is not None
        ctx = bot.app.contexts["tea"]["clockwork"]
        due = ctx.now() + timedelta(hours=1)
        await ctx.schedule("close-group", due, data={"group": 7})
        await bot.wait("1h")
        (pending,) = await ctx.jobs()
        assert (pending.key, pending.attempt, pending.data) == ("close-group", 2, {"group": 7})
        await bot.wait("1h")
        assert [(when - due, attempt) for _, when, attempt in plugin.runs] == [
            (timedelta(0), 1), (RETRY_FIRST, 2), (RETRY_FIRST * 3, 3)  # 30s, then 1m later
        ]
        assert await ctx.jobs() == []  # done only once it succeeded
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_job_that_never_succeeds_is_given_up_after_its_attempts() -> None:
    plugin = Clockwork(failures=10_000)
    bot = await _bot(plugin)
    try:
        assert bot.app is not None
        ctx = bot.app.contexts["tea"]["clockwork"]
        await ctx.schedule("doomed", ctx.now())
        await bot.wait("7d")
        assert len(plugin.runs) == MAX_ATTEMPTS and await ctx.jobs() == []
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_failed_recurring_run_is_retried_then_the_rhythm_resumes() -> None:
    plugin = Clockwork(declare={"every": "1d", "at": "09:00"}, failures=1)
    bot = await _bot(plugin)
    try:
        await bot.at("2026-03-04T12:00:00+01:00")
        local = [(when.astimezone(BERLIN).strftime("%d %H:%M:%S"), n) for _, when, n in plugin.runs]
        assert local == [("02 09:00:00", 1), ("02 09:00:30", 2), ("03 09:00:00", 1), ("04 09:00:00", 1)]
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_job_missed_during_downtime_runs_once_after_restart() -> None:
    plugin = Clockwork(declare={"every": "1d", "at": "09:00"})
    bot = await _bot(plugin)
    try:
        await bot.at("2026-03-02T10:00:00+01:00")
        assert len(plugin.runs) == 1
        await bot.restart(downtime="3d")  # three 09:00 runs are missed
        assert len(plugin.runs) == 2  # one catch-up run, at start-up
        assert bot.app is not None
        (tick,) = await bot.app.contexts["tea"]["clockwork"].jobs()
        assert tick.due.astimezone(BERLIN) == datetime(2026, 3, 6, 9, tzinfo=BERLIN)  # back on rhythm
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_an_hourly_job_runs_across_frequent_restarts() -> None:
    plugin = Clockwork(declare={"every": "1h"})
    bot = await _bot(plugin)
    try:
        for _ in range(9):  # up 30 minutes, down 10, for six hours
            await bot.wait("30m")
            await bot.restart(downtime="10m")
        # hourly from the first declaration (07:00 UTC), none lost, none twice: 08:00 … 13:00
        assert [when.hour for _, when, _ in plugin.runs] == [8, 9, 10, 11, 12, 13]
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_declared_rule_is_kept_when_unchanged_and_rescheduled_when_changed() -> None:
    plugin = Clockwork(declare={"every": "7d", "at": "20:00", "day": "fri"})
    bot = await _bot(plugin)  # Monday 2026-03-02
    try:
        assert bot.app is not None
        ctx = bot.app.contexts["tea"]["clockwork"]
        (first,) = await ctx.jobs()
        assert first.due.astimezone(BERLIN) == datetime(2026, 3, 6, 20, tzinfo=BERLIN)
        await bot.restart(downtime="1h")
        ctx = bot.app.contexts["tea"]["clockwork"]
        assert await ctx.ensure_schedule("tick", every="7d", at="20:00", day="fri") == first.due
        plugin.declare = {"every": "1d", "at": "07:30"}
        await bot.restart(downtime="1h")
        ctx = bot.app.contexts["tea"]["clockwork"]
        (changed,) = await ctx.jobs()
        assert changed.due.astimezone(BERLIN) == datetime(2026, 3, 3, 7, 30, tzinfo=BERLIN)
        assert changed.every == timedelta(days=1)
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_daily_rule_keeps_its_wall_time_across_dst() -> None:
    plugin = Clockwork(declare={"every": "1d", "at": "09:00"})
    bot = await _bot(plugin, start="2026-03-27T10:00:00+01:00")  # Berlin springs forward on the 29th
    try:
        await bot.at("2026-03-31T10:00:00+02:00")
        local = [when.astimezone(BERLIN) for _, when, _ in plugin.runs]
        assert [(d.day, d.hour) for d in local] == [(28, 9), (29, 9), (30, 9), (31, 9)]
        assert local[0].utcoffset() != local[-1].utcoffset()
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_job_data_that_is_not_json_is_refused_at_the_call() -> None:
    bot = await _bot(Clockwork())
    try:
        assert bot.app is not None
        ctx = bot.app.contexts["tea"]["clockwork"]
        with pytest.raises(TypeError, match=r"job 'k': data must be a dict of JSON values.*datetime"):
            await ctx.schedule("k", ctx.now(), data={"when": ctx.now()})
        with pytest.raises(TypeError, match="would not come back the same"):
            await ctx.schedule("k", ctx.now(), data={"pair": (1, 2)})
        with pytest.raises(TypeError, match="data must be"):
            await ctx.ensure_schedule("k", every="1h", data={1: "x"})
        with pytest.raises(ValueError, match="is not a duration"):
            await ctx.ensure_schedule("k", every="hourly")
        assert await ctx.jobs() == []
    finally:
        await bot.close()


class PlainJob:
    """A plain (not async) job handler that notes what its actions would be keyed by."""

    def __init__(self) -> None:
        self.causes: list[tuple[str | None, str]] = []

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def on_job_due(self, ctx: Any, job: Any) -> None:
        from hearth.journal import cause_var

        cause = cause_var.get()
        self.causes.append((None if cause is None else cause.key, job.idempotency_key))


@pytest.mark.asyncio
async def test_a_plain_job_handler_s_actions_are_keyed_by_its_run() -> None:
    # what a plain hook queues must carry the run's key like an async one's, or a retried run
    # would repeat what was delivered: it runs in its caller's context, with the variables set
    plugin = PlainJob()
    bot = await TestBot.create(CONFIG.replace("clockwork", "plain"), extra_plugins={"plain": plugin},
                               start="2026-03-02T08:00:00+01:00")
    try:
        assert bot.app is not None
        ctx = bot.app.contexts["tea"]["plain"]
        await ctx.schedule("due", ctx.now() + timedelta(minutes=1))
        await bot.wait(timedelta(minutes=2))
        assert len(plugin.causes) == 1
        (cause, run), = plugin.causes
        assert cause == run
    finally:
        await bot.close()
