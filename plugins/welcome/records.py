"""Tables and queries: newcomers in the ritual, rules messages, codes, redemptions, wrong guesses.

Every table has a ``community`` column, which ``ctx.store`` (one community's
view) fills and filters. Times are integer epoch milliseconds. Other plugins may read the referral tree
(:func:`referrals`) and introductions (:func:`introduction`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hearth import SQL, CommunityStore, Mention, Store, Text, from_ms, to_ms
from hearth.storage import ms, rebuild

PENDING, ACCEPTED, LEFT = "pending", "accepted", "left"
#: passed every gate, waiting for a person's approval (the deadline does not apply)
HELD = "held"


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


async def upgrade_v3(store: Store) -> None:
    """Times as integer epoch milliseconds (the portable schema)."""
    def same(*columns: str) -> dict[str, str]:
        return {c: c for c in columns}

    await rebuild(
        store, store.table("newcomers"),
        "community TEXT NOT NULL, platform TEXT NOT NULL, member_id TEXT NOT NULL,"
        " name TEXT NOT NULL, status TEXT NOT NULL, joined_ms BIGINT NOT NULL, invited_by TEXT,"
        " agreed INTEGER NOT NULL DEFAULT 0, code_ok INTEGER NOT NULL DEFAULT 0,"
        " welcomed INTEGER NOT NULL DEFAULT 0, rules_in_channel INTEGER NOT NULL DEFAULT 0,"
        " reminded INTEGER NOT NULL DEFAULT 0, accepted_ms BIGINT,"
        " introduced_ms BIGINT, intro_message TEXT,"
        " PRIMARY KEY (community, platform, member_id)",
        {**same("community", "platform", "member_id", "name", "status", "invited_by", "agreed",
                "code_ok", "welcomed", "rules_in_channel", "reminded", "intro_message"),
         "joined_ms": ms("joined_at"), "accepted_ms": ms("accepted_at"),
         "introduced_ms": ms("introduced_at")},
    )
    await rebuild(
        store, store.table("codes"),
        "community TEXT NOT NULL, code TEXT NOT NULL, issuer_platform TEXT NOT NULL,"
        " issuer_id TEXT NOT NULL, issuer_person BIGINT NOT NULL DEFAULT 0,"
        " uses_total INTEGER NOT NULL, uses_left INTEGER NOT NULL,"
        " expires_ms BIGINT NOT NULL, created_ms BIGINT NOT NULL, PRIMARY KEY (community, code)",
        {**same("community", "code", "issuer_platform", "issuer_id", "issuer_person", "uses_total",
                "uses_left"),
         "expires_ms": ms("expires"), "created_ms": ms("created")},
    )
    await rebuild(
        store, store.table("redemptions"),
        "id INTEGER PRIMARY KEY, community TEXT NOT NULL, code TEXT NOT NULL,"
        " inviter_platform TEXT NOT NULL, inviter_id TEXT NOT NULL,"
        " inviter_person BIGINT NOT NULL DEFAULT 0, invitee_platform TEXT NOT NULL,"
        " invitee_id TEXT NOT NULL, invitee_person BIGINT NOT NULL DEFAULT 0,"
        " time_ms BIGINT NOT NULL",
        {**same("id", "community", "code", "inviter_platform", "inviter_id", "inviter_person",
                "invitee_platform", "invitee_id", "invitee_person"), "time_ms": ms("time")},
    )
    wrong = store.table("wrong_codes")
    await rebuild(
        store, wrong,
        "id INTEGER PRIMARY KEY, community TEXT NOT NULL, platform TEXT NOT NULL,"
        " member_id TEXT NOT NULL, person BIGINT NOT NULL DEFAULT 0, code TEXT NOT NULL,"
        " time_ms BIGINT NOT NULL",
        {**same("id", "community", "platform", "member_id", "person", "code"), "time_ms": ms("time")},
        indexes=[f"CREATE INDEX {store.table('wrong_codes_person')} ON {wrong} (community, person, time_ms)"],
    )


async def upgrade_v4(store: Store) -> None:
    """The questions gate: the next question and the wrong answers to it per newcomer, and
    the answers, kept with the member (keyed on the person)."""
    for column in ("question", "wrong"):
        await store.execute(
            f"ALTER TABLE {store.table('newcomers')} ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0")
    await store.execute(
        f"CREATE TABLE {store.table('answers')} ("
        " community TEXT NOT NULL, person BIGINT NOT NULL, question TEXT NOT NULL,"
        " answer TEXT NOT NULL, answered_ms BIGINT NOT NULL,"
        " PRIMARY KEY (community, person, question))"
    )


async def upgrade_v5(store: Store) -> None:
    """The referral tree's outcomes (when a newcomer left, whether they were removed), the
    join wave a newcomer is held in, the inviters' penalties, and the join waves."""
    for column in ("left_ms BIGINT", "removed INTEGER NOT NULL DEFAULT 0",
                   "wave BIGINT NOT NULL DEFAULT 0"):
        await store.execute(f"ALTER TABLE {store.table('newcomers')} ADD COLUMN {column}")
    await store.execute(
        f"CREATE TABLE {store.table('penalties')} ("
        " community TEXT NOT NULL, person BIGINT NOT NULL, invitee_platform TEXT NOT NULL,"
        " invitee_id TEXT NOT NULL, time_ms BIGINT NOT NULL,"
        " PRIMARY KEY (community, invitee_platform, invitee_id))"
    )
    await store.execute(
        f"CREATE TABLE {store.table('waves')} ("
        " community TEXT NOT NULL, started_ms BIGINT NOT NULL, ends_ms BIGINT NOT NULL,"
        " joins INTEGER NOT NULL, lifted_ms BIGINT, PRIMARY KEY (community, started_ms))"
    )


