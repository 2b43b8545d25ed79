"""The strike ledger: one per community, keyed on the person.

Every plugin that punishes (``ad_window``, ``guard``) records its strikes
here, so an ad strike and an abuse strike add up, and strikes given to one
account of a person count for all of them. A strike names the plugin that gave
it (``source``), why (``reason``, a short word such as ``invite_link``), an
optional ``detail`` (evidence, at most :data:`DETAIL_MAX` characters), the
account it was given on, when, and when it expires (its decay). A strike is
*active* until it expires or is pardoned; each plugin applies its own ladder to
the person's total of active strikes.

Pardoned strikes are kept (marked) for the record; strikes that expired or
were pardoned more than :data:`KEEP` ago are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hearth.people.persons import Person
from hearth.people.records import Account, account_of
from hearth.storage import Database, Row
from hearth.timeutil import from_ms, to_ms

if TYPE_CHECKING:
    from hearth.context import PluginContext

#: the longest detail kept with a strike
DETAIL_MAX = 200
#: how long an expired or pardoned strike stays on record
KEEP = timedelta(days=90)
#: how long a strike lasts when its giver does not say
DEFAULT_LASTS = timedelta(days=30)

_COLUMNS = "id, person, source, reason, detail, platform, member_id, given_ms, expires_ms"


@dataclass(frozen=True, slots=True, kw_only=True)
class Strike:
    """One strike against a person."""

    id: int
    person: int
    #: the plugin that gave it
    source: str
    reason: str
    detail: str
    #: the account it was given on
    account: Account
    given: datetime
    expires: datetime


def _strike(row: Row) -> Strike:
    return Strike(id=int(row[0]), person=int(row[1]), source=row[2], reason=row[3], detail=row[4],
                  account=(row[5], row[6]), given=from_ms(row[7]), expires=from_ms(row[8]))


class StrikeLedger:
    """Strikes of every community, in ``hearth_strikes``."""

    def __init__(self) -> None:
        self.db: Database | None = None

    def _db(self) -> Database:
        assert self.db is not None, "the strike ledger is not open"
        return self.db

    async def add(self, community: str, person: int, account: Account, *, source: str,
                  reason: str, detail: str, given_ms: int, expires_ms: int) -> Strike:
        """Record a strike; returns it."""
        number = await self._db().fetchval(
            "INSERT INTO hearth_strikes (community, person, source, reason, detail, platform,"
            " member_id, given_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (community, person, source, reason, detail[:DETAIL_MAX], account[0], account[1],
             given_ms, expires_ms))
        return Strike(id=int(number), person=person, source=source, reason=reason,
                      detail=detail[:DETAIL_MAX], account=account, given=from_ms(given_ms),
                      expires=from_ms(expires_ms))

    async def active(self, community: str, person: int, now_ms: int) -> list[Strike]:
        """The person's active strikes, oldest first."""
        rows = await self._db().fetch(
            f"SELECT {_COLUMNS} FROM hearth_strikes WHERE community = ? AND person = ?"
            " AND expires_ms > ? AND pardoned_ms IS NULL ORDER BY given_ms, id",
            (community, person, now_ms))
        return [_strike(r) for r in rows]

    async def ledger(self, community: str, now_ms: int, limit: int = 200) -> list[Strike]:
        """The community's active strikes, newest first (the dashboard's strike ledger)."""
        rows = await self._db().fetch(
            f"SELECT {_COLUMNS} FROM hearth_strikes WHERE community = ? AND expires_ms > ?"
            " AND pardoned_ms IS NULL ORDER BY given_ms DESC, id DESC LIMIT ?",
            (community, now_ms, limit))
        return [_strike(r) for r in rows]

    async def count(self, community: str, person: int, now_ms: int) -> int:
        row = await self._db().fetchrow(
            "SELECT COUNT(*) FROM hearth_strikes WHERE community = ? AND person = ?"
            " AND expires_ms > ? AND pardoned_ms IS NULL", (community, person, now_ms))
        return int(row[0]) if row else 0

    async def pardon(self, community: str, person: int, now_ms: int, count: int | None) -> int:
        """Pardon the person's ``count`` newest active strikes (None: all); how many were."""
        active = await self.active(community, person, now_ms)
        chosen = active if count is None else active[len(active) - count:] if count > 0 else []
        if chosen:
            await self._db().executemany(
                "UPDATE hearth_strikes SET pardoned_ms = ? WHERE community = ? AND id = ?",
                [(now_ms, community, s.id) for s in chosen])
        return len(chosen)

    async def merge(self, db: Database, community: str, kept: int, merged: int) -> int:
        """Move ``merged``'s strikes to ``kept`` (inside the caller's transaction)."""
        return await db.execute(
            "UPDATE hearth_strikes SET person = ? WHERE community = ? AND person = ?",
            (kept, community, merged))

    async def forget(self, db: Database, community: str, person: int) -> int:
        """Erase every strike of ``person`` (inside the caller's transaction)."""
        return await db.execute(
            "DELETE FROM hearth_strikes WHERE community = ? AND person = ?", (community, person))

    async def prune(self, now_ms: int) -> int:
        """Drop strikes that expired or were pardoned more than :data:`KEEP` ago."""
        cutoff = now_ms - int(KEEP.total_seconds() * 1000)
        return await self._db().execute(
            "DELETE FROM hearth_strikes WHERE expires_ms <= ? OR pardoned_ms <= ?", (cutoff, cutoff))


