"""The embedded backend: one SQLite file through aiosqlite (WAL, foreign keys, busy timeout).

Statements run one at a time on one connection; a transaction holds it (``BEGIN
IMMEDIATE`` takes the write lock at once, which is also the schema lock). Besides
the failures every backend sorts, a file deleted or replaced while the bot runs
is fatal (:meth:`SqliteDatabase.check`).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from hearth.errors import StorageError, StorageUnavailable
from hearth.storage.base import Database, Row, Verdict

_in_tx: contextvars.ContextVar[SqliteDatabase | None] = contextvars.ContextVar("_in_tx", default=None)

#: SQLite result codes (primary) that waiting may mend: busy, locked, disk full, I/O error
_TRANSIENT = {5: "is locked by another process", 6: "is locked", 13: "is on a full disk",
              10: "had an I/O error"}
#: SQLite result codes no retry mends
_FATAL = {8: "is read-only", 11: "is corrupt", 14: "cannot be opened",
          26: "is not a SQLite database (corrupt, or another kind of file)"}
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "WITH")


def _code(exc: BaseException) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def _words(exc: BaseException) -> str:
    code = _code(exc)
    words = _FATAL.get(code) or _TRANSIENT.get(code)
    return f"{words} ({exc})" if words else str(exc)


class SqliteDatabase(Database):
    """One SQLite database file (``sqlite:///path``)."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, url: str, path: str,
                 identity: tuple[int, int] | None, created: bool) -> None:
        super().__init__(url, path, created)
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path
        self._identity = identity

    @classmethod
    async def connect(cls, url: str) -> SqliteDatabase:
        """Open ``sqlite:///path`` (``sqlite:///:memory:`` for a throwaway database)."""
        path = url.removeprefix("sqlite:///")
        memory = path == ":memory:"
        created = True if memory else _prepare_file(path)
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open {path}: it {_words(exc)}") from exc
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            await conn.execute("PRAGMA synchronous=NORMAL")
            # LIKE as PostgreSQL has it (case-sensitive), so a pattern matches the same rows on both.
            await conn.execute("PRAGMA case_sensitive_like=ON")
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS hearth_schema "
                "(namespace TEXT PRIMARY KEY, version INTEGER NOT NULL)"
            )
            # Read every schema page once: a truncated or damaged file fails here, not later.
            await conn.execute_fetchall("SELECT count(*) FROM sqlite_master")
        except sqlite3.Error as exc:
            await conn.close()
            raise StorageError(f"cannot open {path}: it {_words(exc)}") from exc
        identity = None if memory else _identity(path)
        return cls(conn, url, path, identity, created)

    async def close(self) -> None:
        await self._conn.close()

    # ------------------------------------------------------------------ failures
    def _verdict(self, exc: BaseException) -> Verdict:
        if not isinstance(exc, sqlite3.Error):
            return None
        code = _code(exc)
        return "fatal" if code in _FATAL else "transient" if code in _TRANSIENT else None

    def _problem(self, exc: BaseException) -> str:
        return _words(exc)

    def _in_transaction(self) -> bool:
        return _in_tx.get() is self

    def check(self) -> None:
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

    # ------------------------------------------------------------------ statements
    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        if _in_tx.get() is self:
            yield self
            return
        async with self._lock:
            try:
                await self._retrying("write", "BEGIN IMMEDIATE",
                                     lambda: self._conn.execute("BEGIN IMMEDIATE"))
            except asyncio.CancelledError:
                # The BEGIN may have run (or still run) on the connection's thread: end it
                # before the lock goes, or the next transaction finds one open.
                await asyncio.shield(self._roll_back())
                raise
            token = _in_tx.set(self)
            try:
                try:
                    yield self
                except BaseException:
                    await asyncio.shield(self._roll_back())
                    raise
                await self._retrying("write", "COMMIT", lambda: self._conn.execute("COMMIT"))
            finally:
                _in_tx.reset(token)

    async def _roll_back(self) -> None:
        """End the open transaction, if there is one (queued after any statement still running)."""
        try:
            await self._conn.execute("ROLLBACK")
        except sqlite3.OperationalError:
            pass  # none was open: the BEGIN never ran

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if _in_tx.get() is self:
            yield
        else:
            async with self._lock:
                yield

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._turn():
            cur = await self._retrying("write", sql, lambda: self._conn.execute(sql, params))
            return cur.rowcount

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        async with self._turn():
            await self._retrying("write", sql, lambda: self._conn.executemany(sql, rows))

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        kind = "write" if sql.lstrip()[:7].upper().startswith(_WRITES) else "read"
        async with self._turn():
            rows = await self._retrying(
                kind, sql, lambda: self._conn.execute_fetchall(sql, params)  # one thread hop
            )
            return list(rows)

    async def tables(self) -> list[str]:
        rows = await self.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            " ORDER BY name"
        )
        return [str(r[0]) for r in rows]

    async def continue_ids(self, table: str) -> None:
        """Row ids continue after the largest by themselves."""

    async def _lock_schema(self) -> None:
        """``BEGIN IMMEDIATE`` already holds the only write lock."""


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
