"""SQL storage: one small wrapper over aiosqlite, per-plugin namespaces, migrations.

SQL is written to run on SQLite and PostgreSQL alike: ``?`` placeholders (a
PostgreSQL backend rewrites them to ``$n``), portable types (TEXT, INTEGER,
BIGINT, REAL), ``INSERT … ON CONFLICT … DO UPDATE`` for upserts, and no
SQLite-only functions. Times are stored as UTC epoch seconds (REAL).

Failures are sorted at this boundary. Transient ones (the write lock held by
another process past the busy timeout, a full disk) are retried with backoff
for up to :attr:`Database.retry_for` seconds before a :class:`StorageError`
is raised; writes that keep failing for :attr:`Database.give_up_after`
seconds, and failures no retry can mend (a corrupt, read-only, deleted or
replaced database file), are *fatal*: the database reports them once through
``on_fatal`` (the app then stops with that one line) and raises
:class:`~hearth.errors.StorageUnavailable`.

Each plugin gets a :class:`Store` whose tables are prefixed with its name
(``store.table("codes")`` -> ``welcome_codes``) and whose schema is versioned:
its migrations are append-only ``async def upgrade_vN(store)`` functions, each
applied once, in order, in its own transaction.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from hearth.errors import StorageError, StorageUnavailable

log = logging.getLogger(__name__)

Row = sqlite3.Row
Migration = Callable[["Store"], Awaitable[None]]
T = TypeVar("T")

_in_tx: contextvars.ContextVar[Database | None] = contextvars.ContextVar("_in_tx", default=None)

#: SQLite result codes (primary) that waiting may mend: busy, locked, disk full, I/O error
_TRANSIENT = {5: "is locked by another process", 6: "is locked", 13: "is on a full disk",
              10: "had an I/O error"}
#: SQLite result codes no retry mends
_FATAL = {8: "is read-only", 11: "is corrupt", 14: "cannot be opened",
          26: "is not a SQLite database (corrupt, or another kind of file)"}


def _code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def _problem(exc: sqlite3.Error) -> str:
    """What went wrong, in words, for a one-line error."""
    code = _code(exc)
    words = _FATAL.get(code) or _TRANSIENT.get(code)
    return f"{words} ({exc})" if words else str(exc)


class Database:
    """One SQLite database (WAL, foreign keys, busy timeout) shared by the app.

    ``created`` is True when the file did not exist (or was empty) before it
    was opened. ``on_fatal`` (set by the app) is called once, with a one-line
    reason, when the database cannot be used any more.
    """

    #: how long one operation retries transient failures before it raises
    retry_for = 30.0
    #: how long writes may keep failing (each after its retries) before it is fatal
    give_up_after = 120.0
    _first_delay = 0.05
    _max_delay = 2.0

    def __init__(self, conn: aiosqlite.Connection, url: str, path: str,
                 identity: tuple[int, int] | None, created: bool) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.url = url
        self.path = path
        self.created = created
        self.on_fatal: Callable[[str], None] | None = None
        self._identity = identity
        self._failing_since: dict[str, float] = {}
        self._fatal: str | None = None
        # Injected by tests so that no test sleeps on the wall clock.
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._monotonic: Callable[[], float] = time.monotonic

    @classmethod
    async def open(cls, url: str) -> Database:
        """Open ``sqlite:///path`` (``sqlite:///:memory:`` for a throwaway database).

        Raises :class:`StorageError` with one line naming the file and the
        problem when it cannot be used (corrupt, not a database, read-only).
        """
        if url.startswith("postgresql://"):
            raise StorageError(
                "the PostgreSQL backend is not available in this version; use sqlite:///FILE"
            )
        if not url.startswith("sqlite:///"):
            raise StorageError(f"unsupported storage URL {url!r}")
        path = url.removeprefix("sqlite:///")
        memory = path == ":memory:"
        created = True if memory else _prepare_file(path)
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open {path}: it {_problem(exc)}") from exc
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS hearth_schema "
                "(namespace TEXT PRIMARY KEY, version INTEGER NOT NULL)"
            )
            # Read every schema page once: a truncated or damaged file fails here, not later.
            await conn.execute_fetchall("SELECT count(*) FROM sqlite_master")
        except sqlite3.Error as exc:
            await conn.close()
            raise StorageError(f"cannot open {path}: it {_problem(exc)}") from exc
        identity = None if memory else _identity(path)
        return cls(conn, url, path, identity, created)

    async def close(self) -> None:
        await self._conn.close()

    # ------------------------------------------------------------------ failures
    def _die(self, reason: str) -> StorageUnavailable:
        """Report a fatal problem once; the error to raise."""
        if self._fatal is None:
            self._fatal = reason
            if self.on_fatal is not None:
                self.on_fatal(reason)
            else:
                log.critical("%s", reason)
        return StorageUnavailable(self._fatal)

    def check_file(self) -> None:
        """Raise (fatal) when the database file was deleted or replaced since it was opened."""
        if self._fatal is not None:
            raise StorageUnavailable(self._fatal)
        if self._identity is None:
            return
        now = _identity(self.path)
        if now is None:
            raise self._die(
                f"the database {self.path} was deleted while Hearth was running; stopping so that "
                "nothing more is lost (restore it from a backup, or start again to begin afresh)"
            )
        if now != self._identity:
            raise self._die(
                f"the database {self.path} was replaced by another file while Hearth was running; "
                "stopping (start again to use the new file)"
            )

    async def _retrying(self, kind: str, sql: str, run: Callable[[], Awaitable[T]]) -> T:
        """Run ``run`` (one statement), retrying transient failures with backoff."""
        if kind == "write":
            self.check_file()
        elif self._fatal is not None:
            raise StorageUnavailable(self._fatal)
        delay, start = self._first_delay, self._monotonic()
        while True:
            try:
                result = await run()
            except sqlite3.Error as exc:
                code = _code(exc)
                if code in _FATAL:
                    raise self._die(f"the database {self.path} {_problem(exc)}") from exc
                retry = code in _TRANSIENT and _in_tx.get() is not self
                if retry and self._monotonic() - start < self.retry_for:
                    log.warning("storage: %s; retrying in %.2fs", _problem(exc), delay)
                    await self._sleep(delay)
                    delay = min(delay * 2, self._max_delay)
                    continue
                self._failed(kind, exc)
                raise StorageError(f"{exc} in: {sql}") from exc
            self._failing_since.pop(kind, None)
            return result

    def _failed(self, kind: str, exc: sqlite3.Error) -> None:
        since = self._failing_since.setdefault(kind, self._monotonic())
        if self._monotonic() - since >= self.give_up_after:
            raise self._die(
                f"the database {self.path} {_problem(exc)}, and {kind}s have kept failing for "
                f"{self._monotonic() - since:.0f}s"
            ) from exc

    # ------------------------------------------------------------------ statements
    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """A transaction (taking the write lock at once); nested calls join the outer one."""
        if _in_tx.get() is self:
            yield self
            return
        async with self._lock:
            await self._retrying("write", "BEGIN IMMEDIATE",
                                 lambda: self._conn.execute("BEGIN IMMEDIATE"))
            token = _in_tx.set(self)
            try:
                try:
                    yield self
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                await self._retrying("write", "COMMIT", lambda: self._conn.execute("COMMIT"))
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
            cur = await self._retrying("write", sql, lambda: self._conn.execute(sql, params))
            return cur.rowcount

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT; return the new row's id."""
        async with self._turn():
            cur = await self._retrying("write", sql, lambda: self._conn.execute(sql, params))
            return int(cur.lastrowid or 0)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._turn():
            rows = await self._retrying(
                "read", sql, lambda: self._conn.execute_fetchall(sql, params)  # one thread hop
            )
            return list(rows)

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


