"""Storage hiccups, supervision of long-running tasks, and a database that cannot be used."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hearth import PluginConfig, hookimpl
from hearth.adapters.testing import TestBot
from hearth.adapters.testing import TestingAdapter as MemoryAdapter
from hearth.app import App, bindings_for
from hearth.bootstrap import load
from hearth.cli import main
from hearth.clock import SystemClock, VirtualClock
from hearth.errors import StorageError, StorageUnavailable
from hearth.ports import Adapter, AdapterHost
from hearth.storage import Database
from hearth.supervisor import Supervisor

CONFIG = """
communities:
  tea:
    channels: {general: {discord: "1"}}
    discord: {guild: "1"}
    plugins: {notes: {}}
"""


class Notes:
    """Writes every message to its table; records the jobs it runs."""

    def __init__(self) -> None:
        self.jobs: list[str] = []
        self.ran = asyncio.Event()

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def register_migrations(self) -> list[Any]:
        async def v1(store: Any) -> None:
            await store.execute(f"CREATE TABLE {store.table('seen')} (community TEXT NOT NULL, text TEXT)")

        return [v1]

    @hookimpl
    async def on_message(self, ctx: Any, message: Any) -> None:
        await ctx.store.insert("seen", {"text": message.text})

    @hookimpl
    async def on_job_due(self, ctx: Any, job: Any) -> None:
        self.jobs.append(job.key)
        self.ran.set()


# --------------------------------------------------------------------------- storage


@pytest.mark.asyncio
async def test_a_write_lock_held_past_the_busy_timeout_is_waited_out(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    db = await Database.open(f"sqlite:///{path}")
    try:
        await db.execute("CREATE TABLE t (x INTEGER)")
        await db._conn.execute("PRAGMA busy_timeout=1")  # SQLite's own wait: over at once
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        waits: list[float] = []

        async def sleep(delay: float) -> None:  # the lock is released while we back off
            waits.append(delay)
            if len(waits) == 3:
                other.execute("COMMIT")

        db._sleep = sleep
        await db.execute("INSERT INTO t (x) VALUES (1)")
        other.close()
        assert [r["x"] for r in await db.fetch("SELECT x FROM t")] == [1]
        assert len(waits) == 3 and waits[0] < waits[1] < waits[2]  # backoff grows
    finally:
        await db.close()


@pytest.mark.asyncio
async def test_writes_failing_for_too_long_are_fatal_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = await Database.open(f"sqlite:///{tmp_path / 'h.db'}")
    reasons: list[str] = []
    db.on_fatal = reasons.append
    clock = [0.0]
    db._monotonic = lambda: clock[0]

    async def sleep(delay: float) -> None:
        clock[0] += delay

    db._sleep = sleep
    real = db._conn.execute

    async def full(sql: str, params: Any = ()) -> Any:
        if sql.startswith("INSERT"):
            exc = sqlite3.OperationalError("database or disk is full")
            exc.sqlite_errorcode = 13  # type: ignore[attr-defined]
            raise exc
        return await real(sql, params)

    monkeypatch.setattr(db._conn, "execute", full)
    try:
        await db.execute("CREATE TABLE t (x INTEGER)")
        with pytest.raises(StorageError) as first:
            await db.execute("INSERT INTO t (x) VALUES (1)")  # retried for retry_for, then raised
        assert not isinstance(first.value, StorageUnavailable) and clock[0] >= db.retry_for
        assert reasons == []
        clock[0] += db.give_up_after
        with pytest.raises(StorageUnavailable, match="is on a full disk"):
            await db.execute("INSERT INTO t (x) VALUES (2)")
        with pytest.raises(StorageUnavailable):
            await db.execute("INSERT INTO t (x) VALUES (3)")
        assert len(reasons) == 1 and str(tmp_path / "h.db") in reasons[0]
    finally:
        await db.close()


@pytest.mark.asyncio
async def test_corruption_found_while_running_is_fatal_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = await Database.open(f"sqlite:///{tmp_path / 'h.db'}")
    reasons: list[str] = []
    db.on_fatal = reasons.append
    waits: list[float] = []

    async def sleep(delay: float) -> None:
        waits.append(delay)

    db._sleep = sleep

    async def malformed(sql: str, params: Any = ()) -> Any:
        exc = sqlite3.DatabaseError("database disk image is malformed")
        exc.sqlite_errorcode = 11  # type: ignore[attr-defined]
        raise exc

    monkeypatch.setattr(db._conn, "execute_fetchall", malformed)
    try:
        with pytest.raises(StorageUnavailable, match="is corrupt"):
            await db.fetch("SELECT 1")
        assert waits == [] and len(reasons) == 1  # no retry can mend it; reported once
        assert reasons[0].startswith(f"the database {tmp_path / 'h.db'} is corrupt")
    finally:
        await db.close()


def _corrupt(path: Path) -> None:
    path.write_bytes(b"this is not a database" * 100)


def _truncated(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,) for _ in range(2000)])
    conn.commit()
    conn.close()
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)


@pytest.mark.parametrize(("damage", "problem"), [
    (_corrupt, "is not a SQLite database"),
    (_truncated, "is corrupt"),
])
@pytest.mark.asyncio
async def test_a_damaged_database_is_one_clear_error(tmp_path: Path, damage: Any, problem: str) -> None:
    path = tmp_path / "h.db"
    damage(path)
    with pytest.raises(StorageError) as caught:
        await Database.open(f"sqlite:///{path}")
    assert str(caught.value).startswith(f"cannot open {path}: it {problem}")


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "ro.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    if os.geteuid() != 0:
        path.chmod(0o444)
        yield path
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode:
        pytest.skip("running as root without chattr: cannot make a file read-only")
    try:
        yield path
    finally:
        subprocess.run([chattr, "-i", str(path)], check=False)


@pytest.mark.asyncio
async def test_a_read_only_database_is_one_clear_error(read_only: Path) -> None:
    with pytest.raises(StorageError, match=f"cannot open {read_only}: it is read-only"):
        await Database.open(f"sqlite:///{read_only}")


def test_the_cli_names_a_corrupt_database_and_exits_1(tmp_path: Path) -> None:
    db = tmp_path / "console.db"
    _corrupt(db)
    config = tmp_path / "hearth.yaml"
    config.write_text(CONFIG.replace("    plugins: {notes: {}}\n", ""))
    result = CliRunner().invoke(main, ["console", str(config), "--db", str(db)], input="/quit\n")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"hearth: error: cannot open {db}: it is not a SQLite database (corrupt, or another kind of "
        "file) (file is not a database)"
    ]


# --------------------------------------------------------------------------- the database file


@pytest.mark.parametrize("how", ["deleted", "replaced"])
@pytest.mark.asyncio
async def test_a_database_deleted_or_replaced_while_running_stops_the_app(tmp_path: Path, how: str) -> None:
    path = tmp_path / "h.db"
    bot = await TestBot.create(CONFIG, extra_plugins={"notes": Notes()}, members=[{"id": "ann"}],
                               storage=path)
    try:
        await bot.say("ann", "general", "before")
        assert bot.app is not None and bot.app.failure is None
        if how == "deleted":
            path.unlink()
        else:
            other = tmp_path / "other.db"
            sqlite3.connect(other).close()
            other.replace(path)
        await bot.say("ann", "general", "after")
        assert bot.app.failed.is_set()
        assert bot.app.failure is not None
        assert bot.app.failure.startswith(f"the database {path} was {how}")
        assert "while Hearth was running" in bot.app.failure
    finally:
        await bot.close()


class _Quiet(Adapter):
    """A network adapter that connects to nothing."""

    name = "discord"

    async def start(self, host: AdapterHost) -> None:
        return None

    async def stop(self) -> None:
        return None


@pytest.mark.asyncio
async def test_a_new_database_for_bound_communities_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    loaded = load(CONFIG.replace("    plugins: {notes: {}}\n", ""), text=True)
    url = f"sqlite:///{tmp_path / 'h.db'}"
    warned: list[list[str]] = []
    for _run in range(2):  # a first start, then a restart on the same file
        caplog.clear()
        app = App(loaded.config, loaded.plugins,
                  [_Quiet(account=None, communities=bindings_for(loaded.config, _Quiet))],
                  clock=VirtualClock(datetime(2026, 1, 5, tzinfo=UTC)), storage=url)
        with caplog.at_level(logging.WARNING, logger="hearth.app"):
            await app.start()
            await app.stop()
        warned.append([r.getMessage() for r in caplog.records if "is new" in r.getMessage()])
    assert len(warned[0]) == 1 and "binds communities to discord" in warned[0][0]
    assert warned[1] == []


# --------------------------------------------------------------------------- supervision


async def _drive(clock: VirtualClock, task: asyncio.Task[None]) -> None:
    """Step virtual time through every sleeper's deadline until ``task`` ends."""
    for _ in range(1000):
        if task.done():
            return
        await asyncio.sleep(0)
        wake = clock.next_wake()
        if wake is not None:
            clock.set(wake)
    raise AssertionError("the supervised task never ended")


