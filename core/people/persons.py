"""People across networks: every account belongs to a person.

A *person* is an integer id, scoped to one community, that owns one or more
accounts, at most one per network (a Discord account and a Matrix account of
the same human). Every account gets a person of its own when the directory
first sees it (written in the directory's batch), or at once when a plugin
asks (:meth:`Persons.person`); ``!link`` joins two accounts into one person
(:mod:`hearth.people.linking`), merging their people (:meth:`Persons.merge`).

Core data that belongs to the human is keyed on the person (strikes) or read
over the person's accounts (activity, roles granted by Hearth); plugins key
their own state on the person and move it in ``on_persons_merged``.

Ids are per community, allocated by the process that serves the community
(the largest id known plus one), and never reused: a merged person's id is
retired, a forgotten person's id is left unused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hearth.people.records import Account
from hearth.storage import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Person:
    """One human in one community: their id and their accounts (``(platform, id)``), sorted."""

    id: int
    accounts: tuple[Account, ...]

    def on(self, platform: str) -> Account | None:
        """The person's account on ``platform``, if they have one there."""
        return next((a for a in self.accounts if a[0] == platform), None)

    @property
    def linked(self) -> bool:
        """Whether the person has accounts on more than one network."""
        return len(self.accounts) > 1


class LinkRefused(Exception):
    """Two accounts that cannot be one person (the message says why, to the member)."""


