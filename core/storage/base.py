"""The database interface every backend implements, and what they share.

Statements take portable SQL (see :mod:`hearth.storage.sql`) with a sequence
of parameters. Rows are read by column name (``row["id"]``) or position, and
unpack as tuples.

Failures are sorted at this boundary. Transient ones (a lock held past the
busy timeout, a full disk, a lost connection) are retried with backoff for
up to :attr:`Database.retry_for` seconds before a :class:`StorageError` is
raised; writes that keep failing for :attr:`Database.give_up_after` seconds,
and failures no retry can mend (a corrupt, read-only, deleted or replaced
database file), are *fatal*: the database reports them once through
``on_fatal`` (the app then stops with that one line) and raises
:class:`~hearth.errors.StorageUnavailable`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from hearth.errors import StorageError, StorageUnavailable

if TYPE_CHECKING:
    from hearth.storage.stores import Store

log = logging.getLogger(__name__)

T = TypeVar("T")
Migration = Callable[["Store"], Awaitable[None]]
Verdict = Literal["transient", "fatal"] | None


class Row(Protocol):
    """One result row: ``row["column"]``, ``row[0]``, ``keys()``; it unpacks as a tuple."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...

    def keys(self) -> Any: ...


class Database(ABC):
    """One database shared by the app: SQLite (embedded) or PostgreSQL (a pool).

    ``created`` is True when it held no Hearth schema before it was opened.
    ``on_fatal`` (set by the app) is called once, with a one-line reason,
    when the database cannot be used any more. ``where`` names it in messages
    (a file, or a URL without its password).
    """

    #: "sqlite" or "postgresql"
    dialect: str
    #: how long one operation retries transient failures before it raises
    retry_for = 30.0
    #: how long writes may keep failing (each after its retries) before it is fatal
    give_up_after = 120.0
    _first_delay = 0.05
    _max_delay = 2.0

    def __init__(self, url: str, where: str, created: bool) -> None:
        self.url = url
        self.where = where
        self.created = created
        self.on_fatal: Callable[[str], None] | None = None
        self._failing_since: dict[str, float] = {}
        self._fatal: str | None = None
        # Injected by tests so that no test sleeps on the wall clock.
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._monotonic: Callable[[], float] = time.monotonic

    @staticmethod
    async def open(url: str) -> Database:
        """Open ``sqlite:///FILE`` or ``postgresql://…`` (any URL asyncpg accepts).

        Raises :class:`StorageError` with one line naming the database and the
        problem when it cannot be used (corrupt file, unreachable server …).
        """
        if url.startswith("sqlite:///"):
            from hearth.storage.sqlite import SqliteDatabase

            return await SqliteDatabase.connect(url)
        if url.startswith(("postgresql://", "postgres://")):
            from hearth.storage.postgres import PostgresDatabase

            return await PostgresDatabase.connect(url)
        raise StorageError(f"unsupported storage URL {url!r} (sqlite:///FILE or postgresql://…)")

    @abstractmethod
    async def close(self) -> None: ...

    # ------------------------------------------------------------------ statements
    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Database]:
        """A transaction (taking the write lock at once); nested calls join the outer one."""

    @abstractmethod
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each of ``rows``."""

    @abstractmethod
    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of a query (or of ``INSERT/UPDATE/DELETE … RETURNING``)."""

    async def fetchrow(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row, or None."""
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row (``INSERT … RETURNING id``), or None."""
        row = await self.fetchrow(sql, params)
        return None if row is None else row[0]

    @abstractmethod
    async def tables(self) -> list[str]:
        """The names of every table in the database (for copying it)."""

    @abstractmethod
    async def continue_ids(self, table: str) -> None:
        """After rows were written with explicit ids: new ids continue after the largest."""

    async def notify(self, channel: str) -> None:
        """Wake every other process listening on ``channel`` (PostgreSQL's ``NOTIFY``; with
        SQLite there is no other process, and nothing to do)."""
        return None

    async def listen(self, channel: str, wake: Callable[[], None]) -> None:
        """Call ``wake`` whenever another process notifies ``channel`` (until closed)."""
        return None

    def check(self) -> None:
        """Raise :class:`StorageUnavailable` when the database is known to be unusable."""
        if self._fatal is not None:
            raise StorageUnavailable(self._fatal)

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

    @abstractmethod
    def _verdict(self, exc: BaseException) -> Verdict:
        """Whether ``exc`` is this backend's transient or fatal failure (None: neither)."""

    @abstractmethod
    def _problem(self, exc: BaseException) -> str:
        """What went wrong, in words, for a one-line error."""

    @abstractmethod
    def _in_transaction(self) -> bool:
        """True inside this database's transaction (a statement there is not retried alone)."""

    async def _retrying(self, kind: str, sql: str, run: Callable[[], Awaitable[T]]) -> T:
        """Run ``run`` (one statement), retrying transient failures with backoff."""
        if kind == "write":
            self.check()
        elif self._fatal is not None:
            raise StorageUnavailable(self._fatal)
        delay, start = self._first_delay, self._monotonic()
        while True:
            try:
                result = await run()
            except (StorageError, asyncio.CancelledError):
                raise
            except Exception as exc:
                verdict = self._verdict(exc)
                if verdict is None and not _is_db_error(exc):
                    raise
                if verdict == "fatal":
                    raise self._die(f"the database {self.where} {self._problem(exc)}") from exc
                retry = verdict == "transient" and not self._in_transaction()
                if retry and self._monotonic() - start < self.retry_for:
                    log.warning("storage: %s; retrying in %.2fs", self._problem(exc), delay)
                    await self._sleep(delay)
                    delay = min(delay * 2, self._max_delay)
                    continue
                if verdict == "transient":
                    self._failed(kind, exc)
                raise StorageError(f"{exc} in: {sql}") from exc
            self._failing_since.pop(kind, None)
            return result

    def _failed(self, kind: str, exc: BaseException) -> None:
        since = self._failing_since.setdefault(kind, self._monotonic())
        if self._monotonic() - since >= self.give_up_after:
            raise self._die(
                f"the database {self.where} {self._problem(exc)}, and {kind}s have kept failing for "
                f"{self._monotonic() - since:.0f}s"
            ) from exc

    # ------------------------------------------------------------------ schema
    @abstractmethod
    async def _lock_schema(self) -> None:
        """Inside a transaction: wait until no other process is migrating (held until it ends)."""

    async def version(self, namespace: str) -> int:
        """The schema version ``namespace`` is at (0: none yet)."""
        value = await self.fetchval(
            "SELECT version FROM hearth_schema WHERE namespace = ?", (namespace,)
        )
        return 0 if value is None else int(value)

    async def migrate(self, store: Store, migrations: Sequence[Migration]) -> int:
        """Apply ``store``'s pending migrations in order; return the version reached.

        Each runs in its own transaction under the schema lock, so processes
        starting together apply each migration once. A schema newer than
        ``migrations`` know is refused: this code is older than the database.
        """
        namespace = store.namespace
        current = await self.version(namespace)
        self._refuse_newer(namespace, current, len(migrations))
        for number in range(current + 1, len(migrations) + 1):
            async with self.transaction():
                await self._lock_schema()
                current = await self.version(namespace)  # another process may have gone first
                self._refuse_newer(namespace, current, len(migrations))
                if current >= number:
                    continue
                await migrations[number - 1](store)
                await self.execute(
                    "INSERT INTO hearth_schema (namespace, version) VALUES (?, ?) "
                    "ON CONFLICT (namespace) DO UPDATE SET version = excluded.version",
                    (namespace, number),
                )
            log.debug("migrated %s to version %d", namespace, number)
        return len(migrations)

    def _refuse_newer(self, namespace: str, current: int, known: int) -> None:
        if current > known:
            raise StorageError(
                f"the database {self.where} has the schema of {namespace!r} at version {current}, "
                f"newer than this Hearth knows ({known}): a newer Hearth has used it. "
                "Upgrade Hearth (stop every process, upgrade, start them again)"
            )


def _is_db_error(exc: BaseException) -> bool:
    """True for a driver's own error (reported as a StorageError naming the statement)."""
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        return True
    module = type(exc).__module__
    return module.startswith("asyncpg")