MIGRATIONS = (upgrade_v1, upgrade_v2, upgrade_v3, upgrade_v4, upgrade_v5)

#: each person column and the account columns it is the person of, per table
PERSON_COLUMNS = (("codes", "issuer_person", "issuer_platform", "issuer_id"),
                  ("redemptions", "inviter_person", "inviter_platform", "inviter_id"),
                  ("redemptions", "invitee_person", "invitee_platform", "invitee_id"),
                  ("wrong_codes", "person", "platform", "member_id"))




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
    #: how many of ``gate.questions`` were answered (the index of the next one)
    question: int = 0
    #: wrong answers to the current question since the last wait
    wrong: int = 0
    #: when they left (None: still here, or left before this was recorded)
    left_at: datetime | None = None
    #: removed by moderation or a gate (not a leave of their own)
    removed: bool = False
    #: the join wave they are held in (its start in epoch ms; 0: none)
    wave: int = 0

    @property
    def mention(self) -> Text:
        """A mention of the newcomer (see :func:`hearth.mention`)."""
        return Text(Mention(self.platform, self.member_id, self.name))

    @property
    def pending(self) -> bool:
        return self.status == PENDING

    @property
    def held(self) -> bool:
        return self.status == HELD


def _newcomer(row: Any) -> Newcomer:
    return Newcomer(
        community=row["community"],
        platform=row["platform"],
        member_id=row["member_id"],
        name=row["name"],
        status=row["status"],
        joined_at=from_ms(row["joined_ms"]),
        invited_by=row["invited_by"],
        agreed=bool(row["agreed"]),
        code_ok=bool(row["code_ok"]),
        welcomed=bool(row["welcomed"]),
        rules_in_channel=bool(row["rules_in_channel"]),
        reminded=bool(row["reminded"]),
        introduced_at=from_ms(row["introduced_ms"]) if row["introduced_ms"] is not None else None,
        intro_message=row["intro_message"],
        question=int(row["question"]),
        wrong=int(row["wrong"]),
        left_at=from_ms(row["left_ms"]) if row["left_ms"] is not None else None,
        removed=bool(row["removed"]),
        wave=int(row["wave"]),
    )


_MEMBER = "platform = ? AND member_id = ?"


