"""Persistent jobs: due order, recurrence across DST, catch-up, restarts, single run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from hearth.clock import VirtualClock
from hearth.scheduler import Job, Scheduler
from hearth.storage import CORE_MIGRATIONS, Database, Store

BERLIN = ZoneInfo("Europe/Berlin")


_open: list[Database] = []


@pytest_asyncio.fixture(autouse=True)
async def _close_databases() -> AsyncIterator[None]:
    yield
    while _open:
        await _open.pop().close()


async def _db(path: Path) -> Database:
    db = await Database.open(f"sqlite:///{path}")
    _open.append(db)
    await db.migrate(Store(db, "hearth"), CORE_MIGRATIONS)
    return db


async def _scheduler(path: Path, clock: VirtualClock, ran: list[tuple[str, datetime]]) -> Scheduler:
    db = await _db(path)

    async def dispatch(job: Job) -> None:  # runs the job at once, as a worker would
        ran.append((job.key, clock.now()))
        await s.finished(job, None)

    s = Scheduler(db, clock, dispatch, lambda community: BERLIN)
    return s


async def _noop() -> None:
    return None


@pytest.mark.asyncio
async def test_jobs_run_at_their_time_in_order(tmp_path: Path) -> None:
    clock = VirtualClock(datetime(2026, 3, 1, 12, tzinfo=BERLIN))
    ran: list[tuple[str, datetime]] = []
    s = await _scheduler(tmp_path / "db", clock, ran)
    start = clock.now()
    await s.schedule("c", "p", "late", start + timedelta(hours=2))
    await s.schedule("c", "p", "early", start + timedelta(hours=1), data={"x": 1})
    await s.advance(start + timedelta(minutes=59), _noop)
    assert ran == []
    await s.advance(start + timedelta(hours=3), _noop)
    assert ran == [("early", start + timedelta(hours=1)), ("late", start + timedelta(hours=2))]
    assert await s.jobs("c", "p") == []


@pytest.mark.asyncio
async def test_rescheduling_a_key_moves_the_job(tmp_path: Path) -> None:
    clock = VirtualClock(datetime(2026, 3, 1, 12, tzinfo=BERLIN))
    ran: list[tuple[str, datetime]] = []
    s = await _scheduler(tmp_path / "db", clock, ran)
    await s.schedule("c", "p", "k", clock.now() + timedelta(hours=1))
    await s.schedule("c", "p", "k", clock.now() + timedelta(hours=5))
    assert await s.cancel("c", "p", "missing") is False
    await s.advance(clock.now() + timedelta(hours=6), _noop)
    assert [k for k, _ in ran] == ["k"]
    assert ran[0][1].astimezone(BERLIN).hour == 17


@pytest.mark.asyncio
async def test_weekly_job_keeps_local_wall_time_across_dst(tmp_path: Path) -> None:
    # Berlin leaves summer time on Sunday 2026-10-25.
    clock = VirtualClock(datetime(2026, 10, 20, 8, tzinfo=BERLIN))
    ran: list[tuple[str, datetime]] = []
    s = await _scheduler(tmp_path / "db", clock, ran)
    await s.schedule("c", "p", "weekly", datetime(2026, 10, 21, 9, tzinfo=BERLIN), every=timedelta(days=7))
    await s.advance(datetime(2026, 11, 5, tzinfo=BERLIN), _noop)
    local = [when.astimezone(BERLIN) for _, when in ran]
    assert [(d.day, d.hour, d.minute) for d in local] == [(21, 9, 0), (28, 9, 0), (4, 9, 0)]
    assert local[0].utcoffset() != local[1].utcoffset()


@pytest.mark.asyncio
async def test_restart_keeps_jobs_and_catches_up_once(tmp_path: Path) -> None:
    clock = VirtualClock(datetime(2026, 3, 1, 12, tzinfo=BERLIN))
    ran: list[tuple[str, datetime]] = []
    first = await _scheduler(tmp_path / "db", clock, ran)
    await first.schedule("c", "p", "once", clock.now() + timedelta(hours=1))
    await first.schedule("c", "p", "hourly", clock.now() + timedelta(hours=1), every=timedelta(hours=1))
    # The process stops; five hours pass.
    clock.set(clock.now() + timedelta(hours=5, minutes=30))
    again: list[tuple[str, datetime]] = []
    second = await _scheduler(tmp_path / "db", clock, again)
    assert await second.run_due() == 2
    assert sorted(k for k, _ in again) == ["hourly", "once"]
    (hourly,) = await second.jobs("c", "p", "hour")
    assert hourly.due == datetime(2026, 3, 1, 18, tzinfo=BERLIN)  # back on its rhythm


@pytest.mark.asyncio
async def test_two_processes_never_run_a_job_twice(tmp_path: Path) -> None:
    clock = VirtualClock(datetime(2026, 3, 1, 12, tzinfo=BERLIN))
    ran: list[tuple[str, datetime]] = []
    a = await _scheduler(tmp_path / "db", clock, ran)
    b = await _scheduler(tmp_path / "db", clock, ran)
    await a.schedule("c", "p", "k", clock.now())
    import asyncio

    await asyncio.gather(a.run_due(), b.run_due())
    assert [k for k, _ in ran] == ["k"]


@pytest.mark.asyncio
async def test_a_job_rescheduled_by_its_handler_is_kept(tmp_path: Path) -> None:
    clock = VirtualClock(datetime(2026, 3, 1, 12, tzinfo=BERLIN))
    db = await _db(tmp_path / "db")
    seen: list[datetime] = []

    async def handler(job: Job) -> None:
        seen.append(clock.now())
        if len(seen) < 3:
            await s.schedule("c", "p", job.key, clock.now() + timedelta(days=1))
        await s.finished(job, None)

    s = Scheduler(db, clock, handler, lambda c: BERLIN)
    await s.schedule("c", "p", "chain", clock.now() + timedelta(hours=1))
    await s.advance(clock.now() + timedelta(days=5), _noop)
    assert len(seen) == 3 and await s.jobs("c", "p") == []


def test_virtual_clock_never_goes_backwards() -> None:
    clock = VirtualClock(datetime(2026, 3, 1, 12, tzinfo=BERLIN))
    with pytest.raises(ValueError, match="backwards"):
        clock.set(datetime(2026, 3, 1, 11, tzinfo=BERLIN))


def test_wall_time_in_a_spring_forward_gap_lands_after_it() -> None:
    from datetime import date, time

    from hearth.timeutil import wall_time

    skipped = wall_time(BERLIN, date(2026, 3, 29), time(2, 30))
    assert (skipped.hour, skipped.minute, skipped.utcoffset()) == (3, 30, timedelta(hours=2))
    ambiguous = wall_time(BERLIN, date(2026, 10, 25), time(2, 30))
    assert ambiguous.utcoffset() == timedelta(hours=2)  # the first of the two 02:30s
