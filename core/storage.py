"""SQL storage: one small wrapper over aiosqlite, per-plugin namespaces, migrations.

SQL is written to run on SQLite and PostgreSQL alike: ``?`` placeholders (a
PostgreSQL backend rewrites them to ``$n``), portable types (TEXT, INTEGER,
BIGINT, REAL), ``INSERT … ON CONFLICT … DO UPDATE`` for upserts, and no
SQLite-only functions. Times are stored as UTC epoch seconds (REAL).

Each plugin gets a :class:`Store` whose tables are prefixed with its name
(``store.table("codes")`` -> ``welcome_codes``) and whose schema is versioned:
its migrations are append-only ``async def upgrade_vN(store)`` functions, each
applied once, in order, in its own transaction.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from hearth.errors import StorageError

log = logging.getLogger(__name__)

Row = sqlite3.Row
Migration = Callable[["Store"], Awaitable[None]]

_in_tx: contextvars.ContextVar[Database | None] = contextvars.ContextVar("_in_tx", default=None)


class Database:
    """One SQLite database (WAL, foreign keys, busy timeout) shared by the app."""

    def __init__(self, conn: aiosqlite.Connection, url: str) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.url = url

    @classmethod
    async def open(cls, url: str) -> Database:
        """Open ``sqlite:///path`` (``sqlite:///:memory:`` for a throwaway database)."""
        if url.startswith("postgresql://"):
            raise StorageError(
                "the PostgreSQL backend is not available in this version; use sqlite:///FILE"
            )
        if not url.startswith("sqlite:///"):
            raise StorageError(f"unsupported storage URL {url!r}")
        path = url.removeprefix("sqlite:///")
        try:
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(path, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            blocking = next((p for p in Path(path).parents if p.exists() and not p.is_dir()), None)
            reason = (f"{blocking} is a file, not a folder" if blocking is not None
                      else exc.strerror if isinstance(exc, OSError) and exc.strerror else exc)
            raise StorageError(f"cannot open {path}: {reason}") from exc
        conn.row_factory = sqlite3.Row
        db = cls(conn, url)
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await db.execute(
            "CREATE TABLE IF NOT EXISTS hearth_schema "
            "(namespace TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )
        return db

    async def close(self) -> None:
        await self._conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """A transaction; nested calls join the outer one."""
        if _in_tx.get() is self:
            yield self
            return
        async with self._lock:
            token = _in_tx.set(self)
            try:
                await self._conn.execute("BEGIN")
                try:
                    yield self
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                await self._conn.execute("COMMIT")
            finally:
                _in_tx.reset(token)

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if _in_tx.get() is self:
            yield
        else:
            async with self._lock:
                yield

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        async with self._turn():
            try:
                cur = await self._conn.execute(sql, params)
            except sqlite3.Error as exc:
                raise StorageError(f"{exc} in: {sql}") from exc
            return cur.rowcount

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT; return the new row's id."""
        async with self._turn():
            try:
                cur = await self._conn.execute(sql, params)
            except sqlite3.Error as exc:
                raise StorageError(f"{exc} in: {sql}") from exc
            return int(cur.lastrowid or 0)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._turn():
            try:
                return list(await self._conn.execute_fetchall(sql, params))  # one thread hop
            except sqlite3.Error as exc:
                raise StorageError(f"{exc} in: {sql}") from exc

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def version(self, namespace: str) -> int:
        row = await self.fetchone(
            "SELECT version FROM hearth_schema WHERE namespace = ?", (namespace,)
        )
        return int(row["version"]) if row else 0

    async def migrate(self, store: Store, migrations: Sequence[Migration]) -> int:
        """Apply ``store``'s pending migrations in order; return the version reached."""
        current = await self.version(store.namespace)
        if current > len(migrations):
            raise StorageError(
                f"the database's schema for {store.namespace!r} is at version {current}, "
                f"newer than this code knows ({len(migrations)}): upgrade Hearth"
            )
        for number, upgrade in enumerate(migrations[current:], start=current + 1):
            async with self.transaction():
                await upgrade(store)
                await self.execute(
                    "INSERT INTO hearth_schema (namespace, version) VALUES (?, ?) "
                    "ON CONFLICT (namespace) DO UPDATE SET version = excluded.version",
                    (store.namespace, number),
                )
            log.debug("migrated %s to version %d", store.namespace, number)
        return len(migrations)


class Store:
    """A namespaced view of the database for one plugin (or the core)."""

    def __init__(self, db: Database, namespace: str) -> None:
        self.db = db
        self.namespace = namespace

    def table(self, name: str) -> str:
        """The real name of this namespace's table ``name``."""
        return f"{self.namespace}_{name}"

    def transaction(self) -> Any:
        return self.db.transaction()

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return await self.db.execute(sql, params)

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        return await self.db.insert(sql, params)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self.db.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return await self.db.fetchone(sql, params)


class KeyValueStore:
    """Small persistent key/value state in one namespace (adapters use it)."""

    def __init__(self, db: Database, namespace: str) -> None:
        self._db = db
        self._ns = namespace

    async def get(self, key: str) -> str | None:
        row = await self._db.fetchone(
            "SELECT value FROM hearth_kv WHERE namespace = ? AND key = ?", (self._ns, key)
        )
        return None if row is None else str(row["value"])

    async def set(self, key: str, value: str) -> None:
        await self._db.execute(
            "INSERT INTO hearth_kv (namespace, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
            (self._ns, key, value),
        )


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


CORE_MIGRATIONS: tuple[Migration, ...] = (_core_v1,)
