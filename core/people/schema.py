"""The member directory's and the activity ledger's tables (namespace ``hearth:people``).

Portable SQL (SQLite now, PostgreSQL later): times are integer epoch
milliseconds (BIGINT), keys are explicit columns, no rowid. A *day* is the
epoch milliseconds at which that day starts in the community's timezone.
Daily rows are keyed community and day first: today's rows are written
side by side, and every read is a window of days in one community.
"""

from __future__ import annotations

from hearth.storage import Migration, Store, rebuild

NAMESPACE = "hearth:people"


async def _v1(store: Store) -> None:
    await store.execute(
        "CREATE TABLE hearth_members ("
        " community TEXT NOT NULL, platform TEXT NOT NULL, member_id TEXT NOT NULL,"
        " name TEXT NOT NULL, role INTEGER NOT NULL, is_bot INTEGER NOT NULL,"
        " joined_ms BIGINT NOT NULL, join_known INTEGER NOT NULL, invited_by TEXT,"
        " last_active_ms BIGINT, present INTEGER NOT NULL, updated_ms BIGINT NOT NULL,"
        " PRIMARY KEY (community, platform, member_id))"
    )
    await store.execute(
        "CREATE TABLE hearth_activity ("
        " community TEXT NOT NULL, platform TEXT NOT NULL, member_id TEXT NOT NULL,"
        " day_ms BIGINT NOT NULL,"
        " messages INTEGER NOT NULL DEFAULT 0, replies_given INTEGER NOT NULL DEFAULT 0,"
        " replies_received INTEGER NOT NULL DEFAULT 0, reactions_given INTEGER NOT NULL DEFAULT 0,"
        " reactions_received INTEGER NOT NULL DEFAULT 0, commands INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (community, day_ms, platform, member_id))"
    )
    await store.execute(
        "CREATE TABLE hearth_interactions ("
        " community TEXT NOT NULL, platform TEXT NOT NULL, source_id TEXT NOT NULL,"
        " target_id TEXT NOT NULL, day_ms BIGINT NOT NULL,"
        " replies INTEGER NOT NULL DEFAULT 0, mentions INTEGER NOT NULL DEFAULT 0,"
        " reactions INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (community, day_ms, platform, source_id, target_id))"
    )
    # One row per community and day: the bot's messages as they happen; the members'
    # totals when their per-member rows pass the retention and are rolled up here.
    await store.execute(
        "CREATE TABLE hearth_community_days ("
        " community TEXT NOT NULL, day_ms BIGINT NOT NULL,"
        " messages INTEGER NOT NULL DEFAULT 0, active_members INTEGER NOT NULL DEFAULT 0,"
        " interactions INTEGER NOT NULL DEFAULT 0, bot_messages INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (community, day_ms))"
    )


async def _v2(store: Store) -> None:
    # People across networks (hearth.people.persons): each person id of a community, once
    # (ids are never reused), and which person each account belongs to.
    await store.execute(
        "CREATE TABLE hearth_person_ids ("
        " community TEXT NOT NULL, id BIGINT NOT NULL, created_ms BIGINT NOT NULL,"
        " PRIMARY KEY (community, id))"
    )
    await store.execute(
        "CREATE TABLE hearth_accounts ("
        " community TEXT NOT NULL, platform TEXT NOT NULL, member_id TEXT NOT NULL,"
        " person BIGINT NOT NULL, linked_ms BIGINT NOT NULL,"
        " PRIMARY KEY (community, platform, member_id))"
    )
    await store.execute("CREATE INDEX hearth_accounts_person ON hearth_accounts (community, person)")
    # !link codes (hearth.people.linking): single use, short-lived.
    await store.execute(
        "CREATE TABLE hearth_link_codes ("
        " community TEXT NOT NULL, code TEXT NOT NULL, platform TEXT NOT NULL,"
        " member_id TEXT NOT NULL, created_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL,"
        " PRIMARY KEY (community, code))"
    )
    # The strike ledger (hearth.people.strikes): one per community, keyed on the person.
    await store.execute(
        "CREATE TABLE hearth_strikes ("
        " id INTEGER PRIMARY KEY, community TEXT NOT NULL, person BIGINT NOT NULL,"
        " source TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '',"
        " platform TEXT NOT NULL, member_id TEXT NOT NULL, given_ms BIGINT NOT NULL,"
        " expires_ms BIGINT NOT NULL, pardoned_ms BIGINT)"
    )
    await store.execute(
        "CREATE INDEX hearth_strikes_person ON hearth_strikes (community, person, expires_ms)")


async def _v3(store: Store) -> None:
    # When a member last left (kept after a return; NULL: never seen leaving, which is
    # also what members stored before this column get).
    await store.execute("ALTER TABLE hearth_members ADD COLUMN left_ms BIGINT")


async def _v4(store: Store) -> None:
    # SQLite: the pairs clustered on their key (WITHOUT ROWID). A graph reads a window of
    # days in one community, about a million rows for a large one; with a rowid table each
    # row's counters were a lookup elsewhere in the file from the key's index, several
    # times slower than reading the key in order, and the table took twice the space.
    # PostgreSQL reads the heap in bulk (a bitmap scan) and keeps its table.
    if store.db.dialect != "sqlite":
        return
    columns = ("community", "platform", "source_id", "target_id", "day_ms", "replies", "mentions",
               "reactions")
    await rebuild(
        store, "hearth_interactions",
        "community TEXT NOT NULL, platform TEXT NOT NULL, source_id TEXT NOT NULL,"
        " target_id TEXT NOT NULL, day_ms BIGINT NOT NULL,"
        " replies INTEGER NOT NULL DEFAULT 0, mentions INTEGER NOT NULL DEFAULT 0,"
        " reactions INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (community, day_ms, platform, source_id, target_id)",
        {c: c for c in columns}, options="WITHOUT ROWID")


MIGRATIONS: tuple[Migration, ...] = (_v1, _v2, _v3, _v4)
