"""Spacing an action out across the processes sharing a database (Discord's IDENTIFY pace)."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from hearth.spacing import Spacing
from hearth.storage import Database

INTERVAL = 0.3
SLACK = 0.05


async def _times(spacings: list[Spacing], key: str) -> list[float]:
    """When each of ``spacings`` (one caller each, all at once) was let through, in order."""
    async def one(spacing: Spacing) -> float:
        await spacing.wait(key, INTERVAL)
        return time.monotonic()

    return sorted(await asyncio.gather(*(one(s) for s in spacings)))


@pytest.mark.asyncio
async def test_callers_in_two_processes_act_an_interval_apart(postgres_url: str) -> None:
    first, second = await Database.open(postgres_url), await Database.open(postgres_url)
    try:
        spacings = [Spacing(first), Spacing(second), Spacing(first)]
        await spacings[0].open()
        times = await _times(spacings, "bucket 0")
        # (less the milliseconds by which the statements' answers may differ in reaching
        # their callers: Discord's pace adds a margin for that)
        assert [b - a >= INTERVAL - SLACK for a, b in itertools.pairwise(times)] == [True, True]
        # Each key has its own row: the time its next caller may act.
        await Spacing(second).wait("bucket 1", INTERVAL)
        rows = await first.fetch("SELECT key FROM hearth_spacing ORDER BY key")
        assert [r["key"] for r in rows] == ["bucket 0", "bucket 1"]
    finally:
        await first.close()
        await second.close()


@pytest.mark.asyncio
async def test_with_sqlite_the_pace_is_kept_in_the_process(tmp_path: object) -> None:
    db = await Database.open(f"sqlite:///{tmp_path}/h.db")
    try:
        spacing = Spacing(db)
        await spacing.open()
        assert spacing.db is None and "hearth_spacing" not in await db.tables()
        times = await _times([spacing, spacing], "bucket 0")
        assert times[1] - times[0] >= INTERVAL
    finally:
        await db.close()
