"""The storage port on both backends: statements, transactions, portable SQL, the scoped store,
migrations under the schema lock, forward migration of the core, and copying SQLite to PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from hearth import SQL, CommunityStore, Store, from_ms, like_prefix, to_ms
from hearth.adapters.testing.harness import TestBot
from hearth.cli import main
from hearth.errors import StorageError
from hearth.plugins.welcome.records import Newcomers
from hearth.registry import BUILTIN_PLUGINS
from hearth.scheduler import Scheduler
from hearth.storage import CORE_MIGRATIONS, Database, copy
from hearth.storage.sql import to_postgres

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def open_db(url: str) -> Database:
    return await Database.open(url)


@pytest.mark.asyncio
async def test_statements_transactions_and_returning(storage_url: str) -> None:
    db = await open_db(storage_url)
    try:
        await db.execute("CREATE TABLE demo_t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, at_ms BIGINT)")
        first = await db.fetchval("INSERT INTO demo_t (name, at_ms) VALUES (?, ?) RETURNING id",
                                  ("ann", to_ms(T0)))
        second = await db.fetchval("INSERT INTO demo_t (name) VALUES (?) RETURNING id", ("bo",))
        assert (first, second) == (1, 2)  # auto-numbered on both (an identity column on PostgreSQL)
        await db.executemany("INSERT INTO demo_t (name) VALUES (?)", [("cy",), ("di",)])
        assert await db.execute("UPDATE demo_t SET at_ms = ? WHERE id > ?", (0, 2)) == 2
        rows = await db.fetch("SELECT id, name FROM demo_t ORDER BY id")
        assert [tuple(r) for r in rows] == [(1, "ann"), (2, "bo"), (3, "cy"), (4, "di")]
        row = await db.fetchrow("SELECT name, at_ms FROM demo_t WHERE id = ?", (1,))
        assert row is not None and row["name"] == "ann" and from_ms(row["at_ms"]) == T0
        assert await db.fetchrow("SELECT * FROM demo_t WHERE id = ?", (99,)) is None
        with pytest.raises(RuntimeError):
            async with db.transaction():
                await db.execute("DELETE FROM demo_t")
                async with db.transaction():  # joins the outer one
                    await db.execute("INSERT INTO demo_t (name) VALUES ('gone')")
                raise RuntimeError("undo")
        assert await db.fetchval("SELECT COUNT(*) FROM demo_t") == 4
        with pytest.raises(StorageError, match="demo_nothing"):
            await db.fetch("SELECT * FROM demo_nothing")
    finally:
        await db.close()


@pytest.mark.asyncio
async def test_a_task_started_inside_a_transaction_is_not_in_it(postgres_url: str) -> None:
    """It inherits the context, not the connection (which the transaction gives back to the
    pool when it ends, while the task may still be running: a queued action)."""
    db = await open_db(postgres_url)
    try:
        await db.execute("CREATE TABLE demo_k (id INTEGER PRIMARY KEY)")
        async with db.transaction():
            await db.execute("INSERT INTO demo_k (id) VALUES (1)")
            seen = await asyncio.create_task(db.fetchval("SELECT COUNT(*) FROM demo_k"))
        assert seen == 0  # the row was not committed yet
        assert await db.fetchval("SELECT COUNT(*) FROM demo_k") == 1
    finally:
        await db.close()


@pytest.mark.asyncio
async def test_a_transaction_cancelled_as_it_begins_leaves_none_open(storage_url: str) -> None:
    """A task cancelled while its BEGIN runs (a web request whose client went away)."""
    db = await open_db(storage_url)
    try:
        await db.execute("CREATE TABLE demo_c (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")

        async def write() -> None:
            async with db.transaction():
                await db.execute("INSERT INTO demo_c (name) VALUES (?)", ("lost",))

        for _ in range(5):  # cancelled at each of its first steps in turn
            task = asyncio.ensure_future(write())
            await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        async with db.transaction():  # the next transaction begins, and commits
            await db.execute("INSERT INTO demo_c (name) VALUES (?)", ("kept",))
        assert [r["name"] for r in await db.fetch("SELECT name FROM demo_c")] == ["kept"]
    finally:
        await db.close()


@pytest.mark.asyncio
async def test_portable_sql_question_marks_like_and_times(storage_url: str) -> None:
    db = await open_db(storage_url)
    try:
        await db.execute("CREATE TABLE demo_n (name TEXT NOT NULL, x REAL)")
        # a ? inside a literal is text, not a parameter; doubled quotes stay inside
        await db.execute("INSERT INTO demo_n (name, x) VALUES ('what?', ?), ('it''s ?', ?), (?, ?)",
                         (1.5, 2.5, "a%b", 1767603600.123456))
        names = ["a_b", "axb", "A%b", "a\\b", "a%bc"]
        await db.executemany("INSERT INTO demo_n (name) VALUES (?)", [(n,) for n in names])
        rows = await db.fetch("SELECT name FROM demo_n WHERE name LIKE ? ESCAPE '\\' ORDER BY name",
                              (like_prefix("a%b"),))
        assert [r[0] for r in rows] == ["a%b", "a%bc"]  # % is a character, and case counts
        rows = await db.fetch("SELECT name FROM demo_n WHERE name LIKE ? ESCAPE '\\' ORDER BY name",
                              (like_prefix("a_"),))
        assert [r[0] for r in rows] == ["a_b"]
        assert [r[0] for r in await db.fetch(
            "SELECT name FROM demo_n WHERE name LIKE ? ESCAPE '\\'", (like_prefix("a\\"),))] == ["a\\b"]
        assert await db.fetchval("SELECT name FROM demo_n WHERE x = ?", (2.5,)) == "it's ?"
        # REAL is a double on both: an epoch in seconds keeps its microseconds (not float4's minute)
        assert await db.fetchval("SELECT x FROM demo_n WHERE name = 'a%b'") == 1767603600.123456
    finally:
        await db.close()


def test_the_translation_numbers_parameters_outside_literals_and_comments() -> None:
    assert to_postgres("SELECT '?', \"a?\", ? -- what?\n, ?") == "SELECT '?', \"a?\", $1 -- what?\n, $2"
    assert to_postgres("CREATE TABLE t (id INTEGER PRIMARY KEY, x REAL)") == (
        "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, x DOUBLE PRECISION)")
    assert to_postgres("SELECT real_name FROM t") == "SELECT real_name FROM t"
    assert to_postgres("CREATE TABLE t (a TEXT, PRIMARY KEY (a)) WITHOUT ROWID") == (
        "CREATE TABLE t (a TEXT, PRIMARY KEY (a))")


@pytest.mark.asyncio
async def test_a_plugins_store_reaches_only_its_community(storage_url: str) -> None:
    db = await open_db(storage_url)
    try:
        raw = Store(db, "demo")
        await raw.execute(f"CREATE TABLE {raw.table('counts')} (community TEXT NOT NULL,"
                          " member TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (community, member))")
        await raw.execute(f"CREATE TABLE {raw.table('notes')} (id INTEGER PRIMARY KEY,"
                          " community TEXT NOT NULL, text TEXT NOT NULL)")
        tea, cafe = CommunityStore(db, "demo", "tea"), CommunityStore(db, "demo", "cafe")
        bump = {"n": SQL(f"{tea.table('counts')}.n + 1")}
        for store, member in ((tea, "ann"), (tea, "ann"), (tea, "bo"), (cafe, "ann")):
            await store.insert("counts", {"member": member, "n": 1}, on_conflict=("member",), update=bump)
        assert [tuple(r) for r in await tea.select("counts", columns="member, n", order_by="member")] == [
            ("ann", 2), ("bo", 1)]
        assert [tuple(r) for r in await cafe.select("counts", columns="member, n")] == [("ann", 1)]
        # a condition that would match everything still matches this community's rows only
        assert await tea.update("counts", {"n": 0}, "1 = 1 OR member = ?", ("ann",)) == 2
        assert await cafe.select_value("counts", "n", "member = ?", ("ann",)) == 1
        assert await tea.delete("counts") == 2
        assert await cafe.select_value("counts", "COUNT(*)") == 1
        # ids come back from RETURNING; a clash with nothing to update does nothing
        assert await tea.insert("notes", {"text": "first"}, returning="id") == 1
        assert await cafe.insert("notes", {"text": "second"}, returning="id") == 2
        assert await cafe.insert("counts", {"member": "ann", "n": 5}, on_conflict=()) == 0
        row = await tea.select_one("notes", "text LIKE ? ESCAPE '\\'", (like_prefix("fir"),))
        assert row is not None and row["community"] == "tea"
        # the raw handle is the explicit way across communities
        assert await tea.raw.fetchval(f"SELECT COUNT(*) FROM {tea.table('notes')}") == 2
        with pytest.raises(ValueError, match="plain SQL name"):
            await tea.insert("notes", {"text; DROP TABLE x": "no"})
    finally:
        await db.close()


@pytest.mark.asyncio
async def test_migrations_run_once_in_order_and_a_newer_schema_is_refused(storage_url: str) -> None:
    calls: list[str] = []

    async def v1(store: Store) -> None:
        calls.append("v1")
        await store.execute(f"CREATE TABLE {store.table('t')} (x INTEGER)")

    async def v2(store: Store) -> None:
        calls.append("v2")
        await store.execute(f"ALTER TABLE {store.table('t')} ADD COLUMN y TEXT")

    async def broken(store: Store) -> None:
        await store.execute(f"INSERT INTO {store.table('t')} (x) VALUES (1)")
        raise RuntimeError("half-way")

    db = await open_db(storage_url)
    try:
        store = Store(db, "demo")
        assert await db.migrate(store, [v1]) == 1
        assert await db.migrate(store, [v1, v2]) == 2
        assert calls == ["v1", "v2"]
        with pytest.raises(RuntimeError):
            await db.migrate(store, [v1, v2, broken])
        assert await db.version("demo") == 2
        assert await db.fetch("SELECT * FROM demo_t") == []  # the failed step rolled back
        with pytest.raises(StorageError, match=r"newer than this Hearth knows .*\(stop every process"):
            await db.migrate(store, [v1])
    finally:
        await db.close()


@pytest.mark.asyncio
async def test_processes_starting_together_migrate_once(storage_url: str) -> None:
    ran: list[int] = []

    async def slow_v1(store: Store) -> None:
        ran.append(1)
        await store.execute(f"CREATE TABLE {store.table('once')} (x INTEGER)")  # fails if run twice
        await asyncio.sleep(0.05)  # hold the schema lock while the other process tries

    first, second = await open_db(storage_url), await open_db(storage_url)
    try:
        await asyncio.gather(first.migrate(Store(first, "demo"), [slow_v1]),
                             second.migrate(Store(second, "demo"), [slow_v1]))
        assert ran == [1]
        assert await second.version("demo") == 1
    finally:
        await first.close()
        await second.close()


@pytest.mark.asyncio
async def test_jobs_from_the_schema_with_float_seconds_keep_their_times(storage_url: str) -> None:
    """The core's jobs as the code before integer times stored them migrate without loss."""
    db = await open_db(storage_url)
    due = T0 + timedelta(seconds=90, milliseconds=123)
    try:
        await db.migrate(Store(db, "hearth"), CORE_MIGRATIONS[:2])
        await db.execute(
            "INSERT INTO hearth_jobs (community, plugin, key, due, every_seconds, data, rule, attempts,"
            " anchor) VALUES ('tea', 'demo', 'daily', ?, 86400.0, ?, 'r', 2, ?)",
            (due.timestamp(), json.dumps({"n": 1}), (due - timedelta(days=1)).timestamp()))
        await db.execute("INSERT INTO hearth_jobs (community, plugin, key, due) VALUES"
                         " ('tea', 'demo', 'once', ?)", (T0.timestamp(),))
        await db.migrate(Store(db, "hearth"), CORE_MIGRATIONS)
        scheduler = Scheduler(db, None, None, None)  # type: ignore[arg-type]
        once, daily = await scheduler.jobs("tea", "demo")  # by due time
        assert (once.key, once.due, once.every) == ("once", T0, None)
        assert (daily.key, daily.due, daily.every, daily.data, daily.attempt) == (
            "daily", due, timedelta(days=1), {"n": 1}, 3)
        row = await db.fetchrow("SELECT anchor_ms, rule FROM hearth_jobs WHERE key = 'daily'")
        assert row is not None and from_ms(row["anchor_ms"]) == due - timedelta(days=1)
        new = await db.fetchval("INSERT INTO hearth_jobs (community, plugin, key, due_ms) VALUES"
                                " ('tea', 'demo', 'new', 0) RETURNING id")
        assert new == 3  # ids continue after the copied ones
    finally:
        await db.close()


