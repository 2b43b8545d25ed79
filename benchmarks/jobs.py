"""Jobs due at once, run by 1, 2 and 4 processes sharing one PostgreSQL: jobs/s, each exactly once.

Each process is a real OS process with its own connection pool and its own
:class:`~hearth.scheduler.Scheduler`, owning every community (as a process
whose leases are all held would). A job's run is recorded in a table by the
process that ran it; afterwards the table must hold every job once and none
twice. A throwaway PostgreSQL is started (``pgserver``, as the tests do), or
``--url`` names one.

    python benchmarks/jobs.py [--jobs 10000] [--processes 1 2 4] [--url postgresql://…]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

START = datetime(2026, 3, 1, 12, tzinfo=UTC)


async def _setup(url: str, jobs: int) -> None:
    from hearth.storage import CORE_MIGRATIONS, Database, Store

    db = await Database.open(url)
    try:
        await db.migrate(Store(db, "hearth"), CORE_MIGRATIONS)
        await db.execute("CREATE TABLE bench_ran (key TEXT NOT NULL, process INTEGER NOT NULL)")

        due = int((START - timedelta(seconds=1)).timestamp() * 1000)
        await db.executemany(
            "INSERT INTO hearth_jobs (community, plugin, key, due_ms, data) VALUES (?, ?, ?, ?, '{}')",
            [(f"c{n % 50}", "bench", f"job{n}", due) for n in range(jobs)])
    finally:
        await db.close()


async def _work(url: str, number: int, go: Any) -> None:
    from hearth.clock import VirtualClock
    from hearth.scheduler import Job, Scheduler
    from hearth.storage import Database

    db = await Database.open(url)
    try:
        async def dispatch(job: Job) -> None:  # the job's work: record that it ran, and where
            await db.execute("INSERT INTO bench_ran (key, process) VALUES (?, ?)", (job.key, number))
            await s.finished(job, None)

        s = Scheduler(db, VirtualClock(START), dispatch, lambda c: ZoneInfo("UTC"))
        await asyncio.to_thread(go.wait)
        while await s.run_due():
            pass
    finally:
        await db.close()


def _process(url: str, number: int, go: Any) -> None:
    asyncio.run(_work(url, number, go))


async def _check(url: str) -> tuple[int, int, int, dict[int, int]]:
    from hearth.storage import Database

    db = await Database.open(url)
    try:
        row = await db.fetchrow("SELECT COUNT(*) AS runs, COUNT(DISTINCT key) AS jobs FROM bench_ran")
        left = await db.fetchval("SELECT COUNT(*) FROM hearth_jobs")
        shares = await db.fetch("SELECT process, COUNT(*) AS n FROM bench_ran GROUP BY process")
        assert row is not None
        return int(row["runs"]), int(row["jobs"]), int(left), {r["process"]: r["n"] for r in shares}
    finally:
        await db.close()


def measure(server: str, jobs: int, processes: int) -> None:
    import postgres


    async def run() -> None:
        async with postgres.fresh_schema(server) as url:
            await _setup(url, jobs)
            ctx = multiprocessing.get_context("spawn")
            go = ctx.Event()
            workers = [ctx.Process(target=_process, args=(url, n, go)) for n in range(processes)]
            for w in workers:
                w.start()
            await asyncio.sleep(2)  # let every process start and connect
            began = time.perf_counter()
            go.set()
            await asyncio.gather(*(asyncio.to_thread(w.join) for w in workers))
            elapsed = time.perf_counter() - began
            runs, distinct, left, shares = await _check(url)
            once = runs == distinct == jobs and left == 0
            print(f"{processes} process(es): {jobs} jobs in {elapsed:.2f}s = {jobs / elapsed:,.0f} jobs/s;"
                  f" runs recorded {runs}, distinct {distinct}, left {left}:"
                  f" {'each exactly once' if once else 'NOT EXACTLY ONCE'}; shares {sorted(shares.values())}")

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--url", help="a PostgreSQL server to use (default: start one)")
    args = parser.parse_args()
    if args.url:
        for n in args.processes:
            measure(args.url, args.jobs, n)
        return
    import postgres

    with postgres.server() as url:
        for n in args.processes:
            measure(url, args.jobs, n)


if __name__ == "__main__":
    main()