class Newcomers:
    """The ``newcomers`` and ``rules_messages`` tables (``store`` is ``ctx.store``)."""

    def __init__(self, store: CommunityStore) -> None:
        self.store = store

    async def start(
        self, platform: str, member_id: str, name: str, *, now: datetime, invited_by: str | None,
        code_ok: bool,
    ) -> None:
        """(Re)start the ritual for a member who just joined."""
        async with self.store.transaction():
            await self.store.insert(
                "newcomers", {"platform": platform, "member_id": member_id, "name": name,
                              "status": PENDING, "joined_ms": to_ms(now), "invited_by": invited_by,
                              "code_ok": int(code_ok)},
                on_conflict=("platform", "member_id"),
                update={"name": SQL("excluded.name"), "status": SQL("excluded.status"),
                        "joined_ms": SQL("excluded.joined_ms"), "invited_by": SQL("excluded.invited_by"),
                        "agreed": 0, "code_ok": SQL("excluded.code_ok"), "welcomed": 0,
                        "rules_in_channel": 0, "reminded": 0, "accepted_ms": None,
                        "introduced_ms": None, "intro_message": None, "question": 0, "wrong": 0,
                        "left_ms": None, "removed": 0, "wave": 0},
            )
            await self.store.delete("rules_messages", _MEMBER, (platform, member_id))

    async def get(self, platform: str, member_id: str) -> Newcomer | None:
        row = await self.store.select_one("newcomers", _MEMBER, (platform, member_id))
        return _newcomer(row) if row else None

    async def update(self, platform: str, member_id: str, **values: Any) -> None:
        await self.store.update("newcomers", values, _MEMBER, (platform, member_id))

    async def unwelcomed(self) -> list[Newcomer]:
        """Members who joined and are still here but have not been welcomed in the channel yet."""
        rows = await self.store.select("newcomers", "welcomed = 0 AND status != ?", (LEFT,),
                                       order_by="joined_ms, member_id")
        return [_newcomer(r) for r in rows]

    async def pending(self) -> list[Newcomer]:
        rows = await self.store.select("newcomers", "status = ?", (PENDING,),
                                       order_by="joined_ms, platform, member_id")
        return [_newcomer(r) for r in rows]

    async def held(self) -> list[Newcomer]:
        """Newcomers waiting for a person's approval, longest waiting first."""
        rows = await self.store.select("newcomers", "status = ?", (HELD,),
                                       order_by="joined_ms, platform, member_id")
        return [_newcomer(r) for r in rows]

    async def everyone(self) -> list[Newcomer]:
        """Every member who joined through the ritual (latest join each), oldest first."""
        rows = await self.store.select("newcomers", order_by="joined_ms, platform, member_id")
        return [_newcomer(r) for r in rows]

    async def remember_rules_message(self, platform: str, message_id: str, member_ids: list[str]) -> None:
        for member_id in member_ids:
            await self.store.insert(
                "rules_messages", {"platform": platform, "message_id": message_id, "member_id": member_id},
                on_conflict=())

    async def is_rules_message(self, platform: str, message_id: str, member_id: str) -> bool:
        row = await self.store.select_one(
            "rules_messages", f"{_MEMBER} AND message_id = ?", (platform, member_id, message_id),
            columns="1")
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
    """Invitation codes, their redemptions (the referral tree) and wrong guesses (``store`` is
    ``ctx.store``)."""

    def __init__(self, store: CommunityStore) -> None:
        self.store = store

    async def add(self, code: str, issuer_platform: str, issuer_id: str, issuer_person: int,
                  uses: int, expires: datetime, now: datetime) -> bool:
        """Store a new code; False if it already exists here."""
        n = await self.store.insert(
            "codes", {"code": code, "issuer_platform": issuer_platform, "issuer_id": issuer_id,
                      "issuer_person": issuer_person, "uses_total": uses, "uses_left": uses,
                      "expires_ms": to_ms(expires), "created_ms": to_ms(now)},
            on_conflict=())
        return int(n) > 0

    async def get(self, code: str) -> Code | None:
        row = await self.store.select_one("codes", "code = ?", (code,))
        if row is None:
            return None
        return Code(code=row["code"], issuer_platform=row["issuer_platform"], issuer_id=row["issuer_id"],
                    uses_total=row["uses_total"], uses_left=row["uses_left"],
                    expires=from_ms(row["expires_ms"]), issuer_person=row["issuer_person"])

    async def redeem(self, code: Code, platform: str, member_id: str, person: int,
                     now: datetime) -> bool:
        """Use one of ``code``'s uses for this member and record who invited whom; False if none left."""
        async with self.store.transaction():
            taken = await self.store.update(
                "codes", {"uses_left": SQL("uses_left - 1")},
                "code = ? AND uses_left > 0 AND expires_ms > ?", (code.code, to_ms(now)))
            if not taken:
                return False
            await self.store.insert(
                "redemptions", {"code": code.code, "inviter_platform": code.issuer_platform,
                                "inviter_id": code.issuer_id, "inviter_person": code.issuer_person,
                                "invitee_platform": platform, "invitee_id": member_id,
                                "invitee_person": person, "time_ms": to_ms(now)})
        return True

    async def redeemed_since(self, platform: str, member_id: str, since: datetime) -> bool:
        return await self.inviter_since(platform, member_id, since) is not None

    async def inviter_since(self, platform: str, member_id: str,
                            since: datetime) -> tuple[str, str] | None:
        """``(platform, id)`` of whoever's code this member redeemed last since ``since``, if any."""
        row = await self.store.select_one(
            "redemptions", "invitee_platform = ? AND invitee_id = ? AND time_ms >= ?",
            (platform, member_id, to_ms(since)), columns="inviter_platform, inviter_id",
            order_by="time_ms DESC, id DESC")
        return None if row is None else (str(row["inviter_platform"]), str(row["inviter_id"]))

    async def record_wrong(self, platform: str, member_id: str, person: int, code: str,
                           now: datetime) -> None:
        await self.store.insert("wrong_codes", {"platform": platform, "member_id": member_id,
                                                "person": person, "code": code, "time_ms": to_ms(now)})

    async def wrong_since(self, person: int, since: datetime) -> list[datetime]:
        """Times of this person's wrong guesses (from any of their accounts) since ``since``,
        oldest first."""
        rows = await self.store.select("wrong_codes", "person = ? AND time_ms > ?",
                                       (person, to_ms(since)), columns="time_ms", order_by="time_ms, id")
        return [from_ms(r["time_ms"]) for r in rows]

    async def unkeyed(self) -> list[tuple[str, str]]:
        """Accounts named in rows from before people (person 0), to key on their person."""
        found: dict[tuple[str, str], None] = {}
        for table, column, platform, member in PERSON_COLUMNS:
            for r in await self.store.select(table, f"{column} = 0", columns=f"{platform}, {member}",
                                             order_by=f"{platform}, {member}"):
                found[(r[0], r[1])] = None
        return list(found)

    async def key_on(self, account: tuple[str, str], person: int) -> None:
        """Key ``account``'s rows on ``person`` (where they were not yet)."""
        for table, column, platform, member in PERSON_COLUMNS:
            await self.store.update(table, {column: person},
                                    f"{platform} = ? AND {member} = ? AND {column} = 0", account)

    async def merge(self, kept: int, merged: int) -> None:
        """Person ``merged`` became ``kept``: their codes, redemptions, wrong guesses, penalties
        and answers (where both answered a question, ``kept``'s answer stays)."""
        async with self.store.transaction():
            for table, column, _, _ in PERSON_COLUMNS:
                await self.store.update(table, {column: kept}, f"{column} = ?", (merged,))
            await self.store.update("penalties", {"person": kept}, "person = ?", (merged,))
            answered = self.store.table("answers")
            await self.store.delete(
                "answers", f"person = ? AND question IN (SELECT question FROM {answered}"
                " WHERE community = ? AND person = ?)", (merged, self.store.community, kept))
            await self.store.update("answers", {"person": kept}, "person = ?", (merged,))

    async def issued_since(self, person: int, since: datetime) -> list[tuple[datetime, int]]:
        """What ``person`` handed out since ``since``: each code's creation and its uses,
        and each penalty (one use), oldest first."""
        codes = await self.store.select("codes", "issuer_person = ? AND created_ms > ?",
                                        (person, to_ms(since)), columns="created_ms, uses_total")
        lost = await self.store.select("penalties", "person = ? AND time_ms > ?",
                                       (person, to_ms(since)), columns="time_ms")
        spent = [(from_ms(r[0]), int(r[1])) for r in codes] + [(from_ms(r[0]), 1) for r in lost]
        return sorted(spent)

    async def penalize(self, person: int, invitee: tuple[str, str], now: datetime) -> bool:
        """Charge ``person`` one use for ``invitee``'s removal; False if already charged for them."""
        n = await self.store.insert("penalties", {"person": person, "invitee_platform": invitee[0],
                                                  "invitee_id": invitee[1], "time_ms": to_ms(now)},
                                    on_conflict=())
        return int(n) > 0


