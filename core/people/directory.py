"""The member directory: every member of every community on every network.

Held in memory (a plugin's ``ctx.members()`` never waits on storage) and
persisted in ``hearth_members``, so a restart forgets no one. It is kept in
step with the networks:

* at start-up, from each adapter that can list members
  (:attr:`~hearth.models.Capability.MEMBERS`): new members are added, changed
  names and roles updated, and members the list no longer holds marked as
  gone. Without that capability the directory is built from events only. A
  listing that fails keeps the last known state and is logged once;
* on every join, leave and member update event;
* on every message, reaction and command (last activity; a name or role that
  changed since; a member never seen before is added, first seen now).

Changes are written in the activity ledger's batches (see
:mod:`hearth.people.activity`), not one statement per event. A change of
last activity alone is written less often (every :data:`ACTIVE_EVERY`, and at
shutdown): after a crash, a last activity may be that much older than it was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from hearth.clock import Clock
from hearth.models import Capability, Member, Role
from hearth.people.records import Account, MemberRecord
from hearth.ports import Adapter
from hearth.storage import Database
from hearth.timeutil import from_ms, to_ms

log = logging.getLogger(__name__)

#: how often last activity alone is written
ACTIVE_EVERY_MS = 5 * 60 * 1000

_UPSERT = (
    "INSERT INTO hearth_members (community, platform, member_id, name, role, is_bot, joined_ms,"
    " join_known, invited_by, last_active_ms, present, left_ms, updated_ms)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (community, platform, member_id) DO UPDATE SET name = excluded.name,"
    " role = excluded.role, is_bot = excluded.is_bot, joined_ms = excluded.joined_ms,"
    " join_known = excluded.join_known, invited_by = excluded.invited_by,"
    " last_active_ms = excluded.last_active_ms, present = excluded.present,"
    " left_ms = excluded.left_ms, updated_ms = excluded.updated_ms"
)


@dataclass(frozen=True, slots=True)
class Changes:
    """One batch of directory rows: whole members (upserted), last activity alone (updated)."""

    members: list[tuple[Any, ...]]
    active: list[tuple[Any, ...]]

    def __bool__(self) -> bool:
        return bool(self.members or self.active)


#: an entry's counts before it has a row (``counts_until`` 0: never used; an empty list, so
#: a count added to it by mistake raises)
_NO_COUNTS: list[int] = []


class Entry:
    """A member's mutable state inside the directory (plugins get :class:`MemberRecord`)."""

    __slots__ = ("account", "active_pending", "counts", "counts_from", "counts_until",
                 "invited_by", "is_bot", "join_known", "joined_ms", "last_active_ms", "left_ms",
                 "name", "present", "role", "seen_ms")

    def __init__(self, account: Account, name: str, role: Role, is_bot: bool, joined_ms: int,
                 join_known: bool, invited_by: str | None = None,
                 last_active_ms: int | None = None, present: bool = True,
                 left_ms: int | None = None) -> None:
        #: the member's (platform, id): the key of their entry
        self.account = account
        self.name = name
        self.role = role
        self.is_bot = is_bot
        self.joined_ms = joined_ms
        self.join_known = join_known
        self.invited_by = invited_by
        self.last_active_ms = last_active_ms
        self.present = present
        #: when they last left (kept after a return, so that the leave still counts)
        self.left_ms = left_ms
        #: when an event last showed the member (a listing older than this cannot say they left)
        self.seen_ms = 0
        #: in the directory's set of last activities to write (so not added again per message)
        self.active_pending = False
        #: the activity ledger's row of the member's counts for the day from ``counts_from``
        #: to ``counts_until`` (epoch ms) in the batch not yet written: a message finds it
        #: here rather than by its day and its key in the batch (none while the bounds are
        #: empty, as they are until then and once the batch is written)
        self.counts: list[int] = _NO_COUNTS
        self.counts_from = self.counts_until = 0

    def record(self) -> MemberRecord:
        last = self.last_active_ms
        return MemberRecord(
            platform=self.account[0], id=self.account[1], name=self.name, role=self.role, is_bot=self.is_bot,
            joined=from_ms(self.joined_ms), join_known=self.join_known, invited_by=self.invited_by,
            last_active=None if last is None else from_ms(last), present=self.present,
            left=None if self.left_ms is None else from_ms(self.left_ms),
        )


