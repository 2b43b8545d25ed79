"""Jobs shared by several processes on one PostgreSQL: each run once, none lost when a claimer dies."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from hearth.clock import SystemClock, VirtualClock
from hearth.scheduler import Job, Scheduler
from hearth.storage import CORE_MIGRATIONS, Database, Store

UTC = ZoneInfo("UTC")
START = datetime(2026, 3, 1, 12, tzinfo=UTC)
_open: list[Database] = []


@pytest_asyncio.fixture(autouse=True)
async def _close_databases() -> AsyncIterator[None]:
    yield
    while _open:
        await _open.pop().close()


async def _process(url: str, clock: VirtualClock, ran: list[Job], *, finish: bool = True,
                   owned: Callable[[], set[str] | None] = lambda: None) -> Scheduler:
    """A scheduler with a database pool of its own, as another process would have."""
    db = await Database.open(url)
    _open.append(db)
    await db.migrate(Store(db, "hearth"), CORE_MIGRATIONS)

    async def dispatch(job: Job) -> None:
        ran.append(job)
        if finish:
            await s.finished(job, None)

    s = Scheduler(db, clock, dispatch, lambda community: UTC, owned=owned)
    return s


async def _noop() -> None:
    return None


@pytest.mark.asyncio
async def test_due_jobs_run_exactly_once_across_two_processes(postgres_url: str) -> None:
    clock = VirtualClock(START)
    ran: list[Job] = []
    one, two = await _process(postgres_url, clock, ran), await _process(postgres_url, clock, ran)
    for n in range(1200):
        await one.schedule("c", "p", f"job{n}", START - timedelta(seconds=1))
    counts = await asyncio.gather(one.run_due(), two.run_due(), one.run_due(), two.run_due())
    assert sum(counts) == 1200
    assert Counter(j.key for j in ran) == {f"job{n}": 1 for n in range(1200)}
    assert await one.jobs("c", "p") == []


@pytest.mark.asyncio
async def test_a_killed_claimers_jobs_run_on_the_survivor(postgres_url: str) -> None:
    clock = VirtualClock(START)
    lost: list[Job] = []
    ran: list[Job] = []
    dying = await _process(postgres_url, clock, lost, finish=False)  # claims, then dies
    survivor = await _process(postgres_url, clock, ran)
    await survivor.schedule("c", "p", "once", START + timedelta(minutes=1))
    await survivor.schedule("c", "p", "hourly", START + timedelta(minutes=1), every=timedelta(hours=1))
    clock.set(START + timedelta(minutes=1))
    assert await dying.run_due() == 2
    assert await survivor.run_due() == 0  # claimed: not run twice while the lease holds
    await survivor.advance(START + timedelta(minutes=10), _noop)
    assert sorted(j.key for j in ran) == ["hourly", "once"]  # after the lease, once each
    by_key = {j.key: j for j in ran}
    assert {j.key: j.idempotency_key for j in lost} == {k: by_key[k].idempotency_key for k in by_key}
    await survivor.advance(START + timedelta(hours=1, minutes=2), _noop)
    hourly = [j for j in ran if j.key == "hourly"]
    assert len(hourly) == 2  # the recurring job kept its rhythm
    assert hourly[0].idempotency_key != hourly[1].idempotency_key


@pytest.mark.asyncio
async def test_a_process_runs_only_the_jobs_of_its_communities(postgres_url: str) -> None:
    clock = VirtualClock(START)
    ran_a: list[Job] = []
    ran_b: list[Job] = []
    a = await _process(postgres_url, clock, ran_a, owned=lambda: {"a"})
    b = await _process(postgres_url, clock, ran_b, owned=lambda: set())
    await a.schedule("a", "p", "x", START)
    await a.schedule("b", "p", "y", START)
    assert await b.run_due() == 0 and await b.next_due() is None
    assert await a.run_due() == 1 and [j.key for j in ran_a] == ["x"]
    assert await a.next_due() is None  # b's job does not wake a



@pytest.mark.asyncio
async def test_a_job_scheduled_by_one_process_wakes_the_other_at_once(postgres_url: str) -> None:
    ran: list[Job] = []
    idle = VirtualClock(START)
    one = await _process(postgres_url, idle, [])
    db = await Database.open(postgres_url)
    _open.append(db)
    done = asyncio.Event()

    async def dispatch(job: Job) -> None:
        ran.append(job)
        await other.finished(job, None)
        done.set()

    other = Scheduler(db, SystemClock(), dispatch, lambda community: UTC)
    await other.listen()
    waiting = asyncio.create_task(other.run_forever())  # idle: it would look again in a minute
    try:
        await asyncio.sleep(0.2)
        await one.schedule("c", "p", "now", datetime.now(UTC) - timedelta(seconds=1))
        await asyncio.wait_for(done.wait(), 10)  # NOTIFY woke it, long before the minute
        assert [j.key for j in ran] == ["now"]
    finally:
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
