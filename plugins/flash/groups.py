"""Flash groups as the core's group service keeps them, and the migration into it.

A flash group is a core group (:class:`hearth.Group`) owned by ``flash``; its
``data`` holds what only flash needs: the title, the creator's id and whether
anyone may join (``open_signup``). Before the service existed flash kept its
own tables; :func:`upgrade_v2` moves every group (open, closing and closed,
with its members and message counts) into the core records and drops them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hearth import Group, Row, Store, adopt_group, from_ms


def title(group: Group) -> str:
    return str(group.data.get("title", group.name))


def creator(group: Group) -> str:
    return str(group.data.get("creator", ""))


def open_signup(group: Group) -> bool:
    return bool(group.data.get("open_signup", False))


async def upgrade_v1(store: Store) -> None:
    groups, members, authors = (store.table(t) for t in ("groups", "members", "authors"))
    await store.execute(
        f"CREATE TABLE {groups} ("
        " id INTEGER PRIMARY KEY,"
        " community TEXT NOT NULL, name TEXT NOT NULL, title TEXT NOT NULL,"
        " platform TEXT NOT NULL, channel_id TEXT NOT NULL, creator TEXT NOT NULL,"
        " open_signup INTEGER NOT NULL, started REAL NOT NULL, ends REAL NOT NULL,"
        " state TEXT NOT NULL DEFAULT 'open', closed REAL, mode TEXT)"
    )
    await store.execute(f"CREATE INDEX {groups}_state ON {groups} (community, state)")
    await store.execute(
        f"CREATE TABLE {members} (group_id INTEGER NOT NULL, member TEXT NOT NULL,"
        " PRIMARY KEY (group_id, member))"
    )
    await store.execute(
        f"CREATE TABLE {authors} (group_id INTEGER NOT NULL, member TEXT NOT NULL,"
        " messages INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (group_id, member))"
    )


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _due(job: Row) -> datetime:
    """A job's due time, in seconds or (the core's jobs since its v3) milliseconds."""
    return from_ms(job["due_ms"]) if "due_ms" in job.keys() else _dt(job["due"])


async def upgrade_v2(store: Store) -> None:
    """Move flash's own groups into the core's group records; drop flash's tables.

    A pending reminder keeps its time; flash's old jobs (``remind:N``,
    ``end:N``) are removed: the service schedules the reminder and the end.
    """
    groups, members, authors = (store.table(t) for t in ("groups", "members", "authors"))
    for row in await store.fetch(f"SELECT * FROM {groups} ORDER BY id"):
        old = row["id"]
        remind = await store.fetchrow(
            "SELECT * FROM hearth_jobs WHERE community = ? AND plugin = ? AND key = ?",
            (row["community"], store.namespace, f"remind:{old}"))
        # Join order: SQLite's row order (a flash database was never anywhere else).
        order = "rowid" if store.db.dialect == "sqlite" else "member"
        who = await store.fetch(f"SELECT member FROM {members} WHERE group_id = ? ORDER BY {order}",
                                (old,))
        spoke = await store.fetch(f"SELECT member, messages FROM {authors} WHERE group_id = ?",
                                     (old,))
        await adopt_group(
            store, community=row["community"], platform=row["platform"],
            channel_id=row["channel_id"], name=row["name"], topic="",
            created=_dt(row["started"]), expires=_dt(row["ends"]),
            # flash did not store on_close: an open group is archived, so no history is lost
            on_close=row["mode"] or "archive", state=row["state"],
            remind_at=_due(remind) if remind and row["state"] == "open" else None,
            closed=_dt(row["closed"]) if row["closed"] is not None else None, mode=row["mode"],
            members=[r["member"] for r in who],
            speakers=[(r["member"], int(r["messages"])) for r in spoke],
            data={"title": row["title"], "creator": row["creator"],
                  "open_signup": bool(row["open_signup"])},
        )
        for key in (f"remind:{old}", f"end:{old}"):
            await store.execute("DELETE FROM hearth_jobs WHERE community = ? AND plugin = ? AND key = ?",
                                (row["community"], store.namespace, key))
    for table in (authors, members, groups):
        await store.execute(f"DROP TABLE {table}")


MIGRATIONS = (upgrade_v1, upgrade_v2)
