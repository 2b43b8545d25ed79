"""Persistent jobs: one-off and recurring, timezone-aware, surviving restarts.

A job belongs to a plugin in a community and is named by a ``key`` unique
there (scheduling the same key again moves it). Jobs live in the database, so
a restart loses none; overdue jobs run once at start-up (a recurring job that
missed several runs runs once, then keeps its rhythm). Recurring jobs whose
interval is whole days keep their local wall-clock time across DST changes.

The scheduler never calls a plugin. A due job is claimed (its due time moves
forward: a lease for a one-off job, the next occurrence for a recurring one)
and *dispatched*: the app puts it in its community's inbox, where the worker
handles it in order with every other event, then reports back through
:meth:`Scheduler.finished`. A job whose handler failed is retried with
backoff (``attempts`` is kept in its row) instead of being marked done; a
process that dies mid-job leaves it to run again when the lease ends.

Recurring jobs are best declared with :meth:`Scheduler.ensure` (a plugin's
``ctx.ensure_schedule``): idempotent, so declaring it at every start-up keeps
its rhythm and lets a run missed during downtime catch up once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hearth.clock import Clock, VirtualClock
from hearth.storage import Database, like_prefix
from hearth.timeutil import (
    add_calendar,
    from_ms,
    parse_day,
    parse_duration,
    parse_time_of_day,
    to_ms,
    wall_time,
)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
IDLE_CHECK = timedelta(seconds=60)
#: a failed job is retried after 30s, 1m, 2m … at most an hour apart, this many attempts in all
RETRY_FIRST = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
MAX_ATTEMPTS = 12
#: the channel processes notify each other on when they schedule a job
JOBS_CHANNEL = "hearth_jobs"
#: due jobs claimed in one transaction
CLAIM_BATCH = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """A scheduled job as its handler sees it."""

    community: str
    plugin: str
    key: str
    due: datetime
    data: dict[str, Any] = field(default_factory=dict)
    every: timedelta | None = None
    #: 1 for the first try; more when earlier tries failed
    attempt: int = 1
    id: int = field(default=0, compare=False, repr=False)
    #: which run of the job this is: the same for every try of one run, another for the next
    run: int = field(default=0, compare=False, repr=False)

    @property
    def idempotency_key(self) -> str:
        """A key naming this run of the job, the same on every try (a retry, a takeover after
        a process died mid-run) and different for the next run or a rescheduled job.

        A handler whose side effect must not happen twice (a welcome, a kick) records
        this key with the effect, and skips the effect when the key is already recorded.
        """
        return f"{self.community}/{self.plugin}/{self.key}/{self.id}.{self.run}"


@dataclass(frozen=True, slots=True)
class Rule:
    """When a recurring job runs: every ``every``, at local ``at`` (on weekday ``day``).

    ``Rule(timedelta(hours=1))`` runs hourly; ``Rule(timedelta(days=1), at=time(20))``
    daily at 20:00; ``Rule(timedelta(days=7), at=time(9), day=0)`` Mondays at 09:00,
    in the community's timezone (DST-correct).
    """

    every: timedelta
    at: time | None = None
    day: int | None = None

    @classmethod
    def of(cls, every: timedelta | str, at: time | str | None = None,
           day: int | str | None = None) -> Rule:
        """A rule from values as plugins write them (``"1d"``, ``"20:00"``, ``"fri"``)."""
        step = parse_duration(every) if isinstance(every, str) else every
        if step <= timedelta(0):
            raise ValueError(f"every must be longer than zero, not {step}")
        when = parse_time_of_day(at) if isinstance(at, str) else at
        weekday = parse_day(day) if isinstance(day, str) else day
        if weekday is not None and not 0 <= weekday <= 6:
            raise ValueError(f"day must be 0 (Monday) to 6 (Sunday), not {weekday}")
        if weekday is not None and when is None:
            raise ValueError("a rule with a day needs a time of day (at=...)")
        return cls(step, when, weekday)

    def signature(self) -> str:
        """The rule as stored with its job (an unchanged rule keeps the job as it is)."""
        return json.dumps({"every": self.every.total_seconds(),
                           "at": self.at.strftime("%H:%M:%S.%f") if self.at else None,
                           "day": self.day}, sort_keys=True)

    def first(self, now: datetime, zone: ZoneInfo) -> datetime:
        """The first run after ``now``."""
        if self.at is None:
            return now + self.every
        local = now.astimezone(zone)
        day = local.date()
        for _ in range(8):
            if self.day is None or day.weekday() == self.day:
                when = wall_time(zone, day, self.at)
                if when > now:
                    return when.astimezone(UTC)
            day += timedelta(days=1)
        raise AssertionError("no run within eight days")  # pragma: no cover


def encode_data(key: str, data: dict[str, Any] | None) -> str:
    """``data`` as JSON; ``TypeError`` at the call when it would not come back the same."""
    value = {} if data is None else data
    problem = None
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        problem, text = str(exc), ""
    if problem is None and (not isinstance(value, dict) or json.loads(text) != value):
        problem = "it would not come back the same (tuples become lists, keys become strings)"
    if problem is not None:
        raise TypeError(
            f"job {key!r}: data must be a dict of JSON values (str, int, float, bool, None, "
            f"lists, dicts with str keys): {problem}"
        )
    return text


_ts, _dt = to_ms, from_ms


def _ms(span: timedelta) -> int:
    return span // timedelta(milliseconds=1)


class Scheduler:
    """Hands due jobs to ``dispatch``; driven by real time or by :meth:`advance`.

    ``dispatch`` must not run the job itself: it queues it, and whoever runs
    it calls :meth:`finished` afterwards.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        dispatch: Callable[[Job], Awaitable[None]],
        zone_for: Callable[[str], ZoneInfo],
        *,
        owned: Callable[[], Collection[str] | None] = lambda: None,
        lease: timedelta = LEASE,
    ) -> None:
        """``owned`` names the communities whose jobs this process runs now (None: all of
        them, as with one process); ``lease`` is how long a claimed job stays with it."""
        self._db = db
        self._owned = owned
        self._lease = lease
        self._clock = clock
        self._dispatch = dispatch
        self._zone_for = zone_for
        self._changed = asyncio.Event()
        #: row id -> the due time it was claimed with, for jobs dispatched and not finished
        self._inflight: dict[int, int] = {}

    async def schedule(
        self,
        community: str,
        plugin: str,
        key: str,
        at: datetime,
        *,
        data: dict[str, Any] | None = None,
        every: timedelta | None = None,
    ) -> None:
        """Create or move the job ``key``; it runs at ``at`` (then every ``every``).

        ``data`` must be JSON (``TypeError`` otherwise, at the call).
        """
        await self._put(community, plugin, key, at, encode_data(key, data), every, None)

    async def _put(self, community: str, plugin: str, key: str, at: datetime, data: str,
                   every: timedelta | None, rule: str | None) -> None:
        await self._db.execute(
            "INSERT INTO hearth_jobs (community, plugin, key, due_ms, every_ms, data, rule)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (community, plugin, key) DO UPDATE SET due_ms = excluded.due_ms,"
            " every_ms = excluded.every_ms, data = excluded.data,"
            " rule = excluded.rule, attempts = 0, anchor_ms = NULL, run = hearth_jobs.run + 1",
            (community, plugin, key, _ts(at), _ms(every) if every else None, data, rule),
        )
        self._changed.set()
        await self._db.notify(JOBS_CHANNEL)

    async def ensure(self, community: str, plugin: str, key: str, rule: Rule, *,
                     data: dict[str, Any] | None = None) -> datetime:
        """Declare the recurring job ``key`` (idempotent); return when it runs next.

        An existing job with the same rule keeps its time (an overdue one runs
        once, then keeps its rhythm); a changed rule, or a job that was not
        declared with one, is rescheduled to the rule's first run from now.
        """
        encoded = encode_data(key, data)
        row = await self._db.fetchrow(
            "SELECT id, due_ms, rule, data FROM hearth_jobs WHERE community = ? AND plugin = ? AND key = ?",
            (community, plugin, key),
        )
        signature = rule.signature()
        if row is not None and row["rule"] == signature:
            if row["data"] != encoded:
                await self._db.execute("UPDATE hearth_jobs SET data = ? WHERE id = ?",
                                       (encoded, row["id"]))
            return _dt(row["due_ms"])
        first = rule.first(self._clock.now(), self._zone_for(community))
        await self._put(community, plugin, key, first, encoded, rule.every, signature)
        return first

    async def cancel(self, community: str, plugin: str, key: str) -> bool:
        """Remove the job ``key``; True if there was one."""
        n = await self._db.execute(
            "DELETE FROM hearth_jobs WHERE community = ? AND plugin = ? AND key = ?",
            (community, plugin, key),
        )
        return n > 0

    async def jobs(self, community: str, plugin: str, prefix: str = "") -> list[Job]:
        """The plugin's jobs in a community whose key starts with ``prefix``, by due time."""
        rows = await self._db.fetch(
            "SELECT * FROM hearth_jobs WHERE community = ? AND plugin = ? AND key LIKE ? ESCAPE '\\'"
            " ORDER BY due_ms, id",
            (community, plugin, like_prefix(prefix)),
        )
        return [self._job(r) for r in rows]

    def _job(self, row: Any) -> Job:
        every = row["every_ms"]
        return Job(
            community=row["community"],
            plugin=row["plugin"],
            key=row["key"],
            due=_dt(row["due_ms"]),
            data=json.loads(row["data"]),
            every=timedelta(milliseconds=every) if every else None,
            attempt=int(row["attempts"]) + 1,
            id=int(row["id"]),
            run=int(row["run"]),
        )

    def _mine(self) -> tuple[str, list[Any]]:
        """The SQL condition (and its values) choosing the jobs this process may run."""
        owned = self._owned()
        if owned is None:
            return "1 = 1", []
        if not owned:
            return "1 = 0", []
        return f"community IN ({', '.join('?' * len(owned))})", sorted(owned)

    async def next_due(self) -> datetime | None:
        """When the next of this process's jobs falls due (None: it has none)."""
        mine, params = self._mine()
        due = await self._db.fetchval(f"SELECT MIN(due_ms) FROM hearth_jobs WHERE {mine}", params)
        return None if due is None else _dt(due)

    async def run_due(self) -> int:
        """Claim and dispatch every job due now that this process may run, in due order;
        return how many."""
        ran = 0
        while True:
            jobs, seen = await self._claim_batch(self._clock.now())
            for job in jobs:
                await self._dispatch(job)
            ran += len(jobs)
            if seen < CLAIM_BATCH:
                return ran

    async def _claim_batch(self, now: datetime) -> tuple[list[Job], int]:
        """Claim up to :data:`CLAIM_BATCH` due jobs in one transaction: their due time moves
        to the end of a lease (the next regular run of a recurring job is kept in
        ``anchor_ms``), so a process that dies holding one leaves it to run again.

        On PostgreSQL the rows are locked ``FOR UPDATE SKIP LOCKED``: processes claiming
        together each take other jobs, without waiting for one another.
        """
        mine, params = self._mine()
        lock = " FOR UPDATE SKIP LOCKED" if self._db.dialect == "postgresql" else ""
        lease = _ts(now + self._lease)
        jobs: list[Job] = []
        async with self._db.transaction() as db:
            rows = await db.fetch(
                f"SELECT * FROM hearth_jobs WHERE due_ms <= ? AND {mine}"
                f" ORDER BY due_ms, id LIMIT {CLAIM_BATCH}{lock}", [_ts(now), *params])
            for row in rows:
                if row["id"] in self._inflight:
                    # Still waiting in its community's inbox: renew the lease, do not run it twice.
                    if await db.execute("UPDATE hearth_jobs SET due_ms = ? WHERE id = ? AND due_ms = ?",
                                        (lease, row["id"], row["due_ms"])):
                        self._inflight[row["id"]] = lease
                    continue
                job = self._job(row)
                following = None
                if job.every:
                    zone = self._zone_for(job.community)
                    anchor = row["anchor_ms"]
                    after = _dt(anchor) if anchor is not None else add_calendar(job.due, job.every, zone)
                    while after <= now:
                        after = add_calendar(after, job.every, zone)
                    following = _ts(after)
                claimed = await db.execute(
                    "UPDATE hearth_jobs SET due_ms = ?, anchor_ms = ? WHERE id = ? AND due_ms = ?",
                    (lease, following, row["id"], row["due_ms"]),
                )
                if claimed:  # else another process took it
                    self._inflight[job.id] = lease
                    jobs.append(job)
        return jobs, len(rows)

    async def listen(self) -> None:
        """Wake when another process schedules a job (PostgreSQL), instead of at the next
        minute's look."""
        await self._db.listen(JOBS_CHANNEL, self.wake)

    def wake(self) -> None:
        """Look for due jobs now (the jobs this process may run changed)."""
        self._changed.set()

    def abandon(self, job: Job) -> None:
        """Forget a dispatched job without running it (this process no longer owns its
        community): it runs again, here or elsewhere, once its claim's lease ends."""
        self._inflight.pop(job.id, None)

    async def finished(self, job: Job, error: BaseException | None) -> None:
        """Record how a dispatched job went: done, or to be retried with backoff.

        Only the claim this process holds is changed: a job rescheduled by its handler,
        or claimed by another process after this one's lease ran out, is left as it is.
        """
        claim = self._inflight.pop(job.id, None)
        if claim is None:
            return
        if error is not None and job.attempt >= MAX_ATTEMPTS:
            log.error("job %s of %s in %s failed %d times; giving up on it%s: %s", job.key,
                      job.plugin, job.community, job.attempt,
                      " until its next run" if job.every else "", error)
        if error is None or job.attempt >= MAX_ATTEMPTS:
            if job.every:
                await self._db.execute(
                    "UPDATE hearth_jobs SET due_ms = anchor_ms, anchor_ms = NULL, attempts = 0,"
                    " run = run + 1 WHERE id = ? AND due_ms = ?", (job.id, claim))
            else:
                # The handler may have rescheduled the same key: keep that.
                await self._db.execute("DELETE FROM hearth_jobs WHERE id = ? AND due_ms = ?",
                                       (job.id, claim))
            self._changed.set()
            return
        delay = min(RETRY_FIRST * 2 ** (job.attempt - 1), RETRY_MAX)
        retry = _ts(self._clock.now() + delay)
        if job.every:
            # When the next regular run comes first, it is the retry.
            await self._db.execute(
                "UPDATE hearth_jobs SET"
                " due_ms = CASE WHEN anchor_ms <= ? THEN anchor_ms ELSE ? END,"
                " anchor_ms = CASE WHEN anchor_ms <= ? THEN NULL ELSE anchor_ms END,"
                " attempts = ? WHERE id = ? AND due_ms = ?",
                (retry, retry, retry, job.attempt, job.id, claim))
        else:
            await self._db.execute(
                "UPDATE hearth_jobs SET due_ms = ?, attempts = ? WHERE id = ? AND due_ms = ?",
                (retry, job.attempt, job.id, claim))
        log.warning("job %s of %s in %s failed (attempt %d); retrying in %s", job.key, job.plugin,
                    job.community, job.attempt, delay)
        self._changed.set()

    async def run_forever(self) -> None:
        """Run jobs as they fall due in real time (until cancelled)."""
        while True:
            self._changed.clear()
            self._db.check()
            await self.run_due()
            now = self._clock.now()
            nxt = await self.next_due()
            until = now + IDLE_CHECK if nxt is None else min(nxt, now + IDLE_CHECK)
            await self._clock.sleep_until(until, self._changed)

    async def advance(self, target: datetime, settle: Callable[[], Awaitable[None]]) -> None:
        """Move a virtual clock to ``target``, running each job at its due time, in order.

        Whatever sleeps on the clock (outbound pacing, retries) wakes at its own
        deadline on the way.
        """
        clock = self._clock
        if not isinstance(clock, VirtualClock):
            raise TypeError("only a virtual clock can be advanced")
        clock.check_jump(target)
        while True:
            await settle()
            nxt = await self.next_due()
            wake = clock.next_wake()
            if wake is not None and (nxt is None or wake < nxt):
                nxt = wake
            if nxt is None or nxt > target:
                break
            clock.set(max(nxt, clock.now()))
            await self.run_due()
        clock.set(target)
        await settle()