class Persons:
    """Account -> person, per community, in memory and in ``hearth_accounts``."""

    def __init__(self) -> None:
        self.db: Database | None = None
        self._of: dict[str, dict[Account, int]] = {}
        self._accounts: dict[str, dict[int, list[Account]]] = {}
        self._last: dict[str, int] = {}

    async def load(self, db: Database, communities: Iterable[str]) -> None:
        self.db = db
        communities = set(communities)
        for key in communities:
            self._of[key] = {}
            self._accounts[key] = {}
        rows = await db.fetch("SELECT community, platform, member_id, person FROM hearth_accounts")
        for community, platform, member_id, person in rows:
            if community in communities:
                self._put(community, (platform, member_id), int(person))
        for row in await db.fetch(
                "SELECT community, MAX(id) FROM hearth_person_ids GROUP BY community"):
            self._last[row[0]] = max(self._last.get(row[0], 0), int(row[1] or 0))

    def _put(self, community: str, account: Account, person: int) -> None:
        self._of.setdefault(community, {})[account] = person
        accounts = self._accounts.setdefault(community, {}).setdefault(person, [])
        if account not in accounts:
            accounts.append(account)
            accounts.sort()
        if person > self._last.get(community, 0):
            self._last[community] = person

    def _drop(self, community: str, account: Account) -> None:
        person = self._of.get(community, {}).pop(account, None)
        if person is None:
            return
        accounts = self._accounts[community].get(person, [])
        if account in accounts:
            accounts.remove(account)
        if not accounts:
            self._accounts[community].pop(person, None)

    def _new_id(self, community: str) -> int:
        self._last[community] = number = self._last.get(community, 0) + 1
        return number

    # ------------------------------------------------------------------ reading
    def known(self, community: str, account: Account) -> int | None:
        """The person of ``account`` here, if one was assigned (no storage touched)."""
        return self._of.get(community, {}).get(account)

    def get(self, community: str, person: int) -> Person | None:
        """Person ``person`` here with their accounts; None for an id no account has."""
        accounts = self._accounts.get(community, {}).get(person)
        return Person(person, tuple(accounts)) if accounts else None

    def of(self, community: str, account: Account) -> Person | None:
        """The person ``account`` belongs to, if assigned."""
        person = self.known(community, account)
        return None if person is None else self.get(community, person)

    def accounts(self, community: str, account: Account) -> tuple[Account, ...]:
        """Every account of the person ``account`` belongs to (just ``account`` if unassigned)."""
        person = self.of(community, account)
        return person.accounts if person is not None else (account,)

    # ------------------------------------------------------------------ assigning
    async def person(self, community: str, account: Account, when_ms: int) -> Person:
        """The person ``account`` belongs to; a new one (written at once) if it had none."""
        known = self.of(community, account)
        if known is not None:
            return known
        assert self.db is not None
        number = self._new_id(community)
        self._put(community, account, number)
        try:
            async with self.db.transaction():
                await self._insert(self.db, [(community, account, number)], when_ms)
        except BaseException:
            self._drop(community, account)
            raise
        return Person(number, (account,))

    async def assign(self, db: Database, accounts: Iterable[tuple[str, Account]],
                     when_ms: int) -> list[tuple[str, Account]]:
        """Give each of ``accounts`` (``(community, account)``) without a person a new one,
        inside the caller's transaction; returns those assigned (for :meth:`unassign`)."""
        new = []
        for community, account in accounts:
            if community in self._of and self.known(community, account) is None:
                number = self._new_id(community)
                self._put(community, account, number)
                new.append((community, account, number))
        if new:
            try:
                await self._insert(db, new, when_ms)
            except BaseException:
                self.unassign([(c, a) for c, a, _ in new])
                raise
        return [(c, a) for c, a, _ in new]

    def unassign(self, assigned: Sequence[tuple[str, Account]]) -> None:
        """Take back what :meth:`assign` gave (its transaction was rolled back)."""
        for community, account in assigned:
            self._drop(community, account)

    @staticmethod
    async def _insert(db: Database, rows: Sequence[tuple[str, Account, int]], when_ms: int) -> None:
        await db.executemany(
            "INSERT INTO hearth_person_ids (community, id, created_ms) VALUES (?, ?, ?)"
            " ON CONFLICT (community, id) DO NOTHING",
            [(c, n, when_ms) for c, _, n in rows])
        await db.executemany(
            "INSERT INTO hearth_accounts (community, platform, member_id, person, linked_ms)"
            " VALUES (?, ?, ?, ?, ?)",
            [(c, a[0], a[1], n, when_ms) for c, a, n in rows])

    # ------------------------------------------------------------------ joining
    def check_join(self, community: str, first: Person, second: Person) -> None:
        """Raise :class:`LinkRefused` when ``first`` and ``second`` cannot be one person."""
        if first.id == second.id:
            raise LinkRefused("these accounts are already linked")
        mine = {a[0] for a in first.accounts}
        clash = sorted(mine & {a[0] for a in second.accounts})
        if clash:
            raise LinkRefused(
                f"both already have an account on {', '.join(clash)}; a person has one account "
                "per network")

    async def merge(self, db: Database, community: str, first: Person, second: Person,
                    when_ms: int) -> tuple[int, int]:
        """Make ``first`` and ``second`` one person, inside the caller's transaction.

        The older person (the smaller id) is kept; returns ``(kept, merged)``.
        The merged id is retired. Memory follows only when the transaction
        commits: call :meth:`merged` then.
        """
        self.check_join(community, first, second)
        kept, merged = sorted((first.id, second.id))
        await db.execute(
            "UPDATE hearth_accounts SET person = ?, linked_ms = ? WHERE community = ? AND person = ?",
            (kept, when_ms, community, merged))
        return kept, merged

    def merged(self, community: str, kept: int, merged: int) -> None:
        """The merge of ``merged`` into ``kept`` was committed: follow it in memory."""
        for account in list(self._accounts.get(community, {}).get(merged, [])):
            self._drop(community, account)
            self._put(community, account, kept)

    # ------------------------------------------------------------------ forgetting
    async def forget(self, db: Database, account: Account) -> list[tuple[str, int]]:
        """Take ``account`` out of its person in every community (inside the caller's
        transaction); returns ``(community, person)`` for each person that had it."""
        had = []
        for community in list(self._of):
            person = self.known(community, account)
            if person is not None:
                had.append((community, person))
                self._drop(community, account)
        await db.execute("DELETE FROM hearth_accounts WHERE platform = ? AND member_id = ?", account)
        return had
