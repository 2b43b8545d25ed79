"""Community ownership by lease in a shared PostgreSQL: one owner at a time, takeover after expiry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from hearth.errors import StorageError
from hearth.leases import Leases
from hearth.ports import Claims
from hearth.storage import CORE_MIGRATIONS, Database, Store

TTL = timedelta(milliseconds=400)
_open: list[Database] = []


@pytest_asyncio.fixture(autouse=True)
async def _close_databases() -> AsyncIterator[None]:
    yield
    while _open:
        await _open.pop().close()


async def _db(url: str) -> Database:
    db = await Database.open(url)
    _open.append(db)
    await db.migrate(Store(db, "hearth"), CORE_MIGRATIONS)
    return db


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.asyncio
async def test_one_owner_at_a_time_and_a_standby_takes_over_after_expiry(postgres_url: str) -> None:
    ticks = Ticks()
    first = Leases(await _db(postgres_url), ["a"], name="first", ttl=TTL, monotonic=ticks)
    standby = Leases(await _db(postgres_url), ["a"], name="standby", ttl=TTL, monotonic=ticks)
    woken: list[str] = []
    standby.on_change = lambda: woken.append("standby")  # the app wakes its scheduler
    assert first.owned() == frozenset()  # nothing before the first renewal
    assert await first.renew() == {"a"}
    assert await standby.renew() == frozenset()  # held: the standby waits
    assert await first.renew() == {"a"}  # renewing keeps it
    # first stops renewing (hung, or cut off from the database): it stops acting on its own
    # clock before its lease expires on the database's ...
    ticks.now += TTL.total_seconds() * 2 / 3
    assert first.owned() == frozenset() and not first.owns("a")
    assert await standby.renew() == frozenset()  # ... which has not yet let the lease go
    await asyncio.sleep(TTL.total_seconds() + 0.1)  # the database's clock passes the expiry
    assert woken == []
    assert await standby.renew() == {"a"}
    assert woken == ["standby"]
    assert await first.renew() == frozenset()  # back, it finds it taken
    rows = await first.db.fetch("SELECT name FROM hearth_processes ORDER BY name")
    assert [r["name"] for r in rows] == ["first", "standby"]


@pytest.mark.asyncio
async def test_processes_divide_the_communities_and_rebalance_when_one_joins_or_dies(
        postgres_url: str) -> None:
    communities = ["a", "b", "c", "d", "e"]
    first = Leases(await _db(postgres_url), communities, name="first", ttl=TTL)
    second = Leases(await _db(postgres_url), communities, name="second", ttl=TTL)
    assert await first.renew() == set(communities)  # alone: it takes every community
    assert await second.renew() == frozenset()  # every one is held
    # Two live processes: a fair share is ceil(5 / 2) = 3; first gives back the two it took last.
    assert await first.renew() == {"a", "b", "c"}
    assert await second.renew() == {"d", "e"}
    assert await first.renew() == {"a", "b", "c"}  # stable
    # second dies: once its heartbeat and its leases are older than the expiry, first is
    # the only live process and takes its communities back.
    await asyncio.sleep(TTL.total_seconds() + 0.1)
    assert await first.renew() == set(communities)


@pytest.mark.asyncio
async def test_claimed_parts_are_divided_and_their_communities_follow_them(
        postgres_url: str) -> None:
    shards = Claims(keys=("shard 0", "shard 1", "shard 2"), per_process=2,
                    communities={"on0": "shard 0", "on2": "shard 2"})
    told: dict[str, list[frozenset[str]]] = {"first": [], "second": []}
    first = Leases(await _db(postgres_url), ["on0", "on2", "own"], name="first", ttl=TTL,
                   claims=[shards])
    second = Leases(await _db(postgres_url), ["on0", "on2", "own"], name="second", ttl=TTL,
                    claims=[shards])
    first.on_claimed = told["first"].append
    second.on_claimed = told["second"].append
    assert await first.renew() == {"on0", "own"}  # at most per_process = 2 shards: 0 and 1
    assert first.claimed() == {"shard 0", "shard 1"}
    assert await second.renew() == {"on2"}  # the free shard 2; "own" is held
    # Two live processes: a fair share of shards is ceil(3 / 2) = 2, so first keeps both.
    assert await first.renew() == {"on0", "own"}
    assert told == {"first": [{"shard 0", "shard 1"}], "second": [{"shard 2"}]}
    await first.release()  # a clean stop: second may take up to 2 shards, and "own"
    assert await second.renew() == {"on0", "on2", "own"}
    assert second.claimed() == {"shard 0", "shard 2"}
    assert told["second"][-1] == {"shard 0", "shard 2"}


@pytest.mark.asyncio
async def test_a_fixed_assignment_takes_every_part_it_names(postgres_url: str) -> None:
    fixed = Claims(keys=("shard 0", "shard 1"), per_process=None, communities={"on1": "shard 1"})
    first = Leases(await _db(postgres_url), ["on1"], name="first", ttl=TTL, claims=[fixed])
    await Leases(await _db(postgres_url), [], name="other", ttl=TTL).renew()  # another process
    assert await first.renew() == {"on1"}
    assert first.claimed() == {"shard 0", "shard 1"}


@pytest.mark.asyncio
async def test_a_clean_stop_hands_over_at_once(postgres_url: str) -> None:
    first = Leases(await _db(postgres_url), ["a"], name="first", ttl=timedelta(seconds=20))
    second = Leases(await _db(postgres_url), ["a"], name="second", ttl=timedelta(seconds=20))
    assert await first.renew() == {"a"}
    await first.release()
    assert await second.renew() == {"a"}


@pytest.mark.asyncio
async def test_with_sqlite_the_one_process_owns_every_community(tmp_path: Path) -> None:
    leases = Leases(await _db(f"sqlite:///{tmp_path / 'db'}"), ["a"])
    assert await leases.renew() is None
    assert leases.owned() is None and leases.owns("a") and leases.owns("anything")


@pytest.mark.asyncio
async def test_with_sqlite_the_one_process_holds_every_part(tmp_path: Path) -> None:
    shards = Claims(keys=("shard 0", "shard 1"), per_process=1, communities={"a": "shard 0"})
    leases = Leases(await _db(f"sqlite:///{tmp_path / 'db'}"), ["a"], claims=[shards])
    told: list[frozenset[str]] = []
    leases.on_claimed = told.append
    assert await leases.renew() is None
    assert told == [{"shard 0", "shard 1"}] and leases.owns("a")


@pytest.mark.asyncio
async def test_while_renewals_fail_the_parts_are_let_go_before_the_lease_expires(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = Ticks()
    shards = Claims(keys=("shard 0",), per_process=1, communities={"a": "shard 0"})
    leases = Leases(await _db(postgres_url), ["a"], name="first", ttl=TTL, claims=[shards],
                    monotonic=ticks)
    told: list[frozenset[str]] = []
    leases.on_claimed = told.append
    assert await leases.renew() == {"a"} and told == [{"shard 0"}]

    async def unreachable() -> None:
        raise StorageError("the database is unreachable")

    monkeypatch.setattr(leases, "renew", unreachable)
    runner = asyncio.create_task(leases.run_forever())
    try:
        await asyncio.sleep(0.05)
        assert told == [{"shard 0"}]  # still safe: it keeps its shard
        ticks.now += TTL.total_seconds() * 2 / 3  # no renewal for two thirds of the expiry
        async with asyncio.timeout(TTL.total_seconds()):
            while len(told) < 2:  # noqa: ASYNC110 (the renewal loop tells it)
                await asyncio.sleep(0.01)
        assert told == [{"shard 0"}, frozenset()] and not leases.owns("a")
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
