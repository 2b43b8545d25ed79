"""Copying a whole SQLite database into another database (``hearth migrate-storage``).

Every table is made on the target from the SQL SQLite keeps for it (the
portable schema translates as any migration's does), its rows are copied in
batches, and its indexes follow; the schema versions come along, so the
target is exactly where the source was and Hearth continues there. The copy
is one transaction on the target: it is complete, or nothing was written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hearth.errors import StorageError
from hearth.storage.base import Database

log = logging.getLogger(__name__)

BATCH = 1000
_WITHOUT_ROWID = re.compile(r"\bWITHOUT\s+ROWID\s*$", re.IGNORECASE)
_CASTS: dict[str, Callable[[Any], Any]] = {
    "text": str, "character varying": str, "integer": int, "bigint": int, "smallint": int,
    "double precision": float, "real": float, "numeric": float, "bytea": bytes,
}


@dataclass(frozen=True, slots=True)
class Copied:
    """What a copy moved: rows per table."""

    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


async def copy_database(source: Database, target: Database) -> Copied:
    """Copy every table of the SQLite ``source`` into the empty ``target``."""
    if source.dialect != "sqlite":
        raise StorageError(f"the database to copy from must be SQLite, not {source.where}")
    if await target.fetchval("SELECT COUNT(*) FROM hearth_schema") or len(await target.tables()) > 1:
        raise StorageError(f"{target.where} already holds tables: copy only into an empty database")
    objects = await source.fetch(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL"
        " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name != 'hearth_schema'"
        " ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, rowid")
    copied: dict[str, int] = {}
    async with target.transaction():
        for kind, name, _table, sql in objects:
            if kind == "table":
                await target.execute(sql)
                copied[name] = await _rows(source, target, name)
        for kind, _name, _table, sql in objects:
            if kind == "index":
                await target.execute(sql)
        for row in await source.fetch("SELECT namespace, version FROM hearth_schema ORDER BY namespace"):
            await target.execute("INSERT INTO hearth_schema (namespace, version) VALUES (?, ?)",
                                 (row[0], int(row[1])))
    for name, count in copied.items():
        there = await target.fetchval(f"SELECT COUNT(*) FROM {name}")
        if int(there) != count:  # pragma: no cover - a copy in one transaction cannot differ
            raise StorageError(f"{name}: {count} rows copied but {there} arrived")
    return Copied(copied)


async def _rows(source: Database, target: Database, table: str) -> int:
    info = await source.fetch(f"PRAGMA table_info({table})")
    columns = [str(r[1]) for r in info]
    keys = ["rowid"]
    ddl = str(await source.fetchval("SELECT sql FROM sqlite_master WHERE name = ?", (table,)))
    if _WITHOUT_ROWID.search(ddl):  # no rowid: the table is in its primary key's order
        keys = [f'"{r[1]}"' for r in sorted(info, key=lambda r: int(r[5])) if int(r[5])]
    casts = await _casts(target, table)
    names = ", ".join(f'"{c}"' for c in columns)
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    # Read in key order from after the last key read (not OFFSET, which rereads every
    # row before it: quadratic on a table of millions).
    select = f"SELECT {names}, {', '.join(keys)} FROM {table}"
    after = f" WHERE ({', '.join(keys)}) > ({', '.join('?' * len(keys))})"
    tail = f" ORDER BY {', '.join(keys)} LIMIT {BATCH}"
    count, last = 0, None
    while True:
        batch = await source.fetch(select + tail if last is None else select + after + tail, last or ())
        if not batch:
            break
        rows = [[None if v is None else casts.get(c, _same)(v) for c, v in zip(columns, row, strict=False)]
                for row in batch]
        await target.executemany(insert, rows)
        count += len(rows)
        last = tuple(batch[-1])[len(columns):]
    if "id" in columns:
        await target.continue_ids(table)
    log.info("copied %s: %d rows", table, count)
    return count


async def _casts(target: Database, table: str) -> dict[str, Callable[[Any], Any]]:
    """How each column's values are made to fit the target (SQLite keeps whatever it was given)."""
    if target.dialect != "postgresql":
        return {}
    rows = await target.fetch(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = ?", (table,))
    return {str(r[0]): _CASTS.get(str(r[1]), _same) for r in rows}


def _same(value: Any) -> Any:
    return value