async def forget(store: CommunityStore, platform: str, member_id: str) -> None:
    """Erase one account's welcome records: their ritual, codes they issued, redeemed or tried."""
    account = (platform, member_id)
    async with store.transaction():
        for table in ("newcomers", "rules_messages", "wrong_codes"):
            await store.delete(table, _MEMBER, account)
        await store.delete("penalties", "invitee_platform = ? AND invitee_id = ?", account)
        await store.delete(
            "redemptions",
            "(invitee_platform = ? AND invitee_id = ?) OR (inviter_platform = ? AND inviter_id = ?)",
            (*account, *account))
        await store.delete("codes", "issuer_platform = ? AND issuer_id = ?", account)


async def save_answer(store: CommunityStore, person: int, question: str, answer: str,
                      now: datetime) -> None:
    """Keep a newcomer's answer to a gate question (the latest answer to each question)."""
    await store.insert("answers", {"person": person, "question": question, "answer": answer,
                                   "answered_ms": to_ms(now)},
                       on_conflict=("person", "question"),
                       update={"answer": SQL("excluded.answer"),
                               "answered_ms": SQL("excluded.answered_ms")})


async def answers(store: CommunityStore, person: int) -> list[tuple[str, str]]:
    """A person's answers to the gate questions: ``(question, answer)``, in answering order."""
    rows = await store.select("answers", "person = ?", (person,), order_by="answered_ms, question")
    return [(row["question"], row["answer"]) for row in rows]