ALL_PLUGINS = """
communities:
  tea:
    timezone: Asia/Shanghai
    channels: {general: {}, intro: {}, mods: {}}
    plugins:
      welcome: {channel: general}
      ad_window: {windows: [{days: [fri], from: "20:00", to: "22:00"}]}
      flash: {}
      guard: {}
      pulse: {health: {channel: mods}}
      breakout: {}
      leaders: {}
"""


@pytest.mark.asyncio
async def test_every_migration_of_the_core_and_the_built_in_plugins_runs(storage_url: str) -> None:
    bot = await TestBot.create(ALL_PLUGINS, storage=storage_url, members=[{"id": "ann"}])
    try:
        assert bot.app is not None and bot.app.db is not None
        rows = await bot.app.db.fetch("SELECT namespace, version FROM hearth_schema")
        versions = {r[0]: r[1] for r in rows}
        for name in BUILTIN_PLUGINS:
            assert versions[name] == len(bot.app.plugins.migrations[name]), name
        assert versions["hearth"] == len(CORE_MIGRATIONS)
        # every plugin table has the community column the scoped store fills, and no float time
        db = bot.app.db
        for table in await db.tables():
            if any(table.startswith(f"{name}_") for name in BUILTIN_PLUGINS):
                columns = await _columns(db, table)
                assert columns.get("community") == "text", table
                assert not [c for c, kind in columns.items() if kind in ("real", "double precision")], table
        await bot.join("bo")
        await bot.restart()  # and nothing is migrated twice
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_an_unreachable_postgresql_is_one_line_without_the_password(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as caught:
        await Database.open(f"postgresql://hearth:secret@/hearth?host={tmp_path}/nowhere")
    message = str(caught.value)
    assert message.startswith("cannot connect to the database postgresql://hearth:***@")
    assert "secret" not in message and "\n" not in message


# --------------------------------------------------------------------------- the command line


CONFIG = """
storage: {url}
communities:
  tea:
    timezone: Asia/Shanghai
    channels: {{general: {{}}}}
    plugins:
      welcome: {{channel: general}}
      ad_window: {{windows: [{{days: [fri], from: "20:00", to: "22:00"}}]}}
"""


def test_check_connect_reports_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "hearth.yaml"
    config.write_text(CONFIG.format(url=f"postgresql://hearth@/hearth?host={tmp_path}/nowhere"))
    plain = CliRunner().invoke(main, ["check", str(config)])
    assert plain.exit_code == 0, plain.output  # connects to nothing
    result = CliRunner().invoke(main, ["check", "--connect", str(config)])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("hearth: error: cannot connect to the database postgresql://hearth@")


def test_check_connect_opens_the_database(tmp_path: Path, postgres_server: str) -> None:
    config = tmp_path / "hearth.yaml"
    config.write_text(CONFIG.format(url=json.dumps(postgres_server)))
    result = CliRunner().invoke(main, ["check", "--connect", str(config)])
    assert result.exit_code == 0, result.output
    assert "is reachable" in result.output


@pytest.mark.asyncio
async def test_migrate_storage_copies_an_sqlite_database_to_postgresql(
        tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(copy, "BATCH", 1)  # every table of more than one row read in batches
    source = tmp_path / "hearth.db"
    config = tmp_path / "hearth.yaml"
    config.write_text(CONFIG.format(url=f"sqlite:///{source}"))
    bot = await TestBot.create(config, storage=source, start="2026-11-20T19:00:00+08:00",
                               members=[{"id": "lee", "role": "leader"}, {"id": "olivia", "role": "owner"}])
    await bot.join("alice")
    await bot.say("olivia", "general", "!adpass @lee")
    await bot.say("alice", "general", "hello, I am Alice")
    await bot.close()
    before = await _snapshot(f"sqlite:///{source}")

    result = await asyncio.to_thread(CliRunner().invoke, main, ["migrate-storage", str(source), postgres_url])
    assert result.exit_code == 0, result.output
    assert "tables" in result.output and "rows" in result.output
    assert await _snapshot(postgres_url) == before
    # a second copy into a database that is no longer empty is refused
    again = await asyncio.to_thread(CliRunner().invoke, main, ["migrate-storage", str(source), postgres_url])
    assert again.exit_code == 1 and "copy only into an empty database" in again.output

    # Hearth continues on PostgreSQL where it stopped on SQLite
    bot = await TestBot.create(config, storage=postgres_url, start="2026-11-20T20:00:00+08:00",
                               members=[{"id": "lee", "role": "leader"}, {"id": "alice", "role": "newcomer"}])
    try:
        assert bot.app is not None
        newcomers = Newcomers(bot.app.contexts["tea"]["welcome"].store)
        alice = await newcomers.get("testing", "alice")
        assert alice is not None and alice.pending
        await bot.dm("alice", "!agree")
        alice = await newcomers.get("testing", "alice")
        assert alice is not None and alice.status == "accepted"
        await bot.join("zoe")  # new rows get new ids after the copied ones
    finally:
        await bot.close()


async def _columns(db: Database, table: str) -> dict[str, str]:
    """Each column of ``table`` and its declared type, lower case."""
    if db.dialect == "sqlite":
        rows = await db.fetch(f"PRAGMA table_info({table})")
        return {str(r[1]): str(r[2]).lower() for r in rows}
    rows = await db.fetch("SELECT column_name, data_type FROM information_schema.columns"
                          " WHERE table_schema = current_schema() AND table_name = ?", (table,))
    return {str(r[0]): str(r[1]) for r in rows}


async def _snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    db = await Database.open(url)
    try:
        out = {}
        for table in await db.tables():
            rows = [tuple(r) for r in await db.fetch(f"SELECT * FROM {table}")]
            out[table] = sorted(rows, key=repr)
        return out
    finally:
        await db.close()


@pytest.mark.asyncio
async def test_credentials_come_from_the_environment(postgres_server: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A URL with no user (a unix socket here) takes PGUSER and the rest from the environment."""
    socket = parse_qs(urlsplit(postgres_server).query)["host"][0]
    monkeypatch.setenv("PGUSER", "postgres")
    monkeypatch.setenv("PGDATABASE", "postgres")
    db = await Database.open(f"postgresql://?host={socket}")
    try:
        assert await db.fetchval("SELECT current_user") == "postgres"
    finally:
        await db.close()


@pytest.mark.asyncio
async def test_a_plugins_jobs_are_listed_by_their_literal_prefix(storage_url: str) -> None:
    """``ctx.jobs(prefix)``: _ and % in the prefix are characters, and case counts."""
    db = await open_db(storage_url)
    try:
        await db.migrate(Store(db, "hearth"), CORE_MIGRATIONS)
        scheduler = Scheduler(db, None, None, None)  # type: ignore[arg-type]
        for n, key in enumerate(["a_1", "ab1", "A_2", "50%off", "50xoff", "x\\y"]):
            await scheduler.schedule("tea", "demo", key, T0 + timedelta(minutes=n))
        assert [j.key for j in await scheduler.jobs("tea", "demo", "a_")] == ["a_1"]
        assert [j.key for j in await scheduler.jobs("tea", "demo", "50%")] == ["50%off"]
        assert [j.key for j in await scheduler.jobs("tea", "demo", "x\\")] == ["x\\y"]
        assert len(await scheduler.jobs("tea", "demo")) == 6
    finally:
        await db.close()
