"""Tables and queries: newcomers in the ritual, rules messages, codes, redemptions, wrong guesses.

One plugin store serves every community, so every table has a ``community``
column. Times are UTC epoch seconds. Other plugins may read the referral tree
(:func:`referrals`) and introductions (:func:`introduction`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hearth import Store

PENDING, ACCEPTED, LEFT = "pending", "accepted", "left"


async def upgrade_v1(store: Store) -> None:
    await store.execute(
        f"CREATE TABLE {store.table('newcomers')} ("
        " community TEXT NOT NULL, platform TEXT NOT NULL, member_id TEXT NOT NULL,"
        " name TEXT NOT NULL, status TEXT NOT NULL, joined_at REAL NOT NULL, invited_by TEXT,"
        " agreed INTEGER NOT NULL DEFAULT 0, code_ok INTEGER NOT NULL DEFAULT 0,"
        " welcomed INTEGER NOT NULL DEFAULT 0, rules_in_channel INTEGER NOT NULL DEFAULT 0,"
        " reminded INTEGER NOT NULL DEFAULT 0, accepted_at REAL,"
        " introduced_at REAL, intro_message TEXT,"
        " PRIMARY KEY (community, platform, member_id))"
    )
    await store.execute(
        f"CREATE TABLE {store.table('rules_messages')} ("
        " community TEXT NOT NULL, platform TEXT NOT NULL, message_id TEXT NOT NULL,"
        " member_id TEXT NOT NULL, PRIMARY KEY (community, platform, message_id, member_id))"
    )
    await store.execute(
        f"CREATE TABLE {store.table('codes')} ("
        " community TEXT NOT NULL, code TEXT NOT NULL, issuer_platform TEXT NOT NULL,"
        " issuer_id TEXT NOT NULL, uses_total INTEGER NOT NULL, uses_left INTEGER NOT NULL,"
        " expires REAL NOT NULL, created REAL NOT NULL, PRIMARY KEY (community, code))"
    )
    await store.execute(
        f"CREATE TABLE {store.table('redemptions')} ("
        " id INTEGER PRIMARY KEY, community TEXT NOT NULL, code TEXT NOT NULL,"
        " inviter_platform TEXT NOT NULL, inviter_id TEXT NOT NULL,"
        " invitee_platform TEXT NOT NULL, invitee_id TEXT NOT NULL, time REAL NOT NULL)"
    )
    await store.execute(
        f"CREATE TABLE {store.table('wrong_codes')} ("
        " id INTEGER PRIMARY KEY, community TEXT NOT NULL, platform TEXT NOT NULL,"
        " member_id TEXT NOT NULL, code TEXT NOT NULL, time REAL NOT NULL)"
    )


async def upgrade_v2(store: Store) -> None:
    # Codes, redemptions (the referral tree) and wrong guesses belong to people, not accounts:
    # the person of each account is filled in at start-up (0: not yet known). The ritual
    # (``newcomers``) stays per account: each network's gate is passed on that network.
    for table, column in (("codes", "issuer_person"), ("redemptions", "inviter_person"),
                          ("redemptions", "invitee_person"), ("wrong_codes", "person")):
        await store.execute(
            f"ALTER TABLE {store.table(table)} ADD COLUMN {column} BIGINT NOT NULL DEFAULT 0")
    await store.execute(
        f"CREATE INDEX {store.table('wrong_codes_person')} ON {store.table('wrong_codes')}"
        " (community, person, time)")


MIGRATIONS = (upgrade_v1, upgrade_v2)

#: each person column and the account columns it is the person of, per table
PERSON_COLUMNS = (("codes", "issuer_person", "issuer_platform", "issuer_id"),
                  ("redemptions", "inviter_person", "inviter_platform", "inviter_id"),
                  ("redemptions", "invitee_person", "invitee_platform", "invitee_id"),
                  ("wrong_codes", "person", "platform", "member_id"))


def ts(when: datetime) -> float:
    return when.timestamp()


def dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Newcomer:
    """A member going through (or past) the ritual since their latest join."""

    community: str
    platform: str
    member_id: str
    name: str
    status: str
    joined_at: datetime
    invited_by: str | None
    agreed: bool
    code_ok: bool
    welcomed: bool
    rules_in_channel: bool
    reminded: bool
    introduced_at: datetime | None
    intro_message: str | None

    @property
    def mention(self) -> str:
        return f"@{self.member_id}"

    @property
    def pending(self) -> bool:
        return self.status == PENDING


def _newcomer(row: Any) -> Newcomer:
    return Newcomer(
        community=row["community"],
        platform=row["platform"],
        member_id=row["member_id"],
        name=row["name"],
        status=row["status"],
        joined_at=dt(row["joined_at"]),
        invited_by=row["invited_by"],
        agreed=bool(row["agreed"]),
        code_ok=bool(row["code_ok"]),
        welcomed=bool(row["welcomed"]),
        rules_in_channel=bool(row["rules_in_channel"]),
        reminded=bool(row["reminded"]),
        introduced_at=dt(row["introduced_at"]) if row["introduced_at"] is not None else None,
        intro_message=row["intro_message"],
    )


class Newcomers:
    """The ``newcomers`` and ``rules_messages`` tables for one community."""

    def __init__(self, store: Store, community: str) -> None:
        self.store = store
        self.community = community
        self.table = store.table("newcomers")
        self.rules_table = store.table("rules_messages")

    async def start(
        self, platform: str, member_id: str, name: str, *, now: datetime, invited_by: str | None,
        code_ok: bool,
    ) -> None:
        """(Re)start the ritual for a member who just joined."""
        async with self.store.transaction():
            await self.store.execute(
                f"INSERT INTO {self.table} (community, platform, member_id, name, status, joined_at,"
                " invited_by, code_ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (community, platform, member_id) DO UPDATE SET name = excluded.name,"
                " status = excluded.status, joined_at = excluded.joined_at,"
                " invited_by = excluded.invited_by, agreed = 0, code_ok = excluded.code_ok,"
                " welcomed = 0, rules_in_channel = 0, reminded = 0, accepted_at = NULL,"
                " introduced_at = NULL, intro_message = NULL",
                (self.community, platform, member_id, name, PENDING, ts(now), invited_by, int(code_ok)),
            )
            await self.store.execute(
                f"DELETE FROM {self.rules_table} WHERE community = ? AND platform = ? AND member_id = ?",
                (self.community, platform, member_id),
            )

    async def get(self, platform: str, member_id: str) -> Newcomer | None:
        row = await self.store.fetchone(
            f"SELECT * FROM {self.table} WHERE community = ? AND platform = ? AND member_id = ?",
            (self.community, platform, member_id),
        )
        return _newcomer(row) if row else None

    async def update(self, platform: str, member_id: str, **values: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        await self.store.execute(
            f"UPDATE {self.table} SET {sets} WHERE community = ? AND platform = ? AND member_id = ?",
            (*values.values(), self.community, platform, member_id),
        )

    async def unwelcomed(self) -> list[Newcomer]:
        """Members who joined and are still here but have not been welcomed in the channel yet."""
        rows = await self.store.fetchall(
            f"SELECT * FROM {self.table} WHERE community = ? AND welcomed = 0 AND status != ?"
            " ORDER BY joined_at, member_id",
            (self.community, LEFT),
        )
        return [_newcomer(r) for r in rows]

    async def pending(self) -> list[Newcomer]:
        rows = await self.store.fetchall(
            f"SELECT * FROM {self.table} WHERE community = ? AND status = ? ORDER BY joined_at",
            (self.community, PENDING),
        )
        return [_newcomer(r) for r in rows]

    async def remember_rules_message(self, platform: str, message_id: str, member_ids: list[str]) -> None:
        for member_id in member_ids:
            await self.store.execute(
                f"INSERT INTO {self.rules_table} (community, platform, message_id, member_id)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (self.community, platform, message_id, member_id),
            )

    async def is_rules_message(self, platform: str, message_id: str, member_id: str) -> bool:
        row = await self.store.fetchone(
            f"SELECT 1 FROM {self.rules_table} WHERE community = ? AND platform = ?"
            " AND message_id = ? AND member_id = ?",
            (self.community, platform, message_id, member_id),
        )
        return row is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Code:
    code: str
    issuer_platform: str
    issuer_id: str
    uses_total: int
    uses_left: int
    expires: datetime
    #: the issuer's person (0: not yet known, a code from before people)
    issuer_person: int = 0


class Codes:
    """Invitation codes, their redemptions (the referral tree) and wrong guesses, in one community."""

    def __init__(self, store: Store, community: str) -> None:
        self.store = store
        self.community = community
        self.codes = store.table("codes")
        self.redemptions = store.table("redemptions")
        self.wrong = store.table("wrong_codes")

    async def add(self, code: str, issuer_platform: str, issuer_id: str, issuer_person: int,
                  uses: int, expires: datetime, now: datetime) -> bool:
        """Store a new code; False if it already exists here."""
        n = await self.store.execute(
            f"INSERT INTO {self.codes} (community, code, issuer_platform, issuer_id, issuer_person,"
            " uses_total, uses_left, expires, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (self.community, code, issuer_platform, issuer_id, issuer_person, uses, uses, ts(expires),
             ts(now)),
        )
        return n > 0

    async def get(self, code: str) -> Code | None:
        row = await self.store.fetchone(
            f"SELECT * FROM {self.codes} WHERE community = ? AND code = ?", (self.community, code)
        )
        if row is None:
            return None
        return Code(code=row["code"], issuer_platform=row["issuer_platform"], issuer_id=row["issuer_id"],
                    uses_total=row["uses_total"], uses_left=row["uses_left"], expires=dt(row["expires"]),
                    issuer_person=row["issuer_person"])

    async def redeem(self, code: Code, platform: str, member_id: str, person: int,
                     now: datetime) -> bool:
        """Use one of ``code``'s uses for this member and record who invited whom; False if none left."""
        async with self.store.transaction():
            taken = await self.store.execute(
                f"UPDATE {self.codes} SET uses_left = uses_left - 1"
                " WHERE community = ? AND code = ? AND uses_left > 0 AND expires > ?",
                (self.community, code.code, ts(now)),
            )
            if not taken:
                return False
            await self.store.insert(
                f"INSERT INTO {self.redemptions} (community, code, inviter_platform, inviter_id,"
                " inviter_person, invitee_platform, invitee_id, invitee_person, time)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (self.community, code.code, code.issuer_platform, code.issuer_id, code.issuer_person,
                 platform, member_id, person, ts(now)),
            )
        return True

    async def redeemed_since(self, platform: str, member_id: str, since: datetime) -> bool:
        row = await self.store.fetchone(
            f"SELECT 1 FROM {self.redemptions} WHERE community = ? AND invitee_platform = ?"
            " AND invitee_id = ? AND time >= ?",
            (self.community, platform, member_id, ts(since)),
        )
        return row is not None

    async def record_wrong(self, platform: str, member_id: str, person: int, code: str,
                           now: datetime) -> None:
        await self.store.insert(
            f"INSERT INTO {self.wrong} (community, platform, member_id, person, code, time)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (self.community, platform, member_id, person, code, ts(now)),
        )

    async def wrong_since(self, person: int, since: datetime) -> list[datetime]:
        """Times of this person's wrong guesses (from any of their accounts) since ``since``,
        oldest first."""
        rows = await self.store.fetchall(
            f"SELECT time FROM {self.wrong} WHERE community = ? AND person = ?"
            " AND time > ? ORDER BY time",
            (self.community, person, ts(since)),
        )
        return [dt(r["time"]) for r in rows]

    async def unkeyed(self) -> list[tuple[str, str]]:
        """Accounts named in rows from before people (person 0), to key on their person."""
        selects = " UNION ".join(
            f"SELECT {platform}, {member} FROM {self.store.table(table)}"
            f" WHERE community = ? AND {column} = 0"
            for table, column, platform, member in PERSON_COLUMNS)
        rows = await self.store.fetchall(selects, (self.community,) * len(PERSON_COLUMNS))
        return [(r[0], r[1]) for r in rows]

    async def key_on(self, account: tuple[str, str], person: int) -> None:
        """Key ``account``'s rows on ``person`` (where they were not yet)."""
        for table, column, platform, member in PERSON_COLUMNS:
            await self.store.execute(
                f"UPDATE {self.store.table(table)} SET {column} = ?"
                f" WHERE community = ? AND {platform} = ? AND {member} = ? AND {column} = 0",
                (person, self.community, *account))

    async def merge(self, kept: int, merged: int) -> None:
        """Person ``merged`` became ``kept``."""
        async with self.store.transaction():
            for table, column, _, _ in PERSON_COLUMNS:
                await self.store.execute(
                    f"UPDATE {self.store.table(table)} SET {column} = ?"
                    f" WHERE community = ? AND {column} = ?", (kept, self.community, merged))