async def referrals(store: CommunityStore) -> list[dict[str, Any]]:
    """Who invited whom in ``store``'s community, oldest first: code redemptions and platform invites.

    Each entry: ``inviter`` and ``invitee`` as ``(platform, id)``, ``time`` (UTC),
    ``via`` (``"code"`` with ``code``, or ``"platform"``).
    """
    out: list[dict[str, Any]] = []
    for row in await store.select("redemptions", order_by="time_ms, id"):
        out.append({"inviter": (row["inviter_platform"], row["inviter_id"]),
                    "invitee": (row["invitee_platform"], row["invitee_id"]),
                    "time": from_ms(row["time_ms"]), "via": "code", "code": row["code"]})
    for row in await store.select("newcomers", "invited_by IS NOT NULL",
                                  order_by="joined_ms, platform, member_id"):
        out.append({"inviter": (row["platform"], row["invited_by"]),
                    "invitee": (row["platform"], row["member_id"]),
                    "time": from_ms(row["joined_ms"]), "via": "platform"})
    out.sort(key=lambda e: e["time"])
    return out


async def introduction(store: CommunityStore, platform: str, member_id: str) -> str | None:
    """The id of the member's recognised self-introduction since their latest join, if any."""
    value = await store.select_value("newcomers", "intro_message", _MEMBER, (platform, member_id))
    return None if value is None else str(value)
