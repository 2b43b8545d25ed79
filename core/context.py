"""What a plugin sees of one community: :class:`PluginContext`.

Every action a plugin takes goes through its context, which finds the right
adapter (a community may span several networks), checks the adapter's
capabilities (a missing one is logged once and the action skipped), and
queues it in the network's outbound flow (:mod:`hearth.outbox`). Queued
actions return at once with a :class:`~hearth.outbox.Pending`; what needs
the result asks for it with ``then=`` (``on_action_done``) or as a compound
action (``send(…, pin=True)``). Temporary groups have their own service,
``ctx.groups`` (:mod:`hearth.groups`): creating, inviting and removing wait
for the network, since their result is needed at once.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from hearth import codec, mutes
from hearth.declarations import LeaderCandidate
from hearth.errors import AdapterError
from hearth.events import MemberRemovedEvent
from hearth.groups import GroupsView
from hearth.journal import Action, cause_var
from hearth.models import Capability, Channel, Member, Message, Role
from hearth.outbox import Pending, Perform, Request
from hearth.people.activity import WEIGHTS
from hearth.people.persons import Person
from hearth.people.records import (
    Account,
    Activity,
    DayTotals,
    InteractionGraph,
    MemberRecord,
    account_of,
)
from hearth.people.strikes import StrikesView
from hearth.ports import Adapter
from hearth.reports import Pyramid, Referral
from hearth.scheduler import Job, Rule
from hearth.storage import CommunityStore
from hearth.timeutil import to_ms

if TYPE_CHECKING:
    from hearth.app import App
    from hearth.config import CommunityConfig

log = logging.getLogger(__name__)

#: the core's own name as the owner of jobs and stored records
CORE = "hearth"
#: ids of the removal events this process produced
_removals = itertools.count(1)
#: routes a context keeps (one per channel it posted to; forgotten all at once past this)
MAX_ROUTES = 256


class _Route:
    """Where a plain message (no pin) from one community to one channel goes: the adapter,
    its outbound flow and lane, and the Perform, made once for every message there."""

    __slots__ = ("adapter", "args", "channel", "lane", "outbound", "perform")

    def __init__(self, app: App, community: str, adapter: Adapter, channel: Channel) -> None:
        self.adapter = adapter
        self.channel = channel
        self.outbound = app.outbound(adapter)
        self.lane = self.outbound.lane_for("channel", channel.id)
        #: the action's arguments (:data:`KINDS`), for the journal
        self.args = {"channel": channel, "pin": False, "unpin_previous": None}
        self.perform = _send(app, community, adapter, self.args)

    def serves(self, channel: Channel) -> bool:
        """Whether this route goes to ``channel`` (the same one, or one just like it)."""
        own = self.channel
        return own is channel or (own.platform == channel.platform and own.id == channel.id
                                  and own.name == channel.name and own.dm_with == channel.dm_with)



class PluginContext:
    """One plugin in one community: its config, storage, schedule and actions."""

    def __init__(
        self, app: App, community: CommunityConfig, plugin: str, config: Any, store: CommunityStore
    ) -> None:
        self._app = app
        self.community = community
        self.plugin = plugin
        self.config = config
        self.store = store
        #: this process's cache of the plugin's state in the community (anything that saves
        #: a database read). Emptied by the core whenever this process starts acting for the
        #: community again, since another process may have changed the state meanwhile; with
        #: SQLite it lasts as long as the process.
        self.cache: dict[str, Any] = {}
        #: channel id -> the route of plain messages there (:meth:`_route`)
        self._routes: dict[str, _Route] = {}

    def __repr__(self) -> str:
        return f"<PluginContext {self.plugin} in {self.community.key}>"

    # -- facts -------------------------------------------------------------
    @property
    def key(self) -> str:
        """The community's key in the config."""
        return self.community.key

    @property
    def zone(self) -> ZoneInfo:
        return self.community.timezone

    @property
    def language(self) -> str:
        return self.community.language

    @property
    def prefix(self) -> str:
        """The text-command prefix (``!``)."""
        return self._app.config.command_prefix

    def now(self) -> datetime:
        """The current time (UTC), from the app's clock."""
        return self._app.clock.now()

    def local_now(self) -> datetime:
        """The current time in the community's timezone."""
        return self.now().astimezone(self.zone)

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.zone)

    @property
    def adapters(self) -> list[Adapter]:
        """The adapters serving this community."""
        return self._app.adapters_for(self.key)

    def adapter(self, platform: str) -> Adapter | None:
        """The adapter serving this community on ``platform``, if any."""
        return self._app.adapter_for(self.key, platform)

    def can(self, capability: Capability, platform: str | None = None) -> bool:
        """Whether the adapter for ``platform`` (default: every adapter) can do this."""
        adapters = [a for a in self.adapters if platform is None or a.name == platform]
        return bool(adapters) and all(a.can(capability) for a in adapters)

    def channels(self, name: str) -> list[Channel]:
        """The channel called ``name`` in this community, on each network."""
        found = (a.resolve_channel(self.key, name) for a in self.adapters)
        return [c for c in found if c is not None]

    async def member_count(self) -> int:
        total = 0
        for adapter in self.adapters:
            total += await adapter.member_count(self.key)
        return total

    async def get_member(self, platform: str, member_id: str) -> Member | None:
        """A member of this community on ``platform``, with their effective role."""
        adapter = self.adapter(platform)
        found = await adapter.get_member(self.key, member_id) if adapter else None
        return None if found is None else self._app.roles.member(self.key, found)

    async def fetch_message(self, channel: Channel, message_id: str) -> Message | None:
        """A message of ``channel`` by id (its author and text as the network has them now),
        or None when it is gone or the network cannot look it up."""
        adapter = self.adapter(channel.platform)
        if adapter is None:
            return None
        try:
            return await adapter.fetch_message(self.key, channel, message_id)
        except AdapterError as exc:
            log.info("cannot read message %s in %s: %s", message_id, channel.id, exc)
            return None

    async def leader_powers(self) -> frozenset[str]:
        return await self._app.leader_powers(self.key)

    async def pyramid(self) -> Pyramid | None:
        """The community's user pyramid, from the plugin that manages leaders (None: none does)."""
        return await self._app.pyramid(self.key)

    async def referrals(self, member: Member | tuple[str, str] | None = None) -> list[Referral] | None:
        """The referral tree (who invited whom), from the plugin that records invitations:
        the whole community's roots, or with ``member`` their branch alone (a list of one,
        empty when unknown). None when no enabled plugin records invitations."""
        return await self._app.referrals(self.key, None if member is None else account_of(member))

    async def leader_candidates(self) -> list[LeaderCandidate]:
        """Every enabled plugin's answer to ``leader_candidates``, together."""
        return await self._app.leader_candidates(self.key)

    # -- members and activity ----------------------------------------------
    def members(
        self,
        *,
        role: Role | Iterable[Role] | None = None,
        silent_since: datetime | None = None,
        platform: str | None = None,
        present: bool = True,
    ) -> list[MemberRecord]:
        """Every member of this community on every network, including those who never spoke.

        ``role``: only members holding this role (or one of these roles);
        ``silent_since``: only members with no message, reaction or command
        since then (a member never active counts from when they joined or the
        bot first saw them); ``platform``: only that network's members;
        ``present=False`` also lists members who left. Oldest members first.
        """
        return self._app.people.directory.members(
            self.key, role=role, silent_since=silent_since, platform=platform, present=present
        )

    def member(self, account: Member | MemberRecord | tuple[str, str] | str) -> MemberRecord | None:
        """The directory's record of one member (a Member, ``(platform, id)`` or ``"platform:id"``)."""
        return self._app.people.directory.get(self.key, account_of(account))

    async def activity(
        self,
        account: Member | MemberRecord | tuple[str, str] | str | Person,
        since: datetime,
        until: datetime | None = None,
    ) -> Activity:
        """What one member did on the days from ``since`` to ``until`` (default: now).

        Days are the community's local days; the days holding ``since`` and
        ``until`` count whole. Activity older than ``activity.retention`` is gone.
        Given a :class:`Person`, the sum over all their accounts (``account`` is
        their first account then).
        """
        ledger = self._app.people.ledger
        if not isinstance(account, Person):
            return await ledger.activity(self.key, account_of(account), since, until)
        parts = [await ledger.activity(self.key, a, since, until) for a in account.accounts]
        fields = ("messages", "replies_given", "replies_received", "reactions_given",
                  "reactions_received", "commands", "active_days")
        return Activity(account=account.accounts[0],
                        **{f: sum(getattr(p, f) for p in parts) for f in fields})

    # -- people across networks -------------------------------------------
    async def person(self, who: Member | MemberRecord | Account | str | Person | int) -> Person:
        """The person ``who`` is: an account (a Member, a MemberRecord, ``(platform, id)``,
        ``"platform:id"``), a :class:`Person` (read afresh) or a person id.

        Every account belongs to a person (one of its own until ``!link`` joins it
        to another), so an account always has one: given first when the account
        is first seen, or here. Key what a plugin stores about a member on
        ``person.id``. ``LookupError`` for a person id no account has here.
        """
        persons = self._app.people.persons
        if isinstance(who, Person | int):
            number = who.id if isinstance(who, Person) else who
            found = persons.get(self.key, number)
            if found is None:
                raise LookupError(f"no person {number} in {self.key}")
            return found
        return await persons.person(self.key, account_of(who), to_ms(self.now()))

    def accounts(self, who: Member | MemberRecord | Account | str | Person | int) -> list[MemberRecord]:
        """The directory's records of every account of ``who``'s person here (``who``'s own
        first), one per network. Accounts the directory does not know are left out."""
        persons = self._app.people.persons
        if isinstance(who, Person | int):
            found = persons.get(self.key, who.id if isinstance(who, Person) else who)
            accounts: tuple[Account, ...] = found.accounts if found else ()
        else:
            own = account_of(who)
            accounts = (own, *(a for a in persons.accounts(self.key, own) if a != own))
        directory = self._app.people.directory
        records = (directory.get(self.key, a) for a in accounts)
        return [r for r in records if r is not None]

    @property
    def strikes(self) -> StrikesView:
        """The community's strike ledger, keyed on the person (:class:`~hearth.people.strikes.StrikesView`):
        ``add``, ``count``, ``active``, ``pardon``."""
        return StrikesView(self)

    async def speakers(self, since: datetime, until: datetime | None = None) -> int:
        """How many members wrote at least one message on the days from ``since`` to
        ``until`` (default: now); local days, counted whole, as for :meth:`activity`."""
        return await self._app.people.ledger.speakers(self.key, since, until)

    async def interactions(
        self,
        since: datetime,
        until: datetime | None = None,
        *,
        half_life: timedelta | None = timedelta(days=14),
        weights: Mapping[str, float] = WEIGHTS,
    ) -> InteractionGraph:
        """Who replied to, mentioned or reacted to whom from ``since`` to ``until``.

        Each day's counts are weighted by kind (``weights``: replies 1,
        mentions 1, reactions 0.5 by default) and decay with age: a day
        ``half_life`` before ``until`` weighs half (None: no decay).
        """
        return await self._app.people.ledger.graph(
            self.key, since, until, half_life=half_life, weights=weights
        )

    async def daily_totals(self, since: datetime, until: datetime | None = None) -> list[DayTotals]:
        """The community's totals for each local day from ``since`` to ``until`` (default: today).

        Messages, active members and member-to-member interactions, and the
        bot's own messages apart; the people who joined and who left (from the
        member directory); days with nothing have zeros. Totals outlive
        ``activity.retention`` (they name no one).
        """
        return await self._app.people.ledger.totals(self.key, since, until)

    # -- scheduling --------------------------------------------------------
    async def schedule(
        self,
        key: str,
        at: datetime,
        *,
        data: dict[str, Any] | None = None,
        every: timedelta | None = None,
    ) -> None:
        """Run this plugin's ``on_job_due`` at ``at`` (then every ``every``), even after a restart.

        Scheduling a key again moves the job. ``data`` must be JSON (a
        ``TypeError`` here otherwise). For a recurring job use :meth:`ensure_schedule`.
        """
        await self._app.scheduler.schedule(self.key, self.plugin, key, at, data=data, every=every)

    async def ensure_schedule(
        self,
        key: str,
        *,
        every: timedelta | str,
        at: time | str | None = None,
        day: int | str | None = None,
        data: dict[str, Any] | None = None,
    ) -> datetime:
        """Declare the recurring job ``key``; idempotent, so call it in every ``on_startup``.

        ``every="1h"`` runs hourly; ``every="1d", at="20:00"`` daily at 20:00;
        ``every="7d", at="09:00", day="mon"`` every Monday at 09:00; times are
        in the community's timezone and keep their wall-clock time across DST.
        A job already declared with the same rule keeps its time (a run missed
        while the bot was down runs once, soon after start-up); a changed rule
        reschedules it. Returns when it runs next.
        """
        rule = Rule.of(every, at, day)
        return await self._app.scheduler.ensure(self.key, self.plugin, key, rule, data=data)

    async def cancel(self, key: str) -> bool:
        """Cancel the job ``key``; True if it existed."""
        return await self._app.scheduler.cancel(self.key, self.plugin, key)

    async def jobs(self, prefix: str = "") -> list[Job]:
        """This plugin's pending jobs here whose key starts with ``prefix``."""
        return await self._app.scheduler.jobs(self.key, self.plugin, prefix)

    # -- actions -----------------------------------------------------------
    def _able(self, adapter: Adapter, capability: Capability) -> bool:
        if adapter.can(capability):
            return True
        self._app.report_missing(self.key, self.plugin, adapter.name, capability)
        return False

    async def _act(self, adapter: Adapter, what: str, coro: Any) -> tuple[bool, Any]:
        """Run an adapter call now; (True, its result), or (False, None) when the platform refused."""
        return await _act(adapter, what, coro)

    def _queue(
        self,
        adapter: Adapter,
        lane: tuple[str, ...],
        request: Request,
        then: str | None,
        data: dict[str, Any] | None,
        args: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Pending:
        """Queue ``request``; ``args`` (its kind's, see :data:`KINDS`) let another process make
        it again (:mod:`hearth.journal`; None: it cannot travel)."""
        outbound = self._app.outbound(adapter)
        journal = self._app.journal
        if journal.active:
            action = None if args is None else Action(request.action, adapter.name, args)
            return journal.submit(outbound, lane, request, community=self.key, plugin=self.plugin,
                                  action=action, then=then, data=data, **extra)
        return outbound.submit(lane, request, community=self.key, plugin=self.plugin, then=then,
                               data=data, **extra)

    def _action(self, adapter: Adapter, lane: tuple[str, ...], kind: str, args: dict[str, Any],
                then: str | None, data: dict[str, Any] | None, **extra: Any) -> Pending:
        """Queue the action ``kind`` with ``args`` (see :data:`KINDS`)."""
        perform = KINDS[kind][0](self._app, self.key, adapter, args)
        return self._queue(adapter, lane, Request(kind, perform), then, data, args, **extra)

    def _route(self, channel: Channel) -> _Route | None:
        """The route of plain messages to ``channel`` (None: no adapter serves its network here)."""
        routes = self._routes
        route = routes.get(channel.id)
        if route is not None and route.serves(channel):
            return route
        adapter = self.adapter(channel.platform)
        if adapter is None:
            return None
        if len(routes) >= MAX_ROUTES:
            routes.clear()
        route = routes[channel.id] = _Route(self._app, self.community.key, adapter, channel)
        return route

    def _post(self, route: _Route, text: str, reply_to: str | None, answered: Member | None,
              then: str | None, data: dict[str, Any] | None) -> Pending:
        """Queue a plain message along ``route`` (mergeable with others under a backlog)."""
        community = self.community.key
        request = Request("send", route.perform, [(text, answered)], reply_to, True,
                          community=community, plugin=self.plugin, then=then)
        if data:
            request.data = dict(data)
        journal = self._app.journal
        if journal.durable or cause_var.get() is not None:  # journal.active, inline
            action = Action("send", route.adapter.name, route.args)
            return journal.submit(route.outbound, route.lane, request, community=community,
                                  plugin=self.plugin, action=action, then=then, data=data)
        return route.outbound.put(route.lane, request)

    async def send(
        self,
        channel: str | Channel,
        text: str,
        *,
        reply_to: str | None = None,
        pin: bool = False,
        unpin_previous: str | None = None,
        then: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> list[Pending]:
        """Queue ``text`` for a channel: a neutral name (on every network) or a :class:`Channel`.

        ``pin`` pins the message once posted, and ``unpin_previous`` (a message
        id) unpins an older one then; ``then`` asks for the outcome (with the
        message posted) through ``on_action_done``. Returns one
        :class:`Pending` per network.
        """
        targets = self.channels(channel) if isinstance(channel, str) else [channel]
        if isinstance(channel, str) and not targets:
            log.warning("no channel %r in %s", channel, self.key)
        queued = []
        for target in targets:
            adapter = self.adapter(target.platform)
            if adapter is None or not self._able(adapter, Capability.SEND):
                continue
            queued.append(self._send(adapter, target, text, reply_to, None, pin=pin,
                                     unpin_previous=unpin_previous, then=then, data=data))
        return queued

    def _send(
        self, adapter: Adapter, target: Channel, text: str, reply_to: str | None,
        answered: Member | None, *, pin: bool = False, unpin_previous: str | None = None,
        then: str | None = None, data: dict[str, Any] | None = None,
    ) -> Pending:
        pin = pin and self._able(adapter, Capability.PIN)
        if not pin and unpin_previous is None:
            route = self._route(target)
            if route is not None and route.adapter is adapter:
                return self._post(route, text, reply_to, answered, then, data)
        args = {"channel": target, "pin": pin, "unpin_previous": unpin_previous}
        perform = _send(self._app, self.key, adapter, args)
        lane = self._app.outbound(adapter).lane_for("channel", target.id)
        request = Request("send", perform, [(text, answered)], reply_to, not pin)
        return self._queue(adapter, lane, request, then, data, args)

    async def send_file(
        self,
        channel: str | Channel,
        content: bytes,
        filename: str,
        *,
        text: str = "",
        then: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> list[Pending]:
        """Queue a file (an image: ``chart.png``) for a channel, with ``text`` as its caption.

        On a network without :attr:`~hearth.Capability.FILES` the ``text`` alone is
        posted (the missing capability is logged once). Returns one
        :class:`Pending` per network; ``then`` and ``data`` as for :meth:`send`.
        """
        targets = self.channels(channel) if isinstance(channel, str) else [channel]
        if isinstance(channel, str) and not targets:
            log.warning("no channel %r in %s", channel, self.key)
        queued = []
        community = self.key
        for target in targets:
            adapter = self.adapter(target.platform)
            if adapter is None or not self._able(adapter, Capability.SEND):
                continue
            if not self._able(adapter, Capability.FILES):
                if text:
                    queued.append(self._send(adapter, target, text, None, None, then=then, data=data))
                continue

            async def perform(_text: str | None, _reply: str | None, adapter: Adapter = adapter,
                              target: Channel = target) -> Any:
                sent = await adapter.send_file(community, target, content, filename, text=text)
                self._app.people.ledger.bot_message(community, sent)
                return sent

            lane = self._app.outbound(adapter).lane_for("channel", target.id)
            queued.append(self._queue(adapter, lane, Request("send_file", perform), then, data))
        return queued

    async def reply(
        self, message: Message, text: str, *, then: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> Pending | None:
        """Answer ``message`` where it was posted (in its channel, or by DM).

        Under a backlog, replies to one channel may be merged into one message
        that names each member answered. The answer to a natively invoked
        command (a slash command) goes back to the adapter that invoked it, which
        delivers it natively, never merged; None is returned then.
        """
        app = self._app
        answers = app.answers_to(message) if app._answers else None
        if answers is not None:
            answers.append(text)
            return None
        if message.channel.dm_with is not None:
            return await self.dm(message.author, text, then=then, data=data)
        return self._reply_in_channel(message, text, then, data)

    def _reply_in_channel(self, message: Message, text: str, then: str | None = None,
                          data: dict[str, Any] | None = None) -> Pending | None:
        """:meth:`reply` to a message posted in a channel and not natively invoked, without a
        coroutine (a command's answer is queued this way)."""
        channel = message.channel
        route = self._routes.get(channel.id)
        if route is None or route.channel is not channel:
            route = self._route(channel)
            if route is None:
                return None
        if not route.adapter.can(Capability.SEND):
            self._able(route.adapter, Capability.SEND)  # reported
            return None
        return self._post(route, text, message.id, message.author, then, data)

    async def dm(
        self, member: Member, text: str, *, then: str | None = None,
        data: dict[str, Any] | None = None, previews: bool = True,
    ) -> Pending | None:
        """Queue a direct message to ``member`` (paced by the network's DM pace).

        None when the network cannot send DMs; otherwise ``then`` tells whether
        it was delivered (a member who refuses DMs: ``refused``). ``previews=False``
        asks the network not to unfurl its links (a one-time login link).
        """
        adapter = self.adapter(member.platform)
        if adapter is None or not self._able(adapter, Capability.DM):
            return None
        args = {"member": member, "previews": previews}
        request = Request("dm", _dm(self._app, self.key, adapter, args), [(text, None)])
        return self._queue(adapter, ("dm",), request, then, data, args, dm_to=member.id)

    async def ask(
        self,
        member: Member,
        question: str,
        choices: Sequence[str] | None = None,
        multiple: bool = False,
        *,
        key: str,
        data: dict[str, Any] | None = None,
    ) -> int:
        """Ask ``member`` a question by direct message; the answer comes to ``on_answer``.

        Without ``choices`` any non-empty reply is the answer; with them (2 to
        100 labels) the member answers by number (``2``; ``1 3`` when
        ``multiple``), or with buttons or a menu where the network shows them.
        A member has one open question per DM conversation: this one waits its
        turn behind questions asked before (by any plugin or community). The
        question names this community, and only this plugin, here, hears the
        answer, with ``key`` and ``data`` (JSON) given back. Questions survive
        a restart; those of a member who leaves are dropped. Returns the
        question's id. ``ValueError`` for a question that cannot be asked.
        """
        return await self._app.dialogs.ask(self.key, self.plugin, member, question,
                                           choices=choices, multiple=multiple, key=key, data=data)

    async def cancel_questions(self, member: Member | None = None,
                               keys: Sequence[str] | None = None) -> int:
        """Withdraw this plugin's unanswered questions here, open or waiting: those to
        ``member`` if given, with one of ``keys`` if given. Returns how many; the
        member's next question (if any) is sent."""
        return await self._app.dialogs.cancel(self.key, self.plugin, member, keys)

    async def delete(self, message: Message, reason: str) -> bool:
        """Queue the deletion of ``message`` (never twice); True if it was queued now."""
        return await self._app.delete_message(self.key, message, reason)

    def _delete(self, adapter: Adapter, message: Message, reason: str) -> Pending:
        """Queue deleting ``message`` (the app's :meth:`~hearth.app.App.delete_message` does it
        once, in the name of the plugin whose hook is running)."""
        return self._action(adapter, ("delete",), "delete", {
            "channel": message.channel, "message_id": message.id, "reason": reason}, None, None)

    def _member_action(
        self, member: Member, capability: Capability, what: str, args: dict[str, Any],
        then: str | None, data: dict[str, Any] | None,
    ) -> Pending | None:
        """Queue ``what`` (a moderation action, :data:`KINDS`) for ``member``, with ``args``."""
        adapter = self.adapter(member.platform)
        if adapter is None or not self._able(adapter, capability):
            return None
        # A removal waits (bounded) for a DM queued to the member before it: it tells them why.
        waits = member.id if what in ("kick", "ban") else None
        return self._action(adapter, ("moderation",), what, {"member": member, **args}, then, data,
                            depends_on_dm=waits)

    def _linked(self, member: Member) -> list[Member]:
        """``member`` and the person's other accounts present here (moderation reaches them all)."""
        others = [r.member for r in self.accounts(member)[1:] if r.present]
        return [member, *others]

    async def mute(self, member: Member, until: datetime, reason: str, *,
                   then: str | None = None, data: dict[str, Any] | None = None) -> Pending | None:
        """Queue a mute: ``member`` cannot post until ``until``; None when the network cannot.

        The person's linked accounts on other networks are muted too (``then`` and
        the returned :class:`Pending` are ``member``'s). On a network whose mutes do
        not end by themselves (no ``TIMED_MUTE``), the core unmutes at ``until`` (a
        persistent job; muting again moves it).
        """
        first = None
        for i, target in enumerate(self._linked(member)):
            pending = await self._mute_one(target, until, reason, then if i == 0 else None,
                                           data if i == 0 else None)
            first = pending if i == 0 else first
        return first

    async def _mute_one(self, member: Member, until: datetime, reason: str, then: str | None,
                        data: dict[str, Any] | None) -> Pending | None:
        pending = self._member_action(member, Capability.MUTE, "mute",
                                      {"until": until, "reason": reason}, then, data)
        adapter = self.adapter(member.platform)
        if pending is not None and adapter is not None and not adapter.can(Capability.TIMED_MUTE):
            await self._app.scheduler.schedule(self.key, CORE, mutes.job_key(member), until,
                                               data=mutes.job_data(member))
        return pending

    def _to_linked(
        self, member: Member, capability: Capability, what: str, args: dict[str, Any],
        then: str | None, data: dict[str, Any] | None,
    ) -> Pending | None:
        """Queue ``what`` for ``member`` and the person's linked accounts; ``member``'s Pending."""
        first = None
        for i, target in enumerate(self._linked(member)):
            pending = self._member_action(target, capability, what, args,
                                          then if i == 0 else None, data if i == 0 else None)
            first = pending if i == 0 else first
        return first

    async def unmute(self, member: Member, *, then: str | None = None,
                     data: dict[str, Any] | None = None) -> Pending | None:
        """Queue lifting the mute of ``member`` and the person's linked accounts now (pending
        unmutes by the core are cancelled)."""
        for target in self._linked(member):
            await self._app.scheduler.cancel(self.key, CORE, mutes.job_key(target))
        return self._to_linked(member, Capability.MUTE, "unmute", {}, then, data)

    async def kick(self, member: Member, reason: str, *, then: str | None = None,
                   data: dict[str, Any] | None = None) -> Pending | None:
        """Queue a kick of ``member`` and of the person's linked accounts; it waits (bounded)
        for a DM queued to the member before it."""
        pending = self._to_linked(member, Capability.KICK, "kick", {"reason": reason}, then, data)
        self._removed(member, pending, "kick", reason)
        return pending

    async def ban(self, member: Member, reason: str, *, then: str | None = None,
                  data: dict[str, Any] | None = None) -> Pending | None:
        """Queue a ban of ``member`` and of the person's linked accounts; it waits (bounded)
        for a DM queued to the member before it."""
        pending = self._to_linked(member, Capability.BAN, "ban", {"reason": reason}, then, data)
        self._removed(member, pending, "ban", reason)
        return pending

    def _removed(self, member: Member, pending: Pending | None, action: str, reason: str) -> None:
        """Tell every plugin (``on_member_removed``) of a removal just queued."""
        if pending is not None:
            event_id = f"removed:{member.platform}:{member.id}:{next(_removals)}"
            self._app.follow_up(self.key, MemberRemovedEvent(
                platform=CORE, id=event_id, community=self.key, time=self.now(), member=member,
                action=action, reason=reason, by=self.plugin))

    async def unban(self, member: Member, *, then: str | None = None,
                    data: dict[str, Any] | None = None) -> Pending | None:
        """Queue lifting ``member``'s ban."""
        return self._member_action(member, Capability.BAN, "unban", {}, then, data)

    async def grant_role(self, member: Member, role: Role, *, then: str | None = None,
                         data: dict[str, Any] | None = None) -> Pending | None:
        """Make ``role`` (newcomer, member or leader) Hearth's role for ``member``.

        Core data (:mod:`hearth.people.roles`), applied to each network (a
        Discord role, a Matrix power level) in its ``roles`` lane. A leader is
        the person's, on every network they are on; newcomer and member stay
        with the account. A granted role replaces
        the one before (a newcomer granted member is a member; a leader granted
        member is a member again). Every member whose effective role changes is
        told to plugins through ``on_role_changed``. Returns the application on
        ``member``'s network (``then=`` tells its outcome), None when nothing
        changes or the network cannot hold roles. ``ValueError`` for admin or
        owner: those are made on the network.
        """
        return await self._app.roles.grant(self.key, self.plugin, member, role, then=then, data=data)

    async def revoke_role(self, member: Member, role: Role, *, then: str | None = None,
                          data: dict[str, Any] | None = None) -> Pending | None:
        """Take back ``role`` if it is Hearth's role for ``member``: a leader becomes a
        member; a newcomer or member is left with the network's role. See :meth:`grant_role`."""
        return await self._app.roles.revoke(self.key, self.plugin, member, role, then=then, data=data)

    @property
    def groups(self) -> GroupsView:
        """This plugin's temporary groups: create, invite, remove, summarise, close
        (:class:`~hearth.groups.GroupsView`)."""
        return GroupsView(self._app.groups, self)

    async def hold_newcomers(self, platform: str, reason: str, *, then: str | None = None,
                             data: dict[str, Any] | None = None) -> Pending | None:
        """Queue stopping every newcomer on ``platform`` from posting here, with one change
        for them all (``Capability.HOLD_NEWCOMERS``); None when the network cannot."""
        return self._community_action(platform, "hold", {"reason": reason}, then, data)

    async def release_newcomers(self, platform: str, *, then: str | None = None,
                                data: dict[str, Any] | None = None) -> Pending | None:
        """Queue lifting :meth:`hold_newcomers` on ``platform``."""
        return self._community_action(platform, "release", {}, then, data)

    def _community_action(self, platform: str, what: str, args: dict[str, Any],
                          then: str | None, data: dict[str, Any] | None) -> Pending | None:
        adapter = self.adapter(platform)
        if adapter is None or not self._able(adapter, Capability.HOLD_NEWCOMERS):
            return None
        return self._action(adapter, ("moderation",), what, args, then, data)

    async def pin(self, channel: Channel, message_id: str, *, then: str | None = None,
                  data: dict[str, Any] | None = None) -> Pending | None:
        """Queue pinning a message (in order with the channel's messages)."""
        return self._pinning("pin", channel, message_id, then, data)

    async def unpin(self, channel: Channel, message_id: str, *, then: str | None = None,
                    data: dict[str, Any] | None = None) -> Pending | None:
        """Queue unpinning a message (one that is not pinned is no error)."""
        return self._pinning("unpin", channel, message_id, then, data)

    def _pinning(self, what: str, channel: Channel, message_id: str, then: str | None,
                 data: dict[str, Any] | None) -> Pending | None:
        adapter = self.adapter(channel.platform)
        if adapter is None or not self._able(adapter, Capability.PIN):
            return None
        lane = self._app.outbound(adapter).lane_for("channel", channel.id)
        return self._action(adapter, lane, what, {"channel": channel, "message_id": message_id},
                            then, data)

    # -- who is let into a channel ------------------------------------------
    async def invite(self, channel: str, member: Member) -> int:
        """Let ``member``'s person into the community's channel ``channel`` (a neutral name),
        on each network where it is mapped, through their account there. Waits for the
        network, like ``ctx.groups``; needs :attr:`~hearth.Capability.GROUPS`. Returns on
        how many networks it was done (a refusal is logged)."""
        return await self._membership("invite", channel, member)

    async def remove_from_channel(self, channel: str, member: Member) -> int:
        """Take ``member``'s person out of the community's channel ``channel`` on each network
        (someone not in it is no error). See :meth:`invite`."""
        return await self._membership("remove", channel, member)

    async def _membership(self, what: str, channel: str, member: Member) -> int:
        accounts = {r.platform: r.member for r in reversed(self.accounts(member))}
        accounts[member.platform] = member
        done = 0
        for target in self.channels(channel):
            adapter = self.adapter(target.platform)
            account = accounts.get(target.platform)
            if adapter is None or account is None or not self._able(adapter, Capability.GROUPS):
                continue
            call = adapter.invite if what == "invite" else adapter.remove_from_group
            ok, _ = await self._act(adapter, f"{what} {account.id} in {channel}",
                                    call(self.key, target, account))
            done += ok
        return done


# -- how each action is performed: what a queued action becomes in any process ----------
async def _act(adapter: Adapter, what: str, coro: Any) -> tuple[bool, Any]:
    """Run an adapter call now; (True, its result), or (False, None) when the platform refused."""
    try:
        return True, await coro
    except AdapterError as exc:
        exc.platform = exc.platform or adapter.name
        log.warning("%s failed: %s", what, exc)
        return False, None


def _send(app: App, community: str, adapter: Adapter, a: dict[str, Any]) -> Perform:
    target, pin, unpin_previous = a["channel"], a["pin"], a["unpin_previous"]

    async def perform(text: str | None, reply_to: str | None) -> Any:
        sent = await adapter.send(community, target, text or "", reply_to=reply_to)
        app.people.ledger.bot_message(community, sent)
        if pin:  # a compound action: its parts fail alone, the message stays sent
            for what, call in (("pin", adapter.pin), ("unpin", adapter.unpin)):
                message_id = sent.id if what == "pin" else unpin_previous
                if message_id:
                    await _act(adapter, what, call(community, target, message_id))
        return sent

    return perform


def _dm(app: App, community: str, adapter: Adapter, a: dict[str, Any]) -> Perform:
    member, previews = a["member"], a["previews"]

    async def perform(text: str | None, _reply: str | None) -> Any:
        return await adapter.dm(community, member, text or "", previews=previews)

    return perform


def _call(method: str, *names: str) -> Callable[[App, str, Adapter, dict[str, Any]], Perform]:
    """The maker of a Perform that calls ``adapter.method(community, *args[names])``."""
    def make(app: App, community: str, adapter: Adapter, a: dict[str, Any]) -> Perform:
        call = getattr(adapter, method)
        values = [a[n] for n in names]

        async def perform(_text: str | None, _reply: str | None) -> Any:
            return await call(community, *values)

        return perform

    return make


#: every action that can be queued again by another process (:mod:`hearth.journal`): its
#: kind, the maker of its Perform and its arguments' types (to read them back)
KINDS: dict[str, tuple[Callable[[App, str, Adapter, dict[str, Any]], Perform], dict[str, Any]]] = {
    "send": (_send, {"channel": Channel, "pin": bool, "unpin_previous": str | None}),
    "dm": (_dm, {"member": Member, "previews": bool}),
    "delete": (_call("delete", "channel", "message_id", "reason"),
               {"channel": Channel, "message_id": str, "reason": str}),
    "mute": (_call("mute", "member", "until", "reason"),
             {"member": Member, "until": datetime, "reason": str}),
    "unmute": (_call("unmute", "member"), {"member": Member}),
    "kick": (_call("kick", "member", "reason"), {"member": Member, "reason": str}),
    "ban": (_call("ban", "member", "reason"), {"member": Member, "reason": str}),
    "unban": (_call("unban", "member"), {"member": Member}),
    "hold": (_call("hold_newcomers", "reason"), {"reason": str}),
    "release": (_call("release_newcomers"), {}),
    "pin": (_call("pin", "channel", "message_id"), {"channel": Channel, "message_id": str}),
    "unpin": (_call("unpin", "channel", "message_id"), {"channel": Channel, "message_id": str}),
}


def perform_for(app: App, community: str, action: Action) -> Perform | None:
    """The Perform of ``action`` as the journal read it back (plain JSON arguments) in
    ``community``; None when no adapter serves its network there or its kind is unknown."""
    adapter = app.adapter_for(community, action.platform)
    known = KINDS.get(action.kind)
    if adapter is None or known is None:
        return None
    make, types = known
    args = {name: codec.read(types[name], value) for name, value in action.args.items()}
    return make(app, community, adapter, args)
