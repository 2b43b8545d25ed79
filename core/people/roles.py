"""The role overlay: the roles Hearth grants (newcomer, member, leader), as core data.

Hearth's role for a member is kept here (``hearth_roles``), one row per
account, and applied to each network by its adapter (a Discord role, a
Matrix power level) through the outbound flow. Admin and owner belong to the
networks: Hearth reads them, never grants them.

A member's *effective* role, the one events, commands and ``ctx.members()``
carry, is their network role when it is admin or owner; otherwise the
highest role Hearth granted across the person's accounts; otherwise their
network role. A role above member (a leader) is the person's: granted on one
account it is recorded and shown on all of them, also on an account linked
later (a leader on Discord is a leader on Matrix). Newcomer and member stay
with their account (linking never completes a welcome gate). A network's
admin does not carry over to the person's other networks.

A role changed by someone on a network that holds roles (a Discord role edit,
a Matrix power level) is read back: when the network role a member shows changes, and
differs from Hearth's, Hearth's role follows it (on every account of the
person). A network role seen for the first time (at start-up, after a
restart) is taken over when Hearth had none, or when it clearly differs
(a member shown where Hearth has a newcomer is not: Matrix often shows
newcomers and members at the same level). Roles above member are kept when a
member leaves, and given back when they return; a newcomer's or member's
role is dropped (the welcome starts again).

Every change of a member's effective role reaches plugins as
``on_role_changed`` (a :class:`~hearth.events.RoleChangedEvent` queued in the
community's inbox, after the handler that caused it).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hearth.events import (
    ChoiceMadeEvent,
    CommandInvokedEvent,
    Event,
    MemberJoinedEvent,
    MemberLeftEvent,
    MemberUpdatedEvent,
    MessageEditedEvent,
    MessagePostedEvent,
    ReactionAddedEvent,
    RoleChangedEvent,
)
from hearth.models import Capability, Member, Role
from hearth.outbox import Pending, Request
from hearth.people.records import Account
from hearth.storage import Database, Migration, Store
from hearth.timeutil import to_ms

if TYPE_CHECKING:
    from hearth.app import App

log = logging.getLogger(__name__)

NAMESPACE = "hearth:roles"
#: the roles Hearth grants; admin and owner are the networks'
GRANTABLE = (Role.NEWCOMER, Role.MEMBER, Role.LEADER)
#: the core's name in the events it produces
CORE = "hearth"
#: a network role never seen (since start-up)
_UNSEEN = object()

_UPSERT = (
    "INSERT INTO hearth_roles (community, platform, member_id, role, source, changed_ms)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (community, platform, member_id) DO UPDATE SET"
    " role = excluded.role, source = excluded.source, changed_ms = excluded.changed_ms"
)


# ---------------------------------------------------------------------------- schema


async def _v1(store: Store) -> None:
    await store.execute(
        "CREATE TABLE hearth_roles ("
        " community TEXT NOT NULL, platform TEXT NOT NULL, member_id TEXT NOT NULL,"
        " role INTEGER NOT NULL, source TEXT NOT NULL, changed_ms BIGINT NOT NULL,"
        " PRIMARY KEY (community, platform, member_id))"
    )
    await store.execute(
        "CREATE TABLE hearth_network_roles ("
        " community TEXT NOT NULL, platform TEXT NOT NULL, role INTEGER NOT NULL,"
        " network_id TEXT NOT NULL, changed_ms BIGINT NOT NULL,"
        " PRIMARY KEY (community, platform, role))"
    )
    await _adopt_matrix_newcomers(store)


async def _adopt_matrix_newcomers(store: Store) -> None:
    """The Matrix adapter kept its newcomers in a JSON blob (``{community: [user, …]}``);
    they become newcomers in the overlay, and the blob goes."""
    row = await store.fetchrow(
        "SELECT value FROM hearth_kv WHERE namespace = 'adapter:matrix' AND key = 'newcomers'")
    if row is None:
        return
    try:
        recorded = json.loads(row["value"] or "{}")
    except ValueError:
        recorded = {}
    rows = [(community, "matrix", str(user), int(Role.NEWCOMER), "matrix adapter", 0)
            for community, users in (recorded.items() if isinstance(recorded, dict) else ())
            if isinstance(users, list) for user in users]
    for values in rows:
        await store.execute(_UPSERT, values)
    await store.execute("DELETE FROM hearth_kv WHERE namespace = 'adapter:matrix' AND key = 'newcomers'")
    log.info("took over %d newcomers the Matrix adapter had recorded", len(rows))


MIGRATIONS: tuple[Migration, ...] = (_v1,)


# ---------------------------------------------------------------------------- combining


def effective(hearth: Role | None, network: Role) -> Role:
    """A member's role: the network's admin or owner, else Hearth's role, else the network's."""
    if hearth is None or network >= Role.ADMIN:
        return network
    return hearth


def _takes_over(hearth: Role | None, network: Role, last: Role | None) -> bool:
    """Whether the network role ``network`` (last seen as ``last``) replaces Hearth's role."""
    if network >= Role.ADMIN or network is hearth:
        return False
    if hearth is None:  # a newcomer or leader made on the network (or before the overlay)
        return network is not Role.MEMBER
    if last is None:  # unknown: a member level can be how the network shows a newcomer
        return not (hearth is Role.NEWCOMER and network is Role.MEMBER)
    return True