class Directory:
    """Members per community, in memory and in ``hearth_members``."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._members: dict[str, dict[Account, Entry]] = {}
        self._dirty: dict[str, set[Account]] = {}
        #: members whose last activity alone changed since it was last written
        self._active: dict[str, set[Account]] = {}
        self._active_written_ms: int | None = None
        self._failed: set[tuple[str, str]] = set()

    # ------------------------------------------------------------------ storage
    async def load(self, db: Database, communities: Iterable[str]) -> None:
        """Read what was known before the restart (or, again, what another process left
        for ``communities``: write what changed here first)."""
        communities = set(communities)
        for key in communities:
            self._members[key] = {}
            self._dirty[key] = set()
            self._active[key] = set()
        rows = await db.fetch(
            "SELECT community, platform, member_id, name, role, is_bot, joined_ms, join_known,"
            " invited_by, last_active_ms, present, left_ms FROM hearth_members"
        )
        for row in rows:
            entries = self._members.get(row[0])
            if entries is not None and row[0] in communities:
                account = (row[1], row[2])
                entries[account] = Entry(
                    account, row[3], Role(row[4]), bool(row[5]), row[6], bool(row[7]), row[8], row[9],
                    bool(row[10]), row[11],
                )

    @property
    def pending(self) -> int:
        """Members changed since the last write (their last activity alone not counted)."""
        return sum(len(d) for d in self._dirty.values())

    def activity_due(self) -> bool:
        """Whether last activity is waiting and due to be written."""
        written = self._active_written_ms
        return any(self._active.values()) and (
            written is None or to_ms(self._clock.now()) - written >= ACTIVE_EVERY_MS)

    def take_changes(self, *, all_activity: bool = False) -> Changes:
        """What to write in one batch: members changed since the last call, and (every
        :data:`ACTIVE_EVERY_MS`, or with ``all_activity``) the last activity of the others."""
        now = to_ms(self._clock.now())
        rows: list[tuple[Any, ...]] = []
        for community, dirty in self._dirty.items():
            entries = self._members[community]
            for account in dirty:
                e = entries.get(account)
                if e is not None:
                    rows.append((community, account[0], account[1], e.name, int(e.role), int(e.is_bot),
                                 e.joined_ms, int(e.join_known), e.invited_by, e.last_active_ms,
                                 int(e.present), e.left_ms, now))
            dirty.clear()
        active: list[tuple[Any, ...]] = []
        if self._active_written_ms is None:
            self._active_written_ms = now
        if all_activity or now - self._active_written_ms >= ACTIVE_EVERY_MS:
            self._active_written_ms = now
            for community, accounts in self._active.items():
                entries = self._members[community]
                for account in accounts:
                    e = entries.get(account)
                    if e is not None:
                        e.active_pending = False
                        active.append((e.last_active_ms, now, community, account[0], account[1]))
                accounts.clear()
        return Changes(rows, active)

    def mark_changed(self, changes: Changes) -> None:
        """Write these again with the next batch (the last one failed)."""
        for row in changes.members:
            self._dirty.setdefault(row[0], set()).add((row[1], row[2]))
        for row in changes.active:
            self._active.setdefault(row[2], set()).add((row[3], row[4]))

    @staticmethod
    async def write(db: Database, changes: Changes) -> None:
        if changes.members:
            await db.executemany(_UPSERT, changes.members)
        if changes.active:
            await db.executemany(
                "UPDATE hearth_members SET last_active_ms = ?, updated_ms = ?"
                " WHERE community = ? AND platform = ? AND member_id = ?", changes.active)

    # ------------------------------------------------------------------ keeping in step
    async def refresh(self, community: str, adapter: Adapter,
                      through: Callable[[Member], Awaitable[Member]] | None = None) -> bool:
        """Compare the directory with ``adapter``'s member list; False when it could not be read.

        ``through`` sees each listed member first and gives them as the directory keeps
        them (with their effective role, :mod:`hearth.people.roles`).
        """
        if not adapter.can(Capability.MEMBERS):
            return False
        entries = self._members.setdefault(community, {})
        dirty = self._dirty.setdefault(community, set())
        started = to_ms(self._clock.now())
        listed: set[Account] = set()
        try:
            async for found in adapter.list_members(community):
                member = found.member if through is None else await through(found.member)
                account = (member.platform, member.id)
                listed.add(account)
                joined = started if found.joined is None else to_ms(found.joined)
                e = entries.get(account)
                if e is None:
                    entries[account] = Entry(account, member.name, member.role, member.is_bot,
                                          joined, found.joined is not None, found.invited_by)
                    dirty.add(account)
                    continue
                changed = (e.name != member.name or e.role != member.role or not e.present
                           or (found.joined is not None and not e.join_known)
                           or (found.invited_by is not None and e.invited_by is None))
                if changed:
                    e.name, e.role, e.is_bot, e.present = member.name, member.role, member.is_bot, True
                    if found.joined is not None and not e.join_known:
                        e.joined_ms, e.join_known = joined, True
                    e.invited_by = e.invited_by or found.invited_by
                    dirty.add(account)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if (community, adapter.name) not in self._failed:
                self._failed.add((community, adapter.name))
                log.warning("%s: could not list the members on %s (%s); keeping the last known "
                            "members", community, adapter.name, exc)
            return False
        self._failed.discard((community, adapter.name))
        for account, e in entries.items():
            if (account[0] == adapter.name and e.present and account not in listed
                    and e.seen_ms < started):
                # gone while the bot was not looking: it left when this listing noticed
                e.present, e.left_ms = False, started
                dirty.add(account)
        log.info("%s: %d members on %s", community, len(listed), adapter.name)
        return True

    def _entry(self, community: str, member: Member, ms: int) -> Entry:
        entries = self._members.setdefault(community, {})
        account = (member.platform, member.id)
        e = entries.get(account)
        if e is None:
            e = entries[account] = Entry(account, member.name, member.role, member.is_bot, ms, False)
        self._dirty.setdefault(community, set()).add(account)
        e.seen_ms = ms
        return e

    def joined(self, community: str, member: Member, when: datetime, invited_by: str | None) -> None:
        """``member`` joined at ``when`` (a return after leaving is a new join)."""
        ms = to_ms(when)
        e = self._entry(community, member, ms)
        if not e.present or not e.join_known:
            e.joined_ms, e.join_known = ms, True
        e.name, e.role, e.is_bot, e.present = member.name, member.role, member.is_bot, True
        if invited_by is not None:
            e.invited_by = invited_by

    def left(self, community: str, member: Member, when: datetime) -> None:
        """``member`` left at ``when`` (a second leave event for the same leave is ignored)."""
        e = self._entry(community, member, to_ms(when))
        if e.present:
            e.present, e.left_ms = False, to_ms(when)

    def updated(self, community: str, member: Member, when: datetime) -> None:
        """The network says ``member``'s name or role changed."""
        e = self._entry(community, member, to_ms(when))
        e.name, e.role, e.is_bot, e.present = member.name, member.role, member.is_bot, True

    def role_changed(self, community: str, member: Member) -> None:
        """``member``'s effective role changed (a member not listed yet is not added)."""
        account = (member.platform, member.id)
        e = self._members.get(community, {}).get(account)
        if e is not None and e.role != member.role:
            e.role = member.role
            self._dirty[community].add(account)

    def active(self, community: str, member: Member, ms: int) -> Entry:
        """``member`` did something at ``ms`` (hot path: called for every message); their entry."""
        account = (member.platform, member.id)
        e = self._members[community].get(account)
        if e is None:
            e = self._entry(community, member, ms)
        elif e.name != member.name or e.role != member.role or not e.present:
            e.name, e.role, e.present = member.name, member.role, True
            self._dirty[community].add(account)
        elif not e.active_pending:
            e.active_pending = True
            self._active[community].add(account)
        last = e.last_active_ms
        if last is None or ms > last:
            e.last_active_ms = e.seen_ms = ms
        return e

    # ------------------------------------------------------------------ reading
    @staticmethod
    async def present_in(db: Database, account: Account, communities: Collection[str]
                         ) -> dict[str, Member]:
        """Those of ``communities`` whose stored directory has ``account`` present, with the
        member as it knows them: read in the database, where the processes acting for
        them keep it (with several processes, this one holds only its own)."""
        if not communities:
            return {}
        rows = await db.fetch(
            "SELECT community, name, role, is_bot FROM hearth_members WHERE platform = ?"
            " AND member_id = ? AND present = 1", account)
        return {r["community"]: Member(platform=account[0], id=account[1], name=r["name"],
                                       role=Role(r["role"]), is_bot=bool(r["is_bot"]))
                for r in rows if r["community"] in communities}

    def is_person(self, community: str, account: Account) -> bool:
        """Whether ``account`` is a member here the directory knows, and not a bot."""
        e = self._members.get(community, {}).get(account)
        return e is not None and not e.is_bot

    def get(self, community: str, account: Account) -> MemberRecord | None:
        e = self._members.get(community, {}).get(account)
        return None if e is None else e.record()

    def members(
        self,
        community: str,
        *,
        role: Role | Iterable[Role] | None = None,
        silent_since: datetime | None = None,
        platform: str | None = None,
        present: bool = True,
    ) -> list[MemberRecord]:
        """The community's members (see :meth:`hearth.PluginContext.members`)."""
        roles = None if role is None else ({role} if isinstance(role, Role) else set(role))
        before = None if silent_since is None else to_ms(silent_since)
        found = []
        for account, e in self._members.get(community, {}).items():
            if present and not e.present:
                continue
            if roles is not None and e.role not in roles:
                continue
            if platform is not None and account[0] != platform:
                continue
            if before is not None and (e.last_active_ms or e.joined_ms) >= before:
                continue
            found.append(e.record())
        found.sort(key=lambda r: (r.joined, r.platform, r.id))
        return found

    def joins_and_leaves(self, community: str, day_of: Callable[[datetime], date]
                         ) -> dict[date, tuple[int, int]]:
        """How many people (not bots) joined and left ``community`` on each day, ``day_of``
        naming a time's day. A join the network did not date is not counted; a member who
        came back is counted once on each side (their last join and their last leave)."""
        days: dict[date, list[int]] = {}
        for e in self._members.get(community, {}).values():
            if e.is_bot:
                continue
            if e.join_known:
                days.setdefault(day_of(from_ms(e.joined_ms)), [0, 0])[0] += 1
            if e.left_ms is not None:
                days.setdefault(day_of(from_ms(e.left_ms)), [0, 0])[1] += 1
        return {day: (joins, leaves) for day, (joins, leaves) in days.items()}

    def accounts(self) -> list[tuple[str, Account]]:
        """Every ``(community, account)`` the directory holds, present or gone."""
        return [(c, a) for c, entries in self._members.items() for a in entries]

    def communities_of(self, account: Account) -> list[str]:
        return [c for c, entries in self._members.items() if account in entries]

    # ------------------------------------------------------------------ forgetting
    def forget(self, account: Account) -> None:
        """Drop ``account`` from memory (the caller erases its rows)."""
        for community, entries in self._members.items():
            entries.pop(account, None)
            self._dirty[community].discard(account)
            self._active[community].discard(account)

    @staticmethod
    async def erase(db: Database, account: Account) -> int:
        return await db.execute(
            "DELETE FROM hearth_members WHERE platform = ? AND member_id = ?", account
        )
