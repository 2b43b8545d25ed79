"""The core's own tables (jobs, key/value state) and a portable table rebuild for migrations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hearth.storage.base import Migration
from hearth.storage.stores import Store


def ms(column: str) -> str:
    """SQL turning an epoch-seconds ``column`` into integer epoch milliseconds (NULL stays NULL)."""
    return f"CAST(ROUND({column} * 1000) AS BIGINT)"


async def rebuild(store: Store, table: str, columns: str, copy: Mapping[str, str], *,
                  indexes: Sequence[str] = (), options: str = "") -> None:
    """Recreate the table named ``table`` (its real name) as ``columns`` (DDL), keeping its rows.

    ``copy`` maps each new column to an SQL expression over the old row
    (``{"at_ms": ms("at"), "kind": "kind"}``); ``indexes`` are the CREATE INDEX
    statements to make afterwards; ``options`` follow the column list (SQLite's
    ``WITHOUT ROWID``). Portable: SQLite cannot change a column's
    type in place, so both backends copy. An ``id`` column copied keeps its
    numbers, and new ids continue after them.
    """
    old = f"{table}_old"
    await store.execute(f"ALTER TABLE {table} RENAME TO {old}")
    await store.execute(f"CREATE TABLE {table} ({columns}){' ' + options if options else ''}")
    await store.execute(
        f"INSERT INTO {table} ({', '.join(copy)}) SELECT {', '.join(copy.values())} FROM {old}")
    await store.execute(f"DROP TABLE {old}")
    for ddl in indexes:
        await store.execute(ddl)
    if "id" in copy:
        await store.db.continue_ids(table)


async def _core_v1(store: Store) -> None:
    await store.execute(
        "CREATE TABLE hearth_jobs ("
        " id INTEGER PRIMARY KEY,"
        " community TEXT NOT NULL, plugin TEXT NOT NULL, key TEXT NOT NULL,"
        " due REAL NOT NULL, every_seconds REAL, data TEXT NOT NULL DEFAULT '{}',"
        " UNIQUE (community, plugin, key))"
    )
    await store.execute("CREATE INDEX hearth_jobs_due ON hearth_jobs (due)")
    await store.execute(
        "CREATE TABLE hearth_kv (namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
        " PRIMARY KEY (namespace, key))"
    )


async def _core_v2(store: Store) -> None:
    # rule: a declared recurrence (Scheduler.ensure); attempts: failed tries so far;
    # anchor: the regular run a retried recurring job returns to.
    await store.execute("ALTER TABLE hearth_jobs ADD COLUMN rule TEXT")
    await store.execute("ALTER TABLE hearth_jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0")
    await store.execute("ALTER TABLE hearth_jobs ADD COLUMN anchor REAL")


async def _core_v3(store: Store) -> None:
    """Times as integer epoch milliseconds (portable: no float timestamps)."""
    await rebuild(
        store, "hearth_jobs",
        "id INTEGER PRIMARY KEY, community TEXT NOT NULL, plugin TEXT NOT NULL, key TEXT NOT NULL,"
        " due_ms BIGINT NOT NULL, every_ms BIGINT, data TEXT NOT NULL DEFAULT '{}', rule TEXT,"
        " attempts INTEGER NOT NULL DEFAULT 0, anchor_ms BIGINT, UNIQUE (community, plugin, key)",
        {"id": "id", "community": "community", "plugin": "plugin", "key": "key",
         "due_ms": ms("due"), "every_ms": ms("every_seconds"), "data": "data", "rule": "rule",
         "attempts": "attempts", "anchor_ms": ms("anchor")},
        indexes=["CREATE INDEX hearth_jobs_due ON hearth_jobs (due_ms)"],
    )


async def _core_v4(store: Store) -> None:
    """Several processes: a job's run number (its idempotency key), processes and their leases."""
    await store.execute("ALTER TABLE hearth_jobs ADD COLUMN run INTEGER NOT NULL DEFAULT 0")
    await store.execute(
        "CREATE TABLE hearth_processes (name TEXT PRIMARY KEY, host TEXT NOT NULL,"
        " pid INTEGER NOT NULL, started_ms BIGINT NOT NULL, seen_ms BIGINT NOT NULL)")
    await store.execute(
        "CREATE TABLE hearth_leases (community TEXT PRIMARY KEY, holder TEXT NOT NULL,"
        " since_ms BIGINT NOT NULL, renewed_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL)")


async def _core_v5(store: Store) -> None:
    """Several processes: events stored for the owner of their community (:mod:`hearth.inbox`),
    and what was done at most once (:mod:`hearth.once`)."""
    await store.execute(
        "CREATE TABLE hearth_inbox (id INTEGER PRIMARY KEY, community TEXT NOT NULL,"
        " event TEXT NOT NULL)")
    await store.execute("CREATE INDEX hearth_inbox_community ON hearth_inbox (community, id)")
    await store.execute(
        "CREATE TABLE hearth_once (scope TEXT NOT NULL, key TEXT NOT NULL, at_ms BIGINT NOT NULL,"
        " PRIMARY KEY (scope, key))")
    await store.execute("CREATE INDEX hearth_once_at ON hearth_once (at_ms)")


async def _core_v6(store: Store) -> None:
    """Several processes: the answers of a command another process ran, for the process
    waiting for them (:mod:`hearth.answers`)."""
    await store.execute(
        "CREATE TABLE hearth_answers (request TEXT PRIMARY KEY, community TEXT NOT NULL,"
        " answers TEXT, expires_ms BIGINT NOT NULL)")


CORE_MIGRATIONS: tuple[Migration, ...] = (
    _core_v1, _core_v2, _core_v3, _core_v4, _core_v5, _core_v6)