def _member_of(event: Event) -> tuple[Member | None, bool]:
    """The member an event carries, and whether their role there is the community's view
    (a direct message's or a DM button's sender may carry no community role)."""
    if isinstance(event, (MessagePostedEvent, MessageEditedEvent, CommandInvokedEvent)):
        message = event.message
        return message.author, message.channel.dm_with is None
    if isinstance(event, ReactionAddedEvent):
        return event.reaction.member, event.reaction.channel.dm_with is None
    if isinstance(event, (MemberJoinedEvent, MemberLeftEvent, MemberUpdatedEvent)):
        return event.member, True
    if isinstance(event, ChoiceMadeEvent):
        return event.member, False
    return None, False


def _with_member(event: Event, member: Member) -> Event:
    if isinstance(event, (MessagePostedEvent, MessageEditedEvent, CommandInvokedEvent)):
        return replace(event, message=replace(event.message, author=member))
    if isinstance(event, ReactionAddedEvent):
        return replace(event, reaction=replace(event.reaction, member=member))
    return replace(event, member=member)


class NetworkRoles:
    """One network's own ids for Hearth's roles (the Discord roles the bot created), per
    community: the :class:`~hearth.ports.RoleIds` an adapter gets from its host."""

    def __init__(self, db: Database, platform: str, now_ms: Callable[[], int]) -> None:
        self._db = db
        self._platform = platform
        self._now_ms = now_ms

    async def get(self, community: str) -> dict[Role, str]:
        rows = await self._db.fetch(
            "SELECT role, network_id FROM hearth_network_roles WHERE community = ? AND platform = ?",
            (community, self._platform))
        return {Role(r["role"]): str(r["network_id"]) for r in rows}

    async def set(self, community: str, role: Role, network_id: str) -> None:
        await self._db.execute(
            "INSERT INTO hearth_network_roles (community, platform, role, network_id, changed_ms)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (community, platform, role) DO UPDATE SET"
            " network_id = excluded.network_id, changed_ms = excluded.changed_ms",
            (community, self._platform, int(role), network_id, self._now_ms()))


# ---------------------------------------------------------------------------- the overlay