class StrikesView:
    """One plugin's view of its community's strike ledger: ``ctx.strikes``.

    ``who`` is any account of the person (a Member, a MemberRecord,
    ``(platform, id)``, ``"platform:id"``), a :class:`~hearth.people.persons.Person`
    or a person id: strikes belong to the person, whichever account they were
    given on.
    """

    def __init__(self, ctx: PluginContext) -> None:
        self._ctx = ctx
        self._ledger: StrikeLedger = ctx._app.people.strikes

    def _now_ms(self) -> int:
        return to_ms(self._ctx.now())

    async def add(self, who: Any, reason: str, *, lasts: timedelta = DEFAULT_LASTS,
                  detail: str = "", given: datetime | None = None) -> Strike:
        """Record a strike from this plugin against ``who``'s person; it is active for ``lasts``
        from ``given`` (default: now; an earlier time for strikes brought over from elsewhere).

        ``reason`` is a short word or phrase (``invite_link``, ``abuse``);
        ``detail`` (evidence) is cut to :data:`DETAIL_MAX` characters. The strike
        is recorded against the account named (or the person's first account).
        """
        person = await self._ctx.person(who)
        account = _account_named(who) or person.accounts[0]
        now = self._now_ms() if given is None else to_ms(given)
        return await self._ledger.add(
            self._ctx.key, person.id, account, source=self._ctx.plugin, reason=reason,
            detail=detail, given_ms=now, expires_ms=now + int(lasts.total_seconds() * 1000))

    async def count(self, who: Any) -> int:
        """How many active strikes ``who``'s person has, from every plugin, on every network."""
        person = await self._ctx.person(who)
        return await self._ledger.count(self._ctx.key, person.id, self._now_ms())

    async def active(self, who: Any) -> list[Strike]:
        """``who``'s person's active strikes, oldest first."""
        person = await self._ctx.person(who)
        return await self._ledger.active(self._ctx.key, person.id, self._now_ms())

    async def pardon(self, who: Any, count: int | None = None) -> int:
        """Pardon ``who``'s ``count`` newest active strikes (None: all); returns how many."""
        if count is not None and count < 0:
            raise ValueError("count must not be negative")
        person = await self._ctx.person(who)
        return await self._ledger.pardon(self._ctx.key, person.id, self._now_ms(), count)


def _account_named(who: Any) -> Account | None:
    """The account ``who`` names, or None when it names a person."""
    if isinstance(who, int | Person):
        return None
    return account_of(who)
