"""The directory and the ledger together, as the app drives them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from hearth.clock import Clock
from hearth.events import (
    Event,
    MemberJoinedEvent,
    MemberLeftEvent,
    MemberUpdatedEvent,
    ReactionAddedEvent,
)
from hearth.models import Member
from hearth.people.activity import Ledger
from hearth.people.directory import Directory
from hearth.people.linking import LinkCodes
from hearth.people.persons import Persons
from hearth.people.records import Account
from hearth.people.schema import MIGRATIONS, NAMESPACE
from hearth.people.strikes import StrikeLedger
from hearth.ports import Adapter
from hearth.storage import Database, Store
from hearth.timeutil import to_ms

log = logging.getLogger(__name__)


class People:
    """Who is in each community (:attr:`directory`), who they are across networks
    (:attr:`persons`), what they do (:attr:`ledger`) and their strikes (:attr:`strikes`)."""

    def __init__(self, clock: Clock, zone_of: Callable[[str], ZoneInfo], retention: timedelta) -> None:
        self._clock = clock
        self.directory = Directory(clock)
        self.persons = Persons()
        self.ledger = Ledger(clock, self.directory, zone_of, retention)
        self.ledger.persons = self.persons
        self.strikes = StrikeLedger()

    async def open(self, db: Database, communities: Iterable[str]) -> None:
        """Migrate the tables and read what was known before."""
        await db.migrate(Store(db, NAMESPACE), MIGRATIONS)
        communities = list(communities)
        await self.directory.load(db, communities)
        await self.persons.load(db, communities)
        # members stored before people existed (or whose batch was lost) get theirs now
        async with db.transaction():
            await self.persons.assign(db, self.directory.accounts(), to_ms(self._clock.now()))
        self.strikes.db = db
        await self.strikes.prune(to_ms(self._clock.now()))
        await self.ledger.open(db)

    async def reload(self, communities: Iterable[str]) -> None:
        """Read ``communities``' members and persons again: this process takes them over
        from another, which changed them meanwhile (what changed here is written first)."""
        db = self.strikes.db
        assert db is not None
        await self.ledger.flush()
        await self.directory.load(db, communities)
        await self.persons.load(db, communities)

    async def refresh(self, community: str, adapters: Sequence[Adapter],
                      through: Callable[[Member], Awaitable[Member]] | None = None) -> None:
        """Bring ``community``'s members in step with each network's member list
        (each listed member seen ``through`` the role overlay first)."""
        for adapter in adapters:
            await self.directory.refresh(community, adapter, through)
        await self.ledger.flush()

    def observe(self, community: str, event: Event) -> None:
        """Keep in step with one inbound event (messages and commands are counted by the app)."""
        if isinstance(event, ReactionAddedEvent):
            self.ledger.reaction(community, event.reaction)
        elif isinstance(event, MemberJoinedEvent):
            self.directory.joined(community, event.member, event.time, event.invited_by)
        elif isinstance(event, MemberLeftEvent):
            self.directory.left(community, event.member, event.time)
        elif isinstance(event, MemberUpdatedEvent):
            self.directory.updated(community, event.member, event.time)

    async def forget(self, account: Account, codes: LinkCodes) -> list[str]:
        """Erase ``account`` from the directory and the ledger, its person's strikes and its
        link codes, and take it out of its person; the communities the directory knew it in.

        The person's other accounts (linked on other networks) stay, as a person
        of their own, without the strikes.
        """
        db = self.ledger.db
        assert db is not None
        communities = self.directory.communities_of(account)
        await self.ledger.flush()
        self.directory.forget(account)
        erased = await self.ledger.forget(account)
        async with db.transaction():
            erased += await self.directory.erase(db, account)
            erased += await codes.forget(db, account)
            for community, person in await self.persons.forget(db, account):
                erased += await self.strikes.forget(db, community, person)
        log.info("forgot %s:%s (%d rows)", account[0], account[1], erased)
        return communities

    async def close(self) -> None:
        await self.ledger.close()
