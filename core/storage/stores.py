"""What plugins and the core hold: namespaced stores, the community-scoped store, key/value.

- :class:`Store`: one namespace's tables (``store.table("codes")`` ->
  ``welcome_codes``) with raw SQL over every community. Migrations get one;
  so do core readers (reports, copies), and a plugin reaches its own through
  ``ctx.store.raw`` when it truly needs to see across communities.
- :class:`CommunityStore`: ``ctx.store``, a plugin's tables in one
  community. Every plugin table has a ``community TEXT NOT NULL`` column; the
  store's :meth:`~CommunityStore.insert`, :meth:`~CommunityStore.select`,
  :meth:`~CommunityStore.update` and :meth:`~CommunityStore.delete` fill it
  and filter by it themselves, so forgetting ``WHERE community = ?`` cannot
  reach another community's rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from hearth.storage.base import Database, Row
from hearth.storage.sql import check_name


class SQL(str):
    """An SQL expression used as a value, written as is: ``{"uses": SQL("uses - 1")}``."""

    __slots__ = ()


class Store:
    """One namespace's tables across every community (raw SQL; see :mod:`hearth.storage.sql`)."""

    def __init__(self, db: Database, namespace: str) -> None:
        self.db = db
        self.namespace = namespace

    def table(self, name: str) -> str:
        """The real name of this namespace's table ``name``."""
        return f"{self.namespace}_{name}"

    def transaction(self) -> AbstractAsyncContextManager[Database]:
        """A transaction; nested ones join the outer one."""
        return self.db.transaction()

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        return await self.db.execute(sql, params)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of a query."""
        return await self.db.fetch(sql, params)

    async def fetchrow(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a query, or None."""
        return await self.db.fetchrow(sql, params)

    async def fetchval(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row (``INSERT … RETURNING id``), or None."""
        return await self.db.fetchval(sql, params)


class CommunityStore:
    """A plugin's tables in one community: ``ctx.store``.

    ``where`` arguments are SQL conditions with ``?`` parameters; the store
    adds ``community = ?`` itself. Values are parameters, except :class:`SQL`
    expressions. Table names are the short ones (``"codes"``).
    """

    def __init__(self, db: Database, namespace: str, community: str) -> None:
        self.raw = Store(db, namespace)
        self.namespace = namespace
        self.community = community

    def table(self, name: str) -> str:
        """The real name of this plugin's table ``name`` (for :attr:`raw` SQL)."""
        return self.raw.table(check_name(name))

    def transaction(self) -> AbstractAsyncContextManager[Database]:
        """A transaction; nested ones join the outer one."""
        return self.raw.transaction()

    def _where(self, where: str) -> str:
        return f" WHERE community = ? AND ({where})" if where else " WHERE community = ?"

    async def insert(self, table: str, values: Mapping[str, Any], *,
                     on_conflict: Sequence[str] | None = None,
                     update: Sequence[str] | Mapping[str, Any] | None = None,
                     returning: str | None = None) -> Any:
        """Insert one row (its ``community`` filled in); return ``returning``'s value, or
        the number of rows inserted or updated.

        With ``on_conflict`` (the unique columns after ``community``), a clash
        updates ``update`` (column names take the new row's values; a mapping
        gives values or :class:`SQL`, where ``excluded.col`` is the new row's),
        or does nothing when ``update`` is None. ``on_conflict=()``: nothing
        on any clash.
        """
        names = ["community", *(check_name(c) for c in values)]
        params: list[Any] = [self.community]
        marks = ["?"]
        for value in values.values():
            if isinstance(value, SQL):
                marks.append(str(value))
            else:
                marks.append("?")
                params.append(value)
        sql = f"INSERT INTO {self.table(table)} ({', '.join(names)}) VALUES ({', '.join(marks)})"
        if on_conflict is not None:
            target = f" ({', '.join(['community', *map(check_name, on_conflict)])})" if on_conflict else ""
            if update is None:
                sql += f" ON CONFLICT{target} DO NOTHING"
            else:
                changes = ({check_name(c): SQL(f"excluded.{c}") for c in update}
                           if not isinstance(update, Mapping) else update)
                sets, extra = _assignments(changes)
                sql += f" ON CONFLICT{target} DO UPDATE SET {sets}"
                params += extra
        if returning is not None:
            return await self.raw.fetchval(f"{sql} RETURNING {returning}", params)
        return await self.raw.execute(sql, params)

    async def select(self, table: str, where: str = "", params: Sequence[Any] = (), *,
                     columns: str = "*", order_by: str = "", limit: int | None = None) -> list[Row]:
        """This community's rows of ``table`` matching ``where``, in ``order_by``'s order."""
        sql = f"SELECT {columns} FROM {self.table(table)}{self._where(where)}"
        if order_by:
            sql += f" ORDER BY {order_by}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return await self.raw.fetch(sql, (self.community, *params))

    async def select_one(self, table: str, where: str = "", params: Sequence[Any] = (), *,
                         columns: str = "*", order_by: str = "") -> Row | None:
        """The first row :meth:`select` would return, or None."""
        rows = await self.select(table, where, params, columns=columns, order_by=order_by, limit=1)
        return rows[0] if rows else None

    async def select_value(self, table: str, expression: str, where: str = "",
                           params: Sequence[Any] = ()) -> Any:
        """One value over the matching rows: ``select_value("quota", "COUNT(*)", …)``."""
        row = await self.select_one(table, where, params, columns=expression)
        return None if row is None else row[0]

    async def update(self, table: str, values: Mapping[str, Any], where: str = "",
                     params: Sequence[Any] = ()) -> int:
        """Set ``values`` on this community's matching rows; how many changed."""
        sets, extra = _assignments(values)
        return await self.raw.execute(
            f"UPDATE {self.table(table)} SET {sets}{self._where(where)}",
            (*extra, self.community, *params))

    async def delete(self, table: str, where: str = "", params: Sequence[Any] = ()) -> int:
        """Delete this community's matching rows (all of them with no ``where``); how many."""
        return await self.raw.execute(
            f"DELETE FROM {self.table(table)}{self._where(where)}", (self.community, *params))


def _assignments(values: Mapping[str, Any]) -> tuple[str, list[Any]]:
    parts, params = [], []
    for column, value in values.items():
        if isinstance(value, SQL):
            parts.append(f"{check_name(column)} = {value}")
        else:
            parts.append(f"{check_name(column)} = ?")
            params.append(value)
    return ", ".join(parts), params


class KeyValueStore:
    """Small persistent key/value state in one namespace (adapters use it)."""

    def __init__(self, db: Database, namespace: str) -> None:
        self._db = db
        self._ns = namespace

    async def get(self, key: str) -> str | None:
        value = await self._db.fetchval(
            "SELECT value FROM hearth_kv WHERE namespace = ? AND key = ?", (self._ns, key)
        )
        return None if value is None else str(value)

    async def set(self, key: str, value: str) -> None:
        await self._db.execute(
            "INSERT INTO hearth_kv (namespace, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
            (self._ns, key, value),
        )
