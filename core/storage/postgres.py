"""The shared backend: PostgreSQL through an asyncpg connection pool.

The URL is any asyncpg accepts (``postgresql://user@host:5432/db``, a unix
socket as ``postgresql:///db?host=/run/postgresql``); what it leaves out comes
from the environment as libpq has it (``PGHOST``, ``PGUSER``, ``PGPASSWORD``,
``PGPASSFILE`` …), so no password needs to be in the config. Other query
parameters are server settings (``?search_path=hearth``).

Commits do not wait for the server's disk (``synchronous_commit=off``, unless
the URL sets it): as with SQLite's WAL mode, a crash of the *server's machine*
may lose the last fraction of a second of commits, never consistency, and
nothing is lost when Hearth itself stops or crashes. Waiting for the disk on
every statement would cost tenfold throughput.

Statements outside a transaction run one at a time on one connection of the
pool (a pool round trip for each would double their cost); a transaction
holds another connection of its own until it ends. Migrations take a
transaction-level advisory lock, so processes starting together migrate once.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from hearth.errors import StorageError
from hearth.storage.base import Database, Row, Verdict
from hearth.storage.sql import to_postgres

log = logging.getLogger(__name__)

#: the advisory lock key every Hearth process migrates under ("hearth" in ASCII)
SCHEMA_LOCK = 0x686561727468
_POOL_SIZE = 10
#: server settings of Hearth's connections, unless the URL gives them
_SETTINGS = {"synchronous_commit": "off"}
_CONNECT_TIMEOUT = 10.0

_held: contextvars.ContextVar[tuple[PostgresDatabase, Any, Any] | None] = contextvars.ContextVar(
    "_held", default=None)


def redact(url: str) -> str:
    """``url`` without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _asyncpg() -> Any:
    try:
        import asyncpg
    except ImportError as exc:  # pragma: no cover - asyncpg is a dependency
        raise StorageError("the PostgreSQL backend needs asyncpg: pip install asyncpg") from exc
    return asyncpg


class PostgresDatabase(Database):
    """A PostgreSQL database (``postgresql://…``) shared by every process using it."""

    dialect = "postgresql"

    def __init__(self, pool: Any, url: str, created: bool) -> None:
        super().__init__(url, redact(url), created)
        self._pool = pool
        self._solo: Any = None
        self._solo_lock = asyncio.Lock()
        #: the connection kept for LISTEN, outside the pool (made at the first listen)
        self._listener: Any = None

    @classmethod
    async def connect(cls, url: str) -> PostgresDatabase:
        """Connect a pool; one line naming the server and the reason when it cannot."""
        asyncpg = _asyncpg()
        given = parse_qs(urlsplit(url).query)
        settings = {key: value for key, value in _SETTINGS.items() if key not in given}
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=_POOL_SIZE,
                                             timeout=_CONNECT_TIMEOUT, reset=_keep,
                                             server_settings=settings or None)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError,
                ValueError) as exc:
            raise StorageError(f"cannot connect to the database {redact(url)}: {_reason(exc)}") from exc
        try:
            async with pool.acquire() as conn:
                created = await conn.fetchval("SELECT to_regclass('hearth_schema') IS NULL")
                await conn.execute("SELECT pg_advisory_lock($1)", SCHEMA_LOCK)
                try:
                    await conn.execute(
                        "CREATE TABLE IF NOT EXISTS hearth_schema "
                        "(namespace TEXT PRIMARY KEY, version INTEGER NOT NULL)")
                finally:
                    await conn.execute("SELECT pg_advisory_unlock($1)", SCHEMA_LOCK)
        except asyncpg.PostgresError as exc:
            await pool.close()
            raise StorageError(f"cannot use the database {redact(url)}: {_reason(exc)}") from exc
        return cls(pool, url, bool(created))

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        if self._solo is not None:
            await self._pool.release(self._solo)
            self._solo = None
        await self._pool.close()

    # ------------------------------------------------------------------ failures
    def _verdict(self, exc: BaseException) -> Verdict:
        asyncpg = _asyncpg()
        if isinstance(exc, (OSError, asyncpg.ConnectionDoesNotExistError,
                            asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError,
                            asyncpg.DeadlockDetectedError, asyncpg.SerializationError)):
            return "transient"
        if isinstance(exc, (asyncpg.InvalidCatalogNameError, asyncpg.InvalidAuthorizationSpecificationError,
                            asyncpg.InvalidPasswordError, asyncpg.DiskFullError)):
            return "fatal"
        return None

    def _problem(self, exc: BaseException) -> str:
        return _reason(exc)

    def _in_transaction(self) -> bool:
        return self._held() is not None

    def _held(self) -> Any:
        """The connection of the transaction the current task is in, if any. A task started
        inside a transaction inherits the context but not the transaction: its connection
        goes back to the pool when the transaction ends."""
        held = _held.get()
        if held is None or held[0] is not self or held[2] is not asyncio.current_task():
            return None
        return held[1]

    # ------------------------------------------------------------------ statements
    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        if self._in_transaction():
            yield self
            return
        self.check()
        try:
            conn = await self._pool.acquire()
        except Exception as exc:
            if self._verdict(exc) is None and not type(exc).__module__.startswith("asyncpg"):
                raise
            raise StorageError(f"cannot reach the database {self.where}: {_reason(exc)}") from exc
        try:
            async with conn.transaction():
                token = _held.set((self, conn, asyncio.current_task()))
                try:
                    yield self
                finally:
                    _held.reset(token)
        finally:
            await self._pool.release(conn)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        held = self._held()
        if held is not None:
            yield held
            return
        async with self._solo_lock:
            if self._solo is None or self._solo.is_closed():
                if self._solo is not None:
                    await self._pool.release(self._solo)
                self._solo = await self._pool.acquire()
            yield self._solo

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        query = to_postgres(sql)

        async def run() -> int:
            async with self._connection() as conn:
                status = await conn.execute(query, *params)
            last = status.rsplit(" ", 1)[-1]
            return int(last) if last.isdigit() else 0

        return await self._retrying("write", sql, run)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        query = to_postgres(sql)

        async def run() -> None:
            async with self._connection() as conn:
                await conn.executemany(query, rows)

        await self._retrying("write", sql, run)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        query = to_postgres(sql)

        async def run() -> list[Row]:
            async with self._connection() as conn:
                return list(await conn.fetch(query, *params))

        return await self._retrying("read", sql, run)

    async def notify(self, channel: str) -> None:
        await self.execute("SELECT pg_notify(?, '')", (channel,))

    async def listen(self, channel: str, wake: Callable[[], None]) -> None:
        if self._listener is None:
            self._listener = await _asyncpg().connect(self.url)
        await self._listener.add_listener(channel, lambda *_: wake())

    async def tables(self) -> list[str]:
        rows = await self.fetch(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")
        return [str(r[0]) for r in rows]

    async def continue_ids(self, table: str) -> None:
        await self.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false)"
            f" FROM {table}")

    async def _lock_schema(self) -> None:
        await self.execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK,))


async def _keep(conn: Any) -> None:
    """A connection back in the pool keeps its state: Hearth leaves none behind (its
    transactions end, its schema locks are transaction-level), and resetting costs a round trip."""


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
