"""Community ownership by lease in a shared PostgreSQL: one owner at a time, takeover after expiry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from hearth.leases import Leases
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
    first = Leases(await _db(postgres_url), ["a", "b"], name="first", ttl=TTL, monotonic=ticks)
    standby = Leases(await _db(postgres_url), ["a", "b"], name="standby", ttl=TTL, monotonic=ticks)
    woken: list[str] = []
    standby.on_change = lambda: woken.append("standby")  # the app wakes its scheduler
    assert first.owned() == frozenset()  # nothing before the first renewal
    assert await first.renew() == {"a", "b"}
    assert await standby.renew() == frozenset()  # held: the standby waits
    assert await first.renew() == {"a", "b"}  # renewing keeps them
    # first stops renewing (hung, or cut off from the database): it stops acting on its own
    # clock before its lease expires on the database's ...
    ticks.now += TTL.total_seconds() * 2 / 3
    assert first.owned() == frozenset() and not first.owns("a")
    assert await standby.renew() == frozenset()  # ... which has not yet let the lease go
    await asyncio.sleep(TTL.total_seconds() + 0.1)  # the database's clock passes the expiry
    assert woken == []
    assert await standby.renew() == {"a", "b"}
    assert woken == ["standby"]
    assert await first.renew() == frozenset()  # back, it finds them taken
    rows = await first.db.fetch("SELECT name FROM hearth_processes ORDER BY name")
    assert [r["name"] for r in rows] == ["first", "standby"]


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