def _prepare_file(path: str) -> bool:
    """Check (and make the folder for) a database file; True when it is new or empty."""
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocking = next((p for p in Path(path).parents if p.exists() and not p.is_dir()), None)
        reason = f"{blocking} is a file, not a folder" if blocking is not None else exc.strerror or exc
        raise StorageError(f"cannot open {path}: {reason}") from exc
    created = not os.path.exists(path) or os.path.getsize(path) == 0
    if os.path.isdir(path):
        raise StorageError(f"cannot open {path}: it is a folder, not a file")
    if not created and not os.access(path, os.R_OK | os.W_OK):
        raise StorageError(f"cannot open {path}: it is read-only (Hearth needs to write to it)")
    return created


def _identity(path: str) -> tuple[int, int] | None:
    """The file's (device, inode), or None when it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


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


async def _core_v2(store: Store) -> None:
    # rule: a declared recurrence (Scheduler.ensure); attempts: failed tries so far;
    # anchor: the regular run a retried recurring job returns to.
    await store.execute("ALTER TABLE hearth_jobs ADD COLUMN rule TEXT")
    await store.execute("ALTER TABLE hearth_jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0")
    await store.execute("ALTER TABLE hearth_jobs ADD COLUMN anchor REAL")


CORE_MIGRATIONS: tuple[Migration, ...] = (_core_v1, _core_v2)