@pytest.mark.asyncio
async def test_the_supervisor_restarts_a_failed_task_with_backoff_then_gives_up() -> None:
    clock = VirtualClock(datetime(2026, 1, 5, tzinfo=UTC))
    start = clock.now()
    supervisor = Supervisor(clock)
    runs: list[timedelta] = []

    async def flaky() -> None:
        runs.append(clock.now() - start)
        if len(runs) < 3:
            raise RuntimeError("hiccup")

    await _drive(clock, supervisor.run("flaky", flaky))
    assert runs == [timedelta(0), timedelta(seconds=1), timedelta(seconds=3)]  # 1 s, then 2 s
    assert not supervisor.failed.is_set()

    async def broken() -> None:
        raise RuntimeError("always")

    await _drive(clock, supervisor.run("broken", broken))
    assert supervisor.failed.is_set()
    assert supervisor.reason == f"broken failed {Supervisor.max_failures} times in a row; last error: always"

    fatal = Supervisor(clock)

    async def gone() -> None:
        raise StorageUnavailable("the database x.db was deleted")

    await _drive(clock, fatal.run("gone", gone))
    assert fatal.reason == "the database x.db was deleted"  # fatal: no restart


@pytest.mark.asyncio
async def test_the_scheduler_survives_a_storage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = Notes()
    loaded = load(CONFIG, text=True, extra_plugins={"notes": notes})
    adapter = MemoryAdapter(communities=bindings_for(loaded.config, MemoryAdapter))
    app = App(loaded.config, loaded.plugins, [adapter], clock=SystemClock(),
              storage=f"sqlite:///{tmp_path / 'h.db'}")
    monkeypatch.setattr(Supervisor, "first_delay", timedelta(0))
    await app.start()
    try:
        assert app.db is not None
        real = app.db.fetch
        failures = [1]

        async def hiccup(sql: str, params: Any = ()) -> Any:
            if "hearth_jobs" in sql and failures:
                failures.pop()
                raise StorageError("database is locked in: SELECT")
            return await real(sql, params)

        monkeypatch.setattr(app.db, "fetch", hiccup)
        await app.contexts["tea"]["notes"].schedule("soon", app.clock.now())
        await asyncio.wait_for(notes.ran.wait(), 10)
        assert notes.jobs == ["soon"] and failures == [] and app.failure is None
    finally:
        await app.stop()