class Roles:
    """Hearth's roles per community: granted, applied to the networks, read back."""

    def __init__(self, app: App) -> None:
        self._app = app
        self.db: Database | None = None
        #: community -> account -> the role Hearth granted
        self._granted: dict[str, dict[Account, Role]] = {}
        #: community -> account -> the network role last seen (memory only); None: unknown
        #: since Hearth applied a role whose look the network decides (a newcomer)
        self._seen: dict[str, dict[Account, Role | None]] = {}
        self._ids = itertools.count(1)

    async def open(self, db: Database, communities: Iterable[str]) -> None:
        """Migrate the tables and read the roles granted before."""
        self.db = db
        await db.migrate(Store(db, NAMESPACE), MIGRATIONS)
        await self.reload(communities)

    async def reload(self, communities: Iterable[str]) -> None:
        """Read the roles granted in ``communities`` (again when this process takes them
        over from another, which granted roles meanwhile)."""
        assert self.db is not None
        communities = set(communities)
        for key in communities:
            self._granted[key] = {}
            self._seen[key] = {}
        for row in await self.db.fetch(
                "SELECT community, platform, member_id, role FROM hearth_roles"):
            if row["community"] in communities:
                self._granted[row["community"]][(row["platform"], row["member_id"])] = Role(
                    row["role"])

    def network_roles(self, platform: str) -> NetworkRoles:
        assert self.db is not None
        return NetworkRoles(self.db, platform, self._now_ms)

    def _now_ms(self) -> int:
        return to_ms(self._app.clock.now())

    # ------------------------------------------------------------------ people
    def accounts_of(self, community: str, account: Account) -> tuple[Account, ...]:
        """Every account of the person ``account`` belongs to."""
        return self._app.people.persons.accounts(community, account)

    async def linked(self, community: str, before: Mapping[Account, Role | None]) -> None:
        """Accounts became one person (``!link``); ``before``: each one's role from Hearth
        until then. The person's role (the highest) is recorded and shown on every account,
        and plugins hear of every account whose role changed."""
        for account, was in before.items():
            role = self.granted(community, account)
            if role is not None and role > Role.MEMBER and self._granted[community].get(account) is not role:
                await self._store_one(community, account, role, source="link")
            if was is not role:
                member = self._known(community, account)
                self._apply(community, member, was, role)
                self._changed(community, member, effective(was, member.role),
                              effective(role, member.role))

    # ------------------------------------------------------------------ reading
    def granted(self, community: str, account: Account) -> Role | None:
        """Hearth's role for ``account``: its own, or a higher one above member (a leader)
        granted on another account of the person. A newcomer's gate stays per account."""
        granted = self._granted.get(community)
        if not granted:
            return None
        own = granted.get(account)
        accounts = self.accounts_of(community, account)
        if len(accounts) == 1:
            return own
        shared = [r for a in accounts if (r := granted.get(a)) is not None and r > Role.MEMBER]
        if not shared:
            return own
        return max(shared) if own is None else max(own, *shared)

    def member(self, community: str, member: Member) -> Member:
        """``member`` (as a network reports them) with their effective role."""
        if not self._granted.get(community):  # nothing granted here (every message asks)
            return member
        role = effective(self.granted(community, member.key), member.role)
        return member if role is member.role else replace(member, role=role)

    # ------------------------------------------------------------------ inbound
    def observed(self, community: str, event: Event) -> Event | None:
        """The event with effective roles when it shows nothing to read back (a member's
        network role as last seen, as on nearly every message); None: :meth:`observe` it."""
        if type(event) is MessagePostedEvent:  # nearly every event: _member_of, inline
            message = event.message
            member = message.author
            if member.is_bot:
                return event
            if message.channel.dm_with is None:
                try:  # the role last seen (None: unknown) must be this one
                    if self._seen[community][(member.platform, member.id)] is not member.role:
                        return None
                except KeyError:  # not seen yet
                    return None
        else:
            found_member, shows_role = _member_of(event)
            if found_member is None or found_member.is_bot:
                return event
            member = found_member
            if shows_role:
                if isinstance(event, (MemberLeftEvent, MemberJoinedEvent)):
                    return None
                seen = self._seen.get(community)
                if seen is None or seen.get(member.key, _UNSEEN) is not member.role:
                    return None
        if not self._granted.get(community):  # nothing granted here: the network's role stands
            return event
        found = self.member(community, member)
        return event if found is member else _with_member(event, found)

    async def observe(self, community: str, event: Event) -> Event:
        """Read back the network role an event shows; the event with effective roles."""
        member, shows_role = _member_of(event)
        if member is None or member.is_bot:
            return event
        if not shows_role:
            found = self.member(community, member)
            return event if found is member else _with_member(event, found)
        account = (member.platform, member.id)
        seen = self._seen.setdefault(community, {})
        last = seen.get(account, _UNSEEN)
        if isinstance(event, MemberLeftEvent):
            await self._left(community, account)
        elif isinstance(event, MemberJoinedEvent):
            seen[account] = member.role
            self._returned(community, member)
        elif member.role is not last:
            seen[account] = member.role
            await self._read_back(community, member, last)
        found = self.member(community, member)
        return event if found is member else _with_member(event, found)

    async def listed(self, community: str, member: Member) -> Member:
        """A member from a network's member list (start-up): read back, with the effective role."""
        if not member.is_bot:
            seen = self._seen.setdefault(community, {})
            last = seen.get(member.key, _UNSEEN)
            seen[member.key] = member.role
            if member.role is not last:
                await self._read_back(community, member, last)
        return self.member(community, member)

    async def _read_back(self, community: str, member: Member, last: Role | object) -> None:
        """``member`` shows a network role other than ``last`` (``_UNSEEN``: never seen)."""
        account = member.key
        before = self.granted(community, account)
        known = last if isinstance(last, Role) else None
        others: list[tuple[Member, Role | None, Role | None]] = []
        if self._holds_roles(community, member.platform) and _takes_over(before, member.role, known):
            log.info("%s: %s shows %s on %s; Hearth's role follows (was %s)", community, member.id,
                     member.role.label, member.platform, before.label if before else "none")
            others = await self._store(community, account, member.role,
                                       source=f"network:{member.platform}")
        after = self.granted(community, account)
        if last is not _UNSEEN:  # seen before (not at start-up): tell plugins of a change
            shown = known if known is not None else Role.MEMBER
            self._changed(community, member, effective(before, shown), effective(after, member.role))
        self._follow(community, others)

    def _holds_roles(self, community: str, platform: str) -> bool:
        """Whether the network shows Hearth's roles (only then can it change them)."""
        adapter = self._app.adapter_for(community, platform)
        return adapter is not None and adapter.can(Capability.ROLES)

    async def _left(self, community: str, account: Account) -> None:
        """Roles above member stay across a leave; a newcomer's or member's role goes."""
        self._seen.get(community, {}).pop(account, None)
        role = self._granted.get(community, {}).get(account)
        if role is not None and role <= Role.MEMBER:
            del self._granted[community][account]
            assert self.db is not None
            await self.db.execute(
                "DELETE FROM hearth_roles WHERE community = ? AND platform = ? AND member_id = ?",
                (community, *account))

    def _returned(self, community: str, member: Member) -> None:
        """A member (re)joined: a role above member Hearth granted is given back."""
        role = self.granted(community, member.key)
        if role is not None and role > Role.MEMBER and member.role is not role:
            self._apply(community, member, None, role)

    # ------------------------------------------------------------------ granting
    async def grant(self, community: str, plugin: str, member: Member, role: Role, *,
                    then: str | None = None, data: dict[str, Any] | None = None) -> Pending | None:
        """Make ``role`` Hearth's role for ``member``'s person (see :meth:`PluginContext.grant_role`)."""
        if role not in GRANTABLE:
            raise ValueError(f"Hearth grants newcomer, member or leader, not {role.label} "
                             "(admins and owners are made on the network)")
        return await self._set(community, plugin, member, role, then=then, data=data)

    async def revoke(self, community: str, plugin: str, member: Member, role: Role, *,
                     then: str | None = None, data: dict[str, Any] | None = None) -> Pending | None:
        """Take ``role`` back: a leader becomes a member, a newcomer or member has no role from Hearth."""
        if self.granted(community, member.key) is not role:
            return None
        return await self._set(community, plugin, member, Role.MEMBER if role is Role.LEADER else None,
                               then=then, data=data)

    async def _set(self, community: str, plugin: str, member: Member, role: Role | None, *,
                   then: str | None, data: dict[str, Any] | None) -> Pending | None:
        account = member.key
        before = self.granted(community, account)
        if before is role:
            return None
        network = self._seen.get(community, {}).get(account) or member.role
        others = await self._store(community, account, role, source=f"plugin:{plugin}")
        after = self.granted(community, account)
        pending = self._apply(community, member, before, after, plugin=plugin, then=then, data=data)
        self._changed(community, replace(member, role=network), effective(before, network),
                      effective(after, network))
        self._follow(community, others)
        return pending

    async def _store(self, community: str, account: Account, role: Role | None, *,
                     source: str) -> list[tuple[Member, Role | None, Role | None]]:
        """Make ``role`` Hearth's role for ``account`` (None: no role). A role above member
        (or taking one back) is the person's: every account of theirs gets it. Returns the
        other accounts whose role changed: (member, before, after)."""
        accounts = self.accounts_of(community, account)
        others = [a for a in accounts if a != account]
        before = {a: self.granted(community, a) for a in others}
        was = self.granted(community, account)
        if max(role or Role.NEWCOMER, was or Role.NEWCOMER) > Role.MEMBER:  # the person's
            for a in accounts:
                await self._store_one(community, a, role, source=source)
        else:
            await self._store_one(community, account, role, source=source)
        changed = []
        for a in others:
            after = self.granted(community, a)
            if after is not before[a]:
                changed.append((self._known(community, a), before[a], after))
        return changed

    def _follow(self, community: str, changed: list[tuple[Member, Role | None, Role | None]]) -> None:
        """Show the person's other accounts' new roles on their networks; tell plugins."""
        for member, before, after in changed:
            self._apply(community, member, before, after)
            self._changed(community, member, effective(before, member.role),
                          effective(after, member.role))

    async def _store_one(self, community: str, account: Account, role: Role | None, *,
                         source: str) -> None:
        assert self.db is not None
        granted = self._granted.setdefault(community, {})
        if role is None:
            granted.pop(account, None)
            await self.db.execute(
                "DELETE FROM hearth_roles WHERE community = ? AND platform = ? AND member_id = ?",
                (community, *account))
        else:
            granted[account] = role
            await self.db.execute(_UPSERT, (community, *account, int(role), source, self._now_ms()))

    # ------------------------------------------------------------------ applying
    def _apply(self, community: str, member: Member, before: Role | None, after: Role | None, *,
               plugin: str = CORE, then: str | None = None,
               data: dict[str, Any] | None = None) -> Pending | None:
        """Queue what makes ``member``'s network show ``after`` instead of ``before``.

        The network shows one of Hearth's roles at a time; a leader keeps the
        member role beneath. Up, the new role is granted before the old one is
        revoked; down, the old one is revoked first: so every state the network
        passes through (and reports back) shows the new role or the network's
        default, never the old role again.
        """
        adapter = self._app.adapter_for(community, member.platform)
        if adapter is None:
            return None
        if not adapter.can(Capability.ROLES):
            self._app.report_missing(community, plugin, adapter.name, Capability.ROLES)
            return None
        seen = self._seen.setdefault(community, {})
        if (seen.get(member.key) or Role.MEMBER) < Role.ADMIN:  # what the network will show
            seen[member.key] = after if after in (Role.MEMBER, Role.LEADER) else None
        steps: list[tuple[str, Role]] = []
        if (after if after is not None else -1) > (before if before is not None else -1):
            steps.append(("grant_role", after))
            if before is not None and before is not Role.MEMBER:
                steps.append(("revoke_role", before))
        elif before is not None:
            steps.append(("revoke_role", before))
            if after is not None and after is not Role.MEMBER:
                steps.append(("grant_role", after))
        first: Pending | None = None
        for n, (what, role) in enumerate(steps):
            call = adapter.grant_role if what == "grant_role" else adapter.revoke_role

            async def perform(_text: str | None, _reply: str | None, call: Any = call,
                              role: Role = role) -> Any:
                await call(community, member, role)

            pending = self._app.outbound(adapter).submit(
                ("roles",), Request(what, perform), community=community, plugin=plugin,
                then=then if n == 0 else None, data=data if n == 0 else None)
            first = first or pending
        return first

    # ------------------------------------------------------------------ telling plugins
    def _known(self, community: str, account: Account) -> Member:
        record = self._app.people.directory.get(community, account)
        if record is not None:
            return replace(record.member, role=self._seen.get(community, {}).get(account) or record.role)
        return Member(platform=account[0], id=account[1], name=account[1],
                      role=self._seen.get(community, {}).get(account) or Role.MEMBER)

    def _changed(self, community: str, member: Member, old: Role, new: Role) -> None:
        """``member``'s effective role went from ``old`` to ``new``: the directory follows,
        plugins hear of it."""
        if old is new:
            return
        changed = replace(member, role=new)
        self._app.people.directory.role_changed(community, changed)
        self._app.follow_up(community, RoleChangedEvent(
            platform=CORE, id=f"role:{next(self._ids)}", community=community,
            time=self._app.clock.now(), member=changed, old=old, new=new))

    # ------------------------------------------------------------------ forgetting
    async def forget(self, account: Account) -> int:
        """Erase ``account``'s roles everywhere."""
        for granted in self._granted.values():
            granted.pop(account, None)
        for seen in self._seen.values():
            seen.pop(account, None)
        assert self.db is not None
        return await self.db.execute(
            "DELETE FROM hearth_roles WHERE platform = ? AND member_id = ?", account)