async def forget(store: Store, community: str, platform: str, member_id: str) -> None:
    """Erase one account's welcome records: their ritual, codes they issued, redeemed or tried."""
    where = "community = ? AND platform = ? AND member_id = ?"
    account = (community, platform, member_id)
    async with store.transaction():
        for table in ("newcomers", "rules_messages", "wrong_codes"):
            await store.execute(f"DELETE FROM {store.table(table)} WHERE {where}", account)
        await store.execute(
            f"DELETE FROM {store.table('redemptions')} WHERE community = ? AND"
            " ((invitee_platform = ? AND invitee_id = ?) OR (inviter_platform = ? AND inviter_id = ?))",
            (community, platform, member_id, platform, member_id))
        await store.execute(
            f"DELETE FROM {store.table('codes')} WHERE community = ? AND issuer_platform = ?"
            " AND issuer_id = ?", account)


async def referrals(store: Store, community: str) -> list[dict[str, Any]]:
    """Who invited whom in ``community``, oldest first: code redemptions and platform invites.

    Each entry: ``inviter`` and ``invitee`` as ``(platform, id)``, ``time`` (UTC),
    ``via`` (``"code"`` with ``code``, or ``"platform"``).
    """
    out: list[dict[str, Any]] = []
    for row in await store.fetchall(
        f"SELECT * FROM {store.table('redemptions')} WHERE community = ? ORDER BY time, id", (community,)
    ):
        out.append({"inviter": (row["inviter_platform"], row["inviter_id"]),
                    "invitee": (row["invitee_platform"], row["invitee_id"]),
                    "time": dt(row["time"]), "via": "code", "code": row["code"]})
    for row in await store.fetchall(
        f"SELECT * FROM {store.table('newcomers')} WHERE community = ? AND invited_by IS NOT NULL",
        (community,),
    ):
        out.append({"inviter": (row["platform"], row["invited_by"]),
                    "invitee": (row["platform"], row["member_id"]),
                    "time": dt(row["joined_at"]), "via": "platform"})
    out.sort(key=lambda e: e["time"])
    return out


async def introduction(store: Store, community: str, platform: str, member_id: str) -> str | None:
    """The id of the member's recognised self-introduction since their latest join, if any."""
    row = await store.fetchone(
        f"SELECT intro_message FROM {store.table('newcomers')}"
        " WHERE community = ? AND platform = ? AND member_id = ?",
        (community, platform, member_id),
    )
    return row["intro_message"] if row else None
