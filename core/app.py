"""The running bot: storage, plugins, adapters, the dispatcher and the scheduler.

Inbound path: an adapter calls :meth:`App.submit`; the event is de-duplicated
by ``(platform, id)`` and queued for its community (bounded: a flood makes
adapters wait instead of growing memory); a natively invoked command (a slash
command) is queued the same way by :meth:`App.run_command`, which returns its
answers to the adapter once handled. A direct message belongs to the community
its sender is a member of (see :meth:`App._route_dm`). Due jobs enter the same
inbox (:class:`~hearth.events.JobDueEvent`). With several processes, the worker of
a community another process acts for stores its events for that one
(:mod:`hearth.inbox`), and each event is handled once across processes
(:mod:`hearth.once`); a stored command whose caller waits (the dashboard's
action) gets its answers back through the database (:mod:`hearth.answers`).
A community's plugins start (``on_startup``) in the process acting for it:
at start-up, or when it takes the community over
(:class:`~hearth.events.CommunityAcquiredEvent`). One worker per community handles
its events in order: moderation first (first verdict wins), then commands or
the general message hooks. Hooks run only for the plugins the community
enables; a failing plugin is logged with its name and skipped.

Outbound path: every action a plugin takes is handed to the network's
:class:`~hearth.outbox.Outbound` and delivered by its own tasks at the
network's pace; the worker never waits for delivery. An action queued with
``then=`` comes back as an :class:`~hearth.events.ActionDoneEvent` in the
community's inbox.
enables; a failing plugin is logged with its name and skipped (and reported to
``on_plugin_error``); one whose migration or ``on_startup`` fails is disabled
in every community. Hook names come from the hookspecs; :data:`NOTIFY_HOOKS`
routes events to them.

Every long-running task (the workers, the scheduler, adapters' receiving
loops through :meth:`AdapterHost.supervise`) runs under one
:class:`~hearth.supervisor.Supervisor`; when the app cannot work, ``failed``
is set and ``hearth run`` exits non-zero with ``failure``.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from hearth import mutes
from hearth.answers import Answers
from hearth.clock import Clock, SystemClock
from hearth.commands import (
    Command,
    CommandClash,
    CommandRegistry,
    Invocation,
    Param,
    check_permission,
    help_text,
    is_for,
    resolve_members,
)
from hearth.config import CommunityConfig, HearthConfig
from hearth.context import CORE, PluginContext, perform_for
from hearth.declarations import LeaderCandidate, Verdict
from hearth.dispatch import BoundImpl, HookTable
from hearth.errors import (
    CommandError,
    PermissionDenied,
    StartupError,
    StorageError,
    StorageUnavailable,
    UsageError,
)
from hearth.events import (
    ActionDoneEvent,
    AdapterReadyEvent,
    ChoiceMadeEvent,
    CommandInvokedEvent,
    CommunityAcquiredEvent,
    Event,
    JobDueEvent,
    MemberJoinedEvent,
    MemberLeftEvent,
    MemberRemovedEvent,
    MemberUpdatedEvent,
    MessageDeletedEvent,
    MessageEditedEvent,
    MessagePostedEvent,
    ReactionAddedEvent,
    RoleChangedEvent,
)
from hearth.flood import FloodGuard
from hearth.groups import JOB_PREFIX as GROUP_JOBS
from hearth.groups import GroupService
from hearth.inbox import Inbox, Routed, SharedInbox
from hearth.journal import Cause, Journal, cause_var
from hearth.leases import LEASE_TTL, Leases
from hearth.logs import community_var, plugin_var
from hearth.models import Capability, Member, Message, Reaction, Role
from hearth.once import ACTIONS, DELETES, EVENTS, Once
from hearth.outbox import Outbound, Outcome, Request
from hearth.people.commands import PeopleCommands
from hearth.people.dialogs import Answer, Dialogs, Question
from hearth.people.persons import Person
from hearth.people.records import Account
from hearth.people.roles import Roles
from hearth.people.service import People
from hearth.ports import Adapter, AdapterHost, Claims, CommunityBinding, KeyValue, RoleIds
from hearth.recent import Recent
from hearth.registry import PluginSet
from hearth.reports import Panel, Pyramid, Referral, Report
from hearth.rules import rules_command
from hearth.scheduler import Job, Scheduler
from hearth.spacing import Spacing
from hearth.storage import CORE_MIGRATIONS, CommunityStore, Database, KeyValueStore, Store
from hearth.supervisor import Supervisor
from hearth.text import mention
from hearth.timeutil import format_duration, to_ms
from hearth.web.commands import dashboard_command

if TYPE_CHECKING:
    from hearth.web.logins import Logins

log = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
#: events (and queued deletions) remembered at least, so a repeat is ignored. A repeat is
#: a network's replay after a dropped connection (a Discord RESUME replays the few minutes
#: missed, a Matrix sync retries its last batch), far fewer events than this; each
#: remembered event costs about 70 bytes, at most twice this many are kept (in this
#: process; across processes see :mod:`hearth.once`).
SEEN_SIZE = 20_000
#: events for a community another process acts for, stored at once
FORWARD_BATCH = 100
#: how often the records of events handled are written (seconds; see :mod:`hearth.once`)
RECORD_EVERY = 0.2
#: events the core makes (their ids are this process's own), never de-duplicated across processes
CORE_EVENTS = (JobDueEvent, ActionDoneEvent, RoleChangedEvent, CommunityAcquiredEvent,
               MemberRemovedEvent)
#: the inbox of direct messages that belong to no community (not a valid community key)
LOBBY = "*"

#: Events that notify plugins through one hook, which receives the event's
#: fields of the same names as its arguments (a test checks this against the
#: hookspecs). Posted messages and native commands go through moderation and
#: the command registry first (:meth:`App._event_handlers`).
NOTIFY_HOOKS: dict[type[Event], str] = {
    MemberJoinedEvent: "on_member_join",
    MemberLeftEvent: "on_member_leave",
    ReactionAddedEvent: "on_reaction",
    MessageEditedEvent: "on_message_edit",
    MessageDeletedEvent: "on_message_delete",
    RoleChangedEvent: "on_role_changed",
    MemberRemovedEvent: "on_member_removed",
}


@dataclass(frozen=True, slots=True)
class PluginFailure:
    """A plugin raised: in which community, in which hook or command, and what."""

    community: str
    plugin: str
    where: str
    error: BaseException


class _Host(AdapterHost):
    """The core as one adapter sees it."""

    def __init__(self, app: App, kv: KeyValue, role_ids: RoleIds) -> None:
        self._app = app
        self.clock = app.clock
        self.kv = kv
        self.role_ids = role_ids
        self.catch_up_limit = app.config.catch_up.max_events
        self.submit = app.submit  # type: ignore[method-assign,unused-ignore]  # hot path: no extra call

    async def handled(self) -> None:
        await self._app.handled()

    async def report_skipped(self, community: str, platform: str, count: int) -> None:
        await self._app.report_skipped(community, platform, count)

    def commands(self, community: str) -> Sequence[Command]:
        registry = self._app.registries.get(community)
        return list(registry) if registry else []

    async def run_command(self, event: CommandInvokedEvent) -> list[str] | None:
        return await self._app.run_command(event)

    def supervise(self, name: str, factory: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        return self._app.supervisor.run(name, factory)

    async def space_out(self, key: str, interval: float) -> None:
        await self._app.spacing.wait(key, interval)


class App:
    """One Hearth process: every configured community on every adapter."""

    #: how long a lease on a community or a claimed part lasts without renewal
    lease_ttl: ClassVar[timedelta] = LEASE_TTL

    def __init__(
        self,
        config: HearthConfig,
        plugins: PluginSet,
        adapters: Sequence[Adapter],
        *,
        clock: Clock | None = None,
        storage: str | None = None,
        on_plugin_error: Callable[[PluginFailure], None] | None = None,
    ) -> None:
        """``on_plugin_error`` is told of every exception a plugin raises (after it is logged)."""
        self.config = config
        #: the command prefix, read for every message (a plain attribute: a config model's
        #: attribute read costs as much again as the rest of the check)
        self._prefix = config.command_prefix
        self.plugins = plugins
        self.adapters = list(adapters)
        self.clock = clock or SystemClock()
        self._on_plugin_error = on_plugin_error
        self._storage_url = storage or config.storage
        self.db: Database | None = None
        self.contexts: dict[str, dict[str, PluginContext]] = {}
        self.registries: dict[str, CommandRegistry] = {}
        self._powers: dict[str, frozenset[str]] = {}
        self._disabled: set[str] = set()
        #: per community: each hook's implementations there, bound to their contexts
        self._hooks: dict[str, HookTable] = {}
        self._by_community: dict[str, list[Adapter]] = {}
        self._by_platform: dict[str, dict[str, Adapter]] = {}
        self._outbound: dict[str, Outbound] = {}
        self._flood = FloodGuard(config.command_flood)
        self._done_ids = 0
        self._queues: dict[str, Inbox[Event | Routed]] = {}
        #: the configured communities' inboxes (``_queues`` less the lobby's)
        self._inboxes: dict[str, Inbox[Event | Routed]] = {}
        self.supervisor = Supervisor(self.clock)
        #: events seen: per platform, by the hash of their id (a tenth of the memory of the ids)
        self._seen: defaultdict[str, Recent[int, None]] = defaultdict(lambda: Recent(SEEN_SIZE))
        self._reported: set[tuple[Any, ...]] = set()
        #: natively invoked commands being handled -> their answers (None: another
        #: process handles the command, and answers it through its ``answer_with``)
        self._answers: dict[tuple[str, str], list[str] | None] = {}
        #: natively invoked commands whose caller waits for answers from another process:
        #: message key -> the request recorded for them once stored for that one (else None)
        self._awaited: dict[tuple[str, str], str | None] = {}
        self.scheduler: Scheduler
        #: which communities this process acts for (all of them unless PostgreSQL is shared)
        self.leases: Leases
        #: events for communities another process acts for, on their way there
        self.inbox: SharedInbox
        #: events handled and messages deleted, for every process (see :mod:`hearth.once`)
        self.once: Once
        #: answers of commands run by the process acting for their community, for the one asking
        self.answers: Answers
        #: the keys of actions queued, and with PostgreSQL their rows (see :mod:`hearth.journal`)
        self.journal: Journal
        #: actions spaced out in time across processes (Discord's IDENTIFY pace)
        self.spacing = Spacing()
        self.groups = GroupService(self, CORE)
        #: questions asked by DM (``ctx.ask``), queued and answered one at a time per member
        self.dialogs = Dialogs(self)
        #: the member directory and the activity ledger
        self.people = People(self.clock, self._zone, config.activity.retention)
        #: ``link``, ``strikes`` and ``pardon``
        self.people_commands = PeopleCommands(self, CORE)
        #: the roles Hearth grants, applied to each network and read back
        self.roles = Roles(self)
        #: platform -> when its adapter last said it was connected (for the dashboard)
        self.network_ready: dict[str, datetime] = {}
        #: login links and the session key, when the dashboard is configured (``web:``)
        self.logins: Logins | None = None
        self.started = False
        #: communities whose ``on_startup`` ran (or is queued) since this process began
        #: acting for them; after start-up, a community acted for anew is started in turn
        self._started_up: set[str] = set()
        self._startup_done = False
        self._handlers = self._event_handlers()

    # ------------------------------------------------------------------ lifecycle
    def enabled(self, community: str) -> list[str]:
        """The plugins enabled in ``community``, in load order."""
        wanted = self.config.communities[community].plugins
        return [n for n in self.plugins.names if n in wanted and n not in self._disabled]

    def _disable(self, plugin: str, why: str) -> None:
        """Take ``plugin`` out of every community (it failed to start); the others run on."""
        if plugin in self._disabled:
            return
        self._disabled.add(plugin)
        log.error("plugin %s is disabled in every community: %s", plugin, why)
        for key, table in self._hooks.items():
            self._hooks[key] = table.without(plugin)
            commands = [c for c in self.registries[key] if c.plugin != plugin]
            self.registries[key] = CommandRegistry(commands)
            self._powers[key] = frozenset(c.power for c in commands if c.power)

    @property
    def failed(self) -> asyncio.Event:
        """Set when the app cannot work any more (see :attr:`failure`)."""
        return self.supervisor.failed

    @property
    def failure(self) -> str | None:
        """Why the app cannot work, in one line; None while it can."""
        return self.supervisor.reason

    async def open(self) -> None:
        """Open storage (migrated) and prepare the plugins' contexts; connect nothing."""
        self.db = await Database.open(self._storage_url)
        self.db.on_fatal = self.supervisor.fail
        bound = sorted({p for c in self.config.communities.values() for p in c.bindings})
        if self.db.created and bound and not any(a.virtual for a in self.adapters):
            log.warning(
                "the database %s is new, but the config binds communities to %s: if Hearth ran "
                "here before, its state (jobs, strikes, codes, positions) is not in this file",
                self.db.where, ", ".join(bound),
            )
        await self.db.migrate(Store(self.db, CORE), CORE_MIGRATIONS)
        await self.groups.migrate(self.db)
        await self.dialogs.open(self.db)
        await self.people.open(self.db, self.config.communities)
        self.people_commands.codes.db = self.db
        await self.roles.open(self.db, self.config.communities)
        if self.config.web is not None:
            from hearth.web.logins import Logins

            self.logins = Logins(self.db, self.clock)
            await self.logins.open()
        claims = [c for a in self.adapters if (c := a.claims()) is not None]
        self.leases = Leases(self.db, self.config.communities, claims=[*claims, *self._web_claims()],
                             ttl=self.lease_ttl)
        self.leases.on_claimed = self._claimed
        self.leases.on_gain = self._taking_over
        self.scheduler = Scheduler(self.db, self.clock, self._dispatch_job, self._zone,
                                   owned=self.leases.owned)
        self.leases.on_change = self._owners_changed
        self.inbox = SharedInbox(self.db, self._deliver)
        self.once = Once(self.db, self.clock)
        self.answers = Answers(self.db)
        self.journal = Journal(self.db, self.once, self.clock, self.leases.owns, self.leases.name)
        self.spacing = Spacing(self.db)
        await self.spacing.open()
        in_use = {n for key in self.config.communities for n in self.enabled(key)}
        for name in self.plugins.names:
            if name in in_use:
                try:
                    await self.db.migrate(Store(self.db, name), self.plugins.migrations.get(name, []))
                except Exception as exc:
                    self._disable(name, f"its migration failed: {exc!r}")
        for key, community in self.config.communities.items():
            self._prepare(key, community)

    def _web_claims(self) -> list[Claims]:
        """The dashboard, when configured: one process serves it, claiming it by lease."""
        from hearth.web import LEASE

        return [Claims(keys=(LEASE,), per_process=1)] if self.config.web is not None else []

    async def start(self, *, run_scheduler: bool = True) -> None:
        """Open storage, prepare plugins, connect adapters, run start-up hooks."""
        await self.open()
        for key in [*self.config.communities, LOBBY]:
            self._queues[key] = Inbox(QUEUE_SIZE)
            if key != LOBBY:
                self._inboxes[key] = self._queues[key]
            self.supervisor.run(f"worker {key}", lambda k=key: self._worker(k))
        await self.leases.renew()
        if self.leases.shared:  # leases run on the database's real clock, even in a simulation
            self.supervisor.run("leases", self.leases.run_forever)
            await self.once.load(EVENTS)  # what was handled before a restart is redelivered
            await self.once.load(ACTIONS)
            await self.inbox.listen()
            self.supervisor.run("inbox", lambda: self.inbox.run_forever(self.leases.owned))
            self.supervisor.run("once", self._write_records_forever)
        for adapter in self.adapters:
            self._outbound[adapter.name] = Outbound(adapter.name, adapter.pace, self.clock,
                                                    self._action_done)
        # what the process acting before left undelivered goes first, once its network is up
        self.journal.starting(self._outbound)
        await self._restore(self.leases.owned())
        for adapter in self.adapters:
            await adapter.start(_Host(self, KeyValueStore(self.db, f"adapter:{adapter.name}"),
                                      self.roles.network_roles(adapter.name)))
            self.journal.started(adapter.name)
            for problem in await adapter.check_permissions():
                log.warning("%s: %s", adapter.name, problem)
        self._check_capabilities()
        await self.groups.start()
        await self.dialogs.resume()
        for key in self.config.communities:
            if self.leases.owns(key):  # another process keeps the others' members in step
                await self.people.refresh(key, self._by_community[key],
                                          functools.partial(self.roles.listed, key))
        for key in self.config.communities:
            if self.leases.owns(key):  # the others when this process acts for them
                self._started_up.add(key)
                await self._call(key, "on_startup")
        self._startup_done = True
        self._start_up_acquired()  # taken over meanwhile
        await self.scheduler.run_due()
        if run_scheduler and not self.clock.virtual:
            await self.scheduler.listen()
            self.supervisor.run("scheduler", self.scheduler.run_forever)
        if not self.clock.virtual:
            self.supervisor.run("activity writer", self.people.ledger.write_periodically)
        if self.logins is not None and not self.clock.virtual:
            from hearth.web.server import Dashboard  # aiohttp's server only with a dashboard

            self.supervisor.run("dashboard", Dashboard(self, self.logins).serve)
        self.started = True
        # What start-up built (modules, plugins, config) lives as long as the process:
        # keep it out of every later garbage collection, which would walk it each time.
        gc.freeze()
        log.info(
            "started: %d communities, %d adapters (%s)",
            len(self.config.communities),
            len(self.adapters),
            ", ".join(a.name for a in self.adapters),
        )

    async def stop(self) -> None:
        """Stop adapters, finish queued events, run shutdown hooks, close storage."""
        for adapter in self.adapters:
            try:
                await adapter.stop()
            except Exception:
                log.exception("adapter %s failed to stop cleanly", adapter.name)
        if self.started and not self.failed.is_set():  # after a failure, work may never finish
            await self.settle()
            for key in self.config.communities:
                if self.leases.owns(key):
                    await self._call(key, "on_shutdown")
            await self.settle()
        if self._outbound:
            self.journal.closing = True  # what is left queued stays for the next process
        for outbound in self._outbound.values():
            await outbound.close()
        await self.supervisor.stop()
        if self.db is not None:
            try:
                if self.started:
                    await self._write_records()
                    await self.leases.release()
                await self.people.close()
            except StorageError as exc:
                log.error("the activity counted last could not be written: %s", exc)
            finally:
                await self.db.close()
                self.db = None
        self.started = False

    async def __aenter__(self) -> App:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _taking_over(self, communities: frozenset[str]) -> None:
        """Read again what the process that acted for ``communities`` until now left in the
        database (members, persons, roles, open questions, events handled) before acting
        for them, and empty the plugins' caches there, which may be stale."""
        assert self.db is not None
        await self.read_again(communities)
        await self.dialogs.open(self.db)
        await self.once.load(EVENTS)
        await self.once.load(ACTIONS)
        await self._restore(communities)

    async def read_again(self, communities: Collection[str]) -> None:
        """Read again what the process acting for ``communities`` keeps in the database
        (members, persons, roles granted) and empty the plugins' caches there: before this
        process acts for them (a takeover), or to show them while another process acts for
        them (the dashboard)."""
        await self.people.reload(communities)
        await self.roles.reload(communities)
        for key in communities:
            for ctx in self.contexts.get(key, {}).values():
                ctx.cache.clear()

    async def _restore(self, communities: frozenset[str] | None) -> None:
        """Queue the actions the process that acted for ``communities`` left undelivered
        (with PostgreSQL; None: every community)."""
        if self.journal.durable:
            await self.journal.restore(
                self.config.communities if communities is None else communities,
                self._outbound.get, functools.partial(perform_for, self))

    def _claimed(self, keys: frozenset[str]) -> None:
        """Tell each adapter which of its parts (Discord shards, the Matrix sync) this process
        holds now."""
        for adapter in self.adapters:
            claims = adapter.claims()
            if claims is not None:
                adapter.claimed(keys.intersection(claims.keys))

    def _zone(self, community: str) -> ZoneInfo:
        found = self.config.communities.get(community)
        return found.timezone if found else ZoneInfo("UTC")

    def _prepare(self, key: str, community: CommunityConfig) -> None:
        assert self.db is not None
        names = self.enabled(key)
        self.contexts[key] = {
            name: PluginContext(self, community, name, community.plugins.get(name),
                                CommunityStore(self.db, name, key))
            for name in names
        }
        self.contexts[key][CORE] = PluginContext(self, community, CORE, None,
                                                 CommunityStore(self.db, CORE, key))
        self.registries[key] = registry = self._command_registry(key, names)
        self._powers[key] = frozenset(c.power for c in registry if c.power)
        self._hooks[key] = HookTable.compile(self.plugins, names, self.contexts[key])
        self._by_community[key] = [
            a for a in self.adapters if a.virtual or a.name in community.bindings
        ]
        self._by_platform[key] = {a.name: a for a in reversed(self._by_community[key])}

    def _command_registry(self, key: str, names: list[str]) -> CommandRegistry:
        """Every command of community ``key``; :class:`StartupError` on a name clash."""
        commands = [self._help_command(), rules_command(CORE), *self.people_commands.commands()]
        web = self.config.web
        commands.append(dashboard_command(self.logins if web else None,
                                          web.base_url if web else None, CORE))
        for name in names:
            commands.extend(self.plugins.commands.get(name, []))
        commands.extend(self._community_commands(key, names))
        return CommandRegistry(commands)

    def _community_commands(self, key: str, names: list[str]) -> list[Command]:
        """What ``register_community_commands`` declares for community ``key``."""
        found: list[Command] = []
        for ref in self.plugins.impls("register_community_commands", names):
            ctx = self.contexts[key][ref.plugin]
            try:
                declared = ref.function(**{a: ctx for a in ref.argnames})
            except Exception as exc:
                raise StartupError(
                    f"plugin {ref.plugin!r} failed in register_community_commands for {key!r}: {exc}"
                ) from exc
            found.extend(replace(c, plugin=ref.plugin) for c in declared or ())
        return found

    def _check_capabilities(self) -> None:
        for key in self.config.communities:
            for name in self.enabled(key):
                for need in self.plugins.needs.get(name, []):
                    for adapter in self._by_community[key]:
                        if not adapter.can(need.capability):
                            self.report_once(
                                (key, name, adapter.name, need.capability),
                                "%s in %s: the %s adapter cannot %s, so %s is off there",
                                name, key, adapter.name, need.capability.value, need.feature,
                            )

    def report_once(self, key: tuple[Any, ...], msg: str, *args: Any) -> None:
        """Log a warning the first time ``key`` is seen."""
        if key not in self._reported:
            self._reported.add(key)
            log.warning(msg, *args)

    def report_missing(self, community: str, plugin: str, platform: str, cap: Capability) -> None:
        self.report_once(
            (community, plugin, platform, cap),
            "%s in %s: the %s adapter cannot %s; skipped",
            plugin, community, platform, cap.value,
        )

    def adapters_for(self, community: str) -> list[Adapter]:
        return self._by_community.get(community, [])

    def adapter_for(self, community: str, platform: str) -> Adapter | None:
        """The adapter serving ``community`` on ``platform`` (None: the community is not there)."""
        found = self._by_platform.get(community)
        return found.get(platform) if found else None

    def outbound(self, adapter: Adapter) -> Outbound:
        """The outbound flow of ``adapter``'s network."""
        return self._outbound[adapter.name]

    def outbound_queued(self) -> int:
        """Actions waiting or in flight on every network."""
        return sum(o.queued for o in self._outbound.values())

    def follow_up(self, community: str, event: Event) -> None:
        """Queue an event the core produced while handling another (a role change) in
        ``community``'s inbox; it is handled after the current one."""
        queue = self._queues.get(community)
        if queue is not None:
            queue.push(event)

    def _deliver(self, community: str, item: Event | Routed) -> None:
        """Queue what the shared inbox holds for ``community`` for its worker."""
        queue = self._queues.get(community)
        if queue is not None:
            queue.push(item)
        elif isinstance(item, Routed):
            log.warning("stored event %d belongs to no configured community %r; left", item.seq,
                        community)

    def _owners_changed(self) -> None:
        """This process acts for other communities now: look for their jobs and stored
        events."""
        self.scheduler.wake()
        self.inbox.wake(everything=True)
        self._start_up_acquired()

    def _start_up_acquired(self) -> None:
        """Queue ``on_startup`` for each community this process began acting for since its
        start-up (:class:`~hearth.events.CommunityAcquiredEvent`), and forget the ones it no
        longer acts for, which start again if it acts for them again."""
        owned = self.leases.owned()
        if owned is None:  # one process: every community started with it
            return
        self._started_up &= owned
        if not self._startup_done:
            return
        for key in sorted(owned - self._started_up):
            self._started_up.add(key)
            self.follow_up(key, CommunityAcquiredEvent(
                platform="hearth", id=f"acquired:{key}", community=key, time=self.clock.now()))

    async def _write_records_forever(self) -> None:
        """Write the records of events handled (in real time, like the leases): every
        :data:`RECORD_EVERY` seconds; forget old ones hourly."""
        pruned = 0.0
        while True:
            await asyncio.sleep(RECORD_EVERY)
            try:
                await self._write_records()
                if time.monotonic() - pruned > 3600:
                    pruned = time.monotonic()
                    await self.once.prune()
                    await self.answers.prune()
            except StorageError as exc:
                log.warning("could not write the records of events handled: %s", exc)

    async def _write_records(self) -> None:
        """Write the records of events handled and the rows of actions queued, together."""
        assert self.db is not None
        if not self.journal.unwritten:
            await self.once.flush()
            return
        async with self.db.transaction():
            await self.once.flush()
            await self.journal.flush()

    async def _action_done(self, community: str, plugin: str, outcome: Outcome) -> None:
        """An action queued with ``then=`` was settled: tell its plugin through the inbox."""
        queue = self._queues.get(community)
        if queue is None:
            return
        if outcome.status == "refused" and not self.leases.owns(community):
            return  # not delivered since another process acts for it now: that one will
        self._done_ids += 1
        await queue.put(ActionDoneEvent(platform="hearth", id=f"done:{self._done_ids}",
                                        community=community, time=outcome.time, plugin=plugin,
                                        outcome=outcome))

    # ------------------------------------------------------------------ inbound
    async def submit(self, event: Event) -> None:
        """Accept an event from an adapter: de-duplicate, then queue it for its community.

        Returns once it is queued; :meth:`handled` returns once it is handled, or stored in
        the shared inbox when another process acts for its community (:meth:`_forward`).
        Whatever else brings events to a community (the dashboard) submits them here too.
        """
        seen = self._seen[event.platform]
        key = hash(event.id)
        new = seen.new  # seen.add, inline: every inbound event passes here
        if key in new or key in seen.old:
            return
        new[key] = None
        if len(new) >= seen.size:
            seen.old, seen.new = new, {}
        if type(event) is MessagePostedEvent and event.message.channel.dm_with is None:
            queue = self._inboxes.get(event.community)  # most events: a configured channel's
            if queue is not None:
                if not queue.offer(event):  # full: wait for room
                    await queue.put(event)
                return
        if _dm_sender(event) is None and not isinstance(event, ChoiceMadeEvent):
            routed = self._community_of(event)  # no DM to attribute, no answer
        else:
            routed = await self._route(event)
        if routed is not None:
            community, event = routed
            queue = self._queues[community]
            if not queue.offer(event):  # full: wait for room
                await queue.put(event)

    async def _route(self, event: Event) -> tuple[str, Event] | None:
        """The inbox an event goes to, with the event as that community sees it; None: dropped.

        An answer to an open question goes to the community that asked, before
        any other attribution of a DM (see :mod:`hearth.people.dialogs`). An event
        that is neither a DM nor a pick belongs to its community
        (:meth:`_community_of`; :meth:`submit` asks it directly then).
        """
        question = await self._open_question(event)
        if question is not None:
            return question.community, replace(event, community=question.community)
        sender = _dm_sender(event)
        return self._community_of(event) if sender is None else await self._route_dm(event, sender)

    def _question_answered(self, event: Event) -> Question | None:
        """The open question ``event`` answers: a pick, or a DM that is not a command."""
        if isinstance(event, ChoiceMadeEvent):  # only the member asked can answer
            question = self.dialogs.question(event.question)
            return question if question and question.conversation == event.member.key else None
        conversation = self._answering_in(event)
        return None if conversation is None else self.dialogs.asking(*conversation)

    async def _open_question(self, event: Event) -> Question | None:
        """:meth:`_question_answered`; with several processes read in the database, since
        another process may have asked (or closed) the question (only DMs and picks ask)."""
        if not self.leases.shared:
            return self._question_answered(event)
        conversation = (event.member.key if isinstance(event, ChoiceMadeEvent)
                        else self._answering_in(event))
        question = None if conversation is None else await self.dialogs.read_open(conversation)
        if isinstance(event, ChoiceMadeEvent) and question and question.id != event.question:
            return None
        return question

    def _answering_in(self, event: Event) -> tuple[str, str] | None:
        """The conversation whose open question a DM that is not a command would answer."""
        if not isinstance(event, MessagePostedEvent):
            return None
        message = event.message
        if message.channel.dm_with is None or message.author.is_bot:
            return None
        if message.text.startswith(self._prefix):
            return None
        return message.platform, message.author.id

    def _community_of(self, event: Event) -> tuple[str, Event] | None:
        """The community a (non-DM) event belongs to, with the event; None (logged) if none."""
        community = event.community
        if community is None and isinstance(event, AdapterReadyEvent):  # rare: no per-message cost
            self.network_ready[event.platform] = event.time
        if community is None and len(self.config.communities) == 1:
            community = next(iter(self.config.communities))
        if community not in self.config.communities:
            log.debug("event %s belongs to no configured community; dropped", event.id)
            return None
        return community, event

    async def _route_dm(self, event: Event, sender: Member) -> tuple[str, Event] | None:
        """A direct message belongs to the community its sender is a member of *now*.

        Never a guess: a command may name its community as its last word
        (``!flash list tea-house``); otherwise the sender must be a member of
        exactly one community. A command from a member of several goes to the
        lobby (which asks which community is meant), as does ``help`` from
        someone in none; anything else from them is dropped.
        """
        homes = await self._homes(sender)
        line = self._command_line(event)
        if line is not None:
            words = line.split()
            named = words[-1] if len(words) > 1 else None
            if named in homes:
                return named, self._as_member(event, named, homes[named], line.rsplit(None, 1)[0])
        if len(homes) == 1:
            key, member = next(iter(homes.items()))
            return key, self._as_member(event, key, member, None)
        if line is not None:
            return LOBBY, event
        log.debug("direct message %s from %s: not a member of exactly one community; dropped",
                  event.id, sender.id)
        return None

    async def _homes(self, sender: Member) -> dict[str, Member]:
        """The communities ``sender`` is a member of now, with the member as each sees them.

        With several processes, the members of a community another process acts for
        are read in its stored directory: the network may not show them to this one
        (Discord sends every DM to the holder of shard 0, whatever the guild).
        """
        owned = self.leases.owned()
        elsewhere: dict[str, Member] = {}
        if owned is not None:
            assert self.db is not None
            elsewhere = await self.people.directory.present_in(
                self.db, sender.key, [k for k in self.config.communities if k not in owned])
        homes: dict[str, Member] = {}
        for key in self.config.communities:
            adapter = self.adapter_for(key, sender.platform)
            if adapter is None:
                continue
            member = (elsewhere.get(key) if owned is not None and key not in owned
                      else await adapter.get_member(key, sender.id))
            if member is not None:
                homes[key] = member
        return homes

    def _command_line(self, event: Event) -> str | None:
        """The command line (without prefix) a DM event carries, if it is a command."""
        if isinstance(event, CommandInvokedEvent):
            return event.message.text
        if isinstance(event, MessagePostedEvent):
            prefix = self._prefix
            text = event.message.text
            return text[len(prefix):] if text.startswith(prefix) else None
        return None

    def _as_member(self, event: Event, community: str, member: Member, line: str | None) -> Event:
        """``event`` attributed to ``community``, from ``member`` (with their role there)."""
        if isinstance(event, ReactionAddedEvent):
            reaction: Reaction = replace(event.reaction, member=member)
            return replace(event, community=community, reaction=reaction)
        assert isinstance(event, (MessagePostedEvent, MessageEditedEvent, CommandInvokedEvent))
        message = replace(event.message, author=member)
        if line is not None:
            text = line if isinstance(event, CommandInvokedEvent) else self._prefix + line
            message = replace(message, text=text)
        return replace(event, community=community, message=message)

    async def _lobby(self, event: Event) -> None:
        """Answer a DM command that belongs to no single community."""
        assert isinstance(event, (MessagePostedEvent, CommandInvokedEvent))
        message, prefix = event.message, self._prefix
        homes = list(await self._homes(message.author))
        line = (self._command_line(event) or "").strip()
        if homes:
            text = (f"You are a member of several communities here ({', '.join(homes)}): put the "
                    f"one you mean at the end of the command, e.g. {prefix}{line or 'help'} {homes[0]}")
        elif line.split(maxsplit=1)[:1] == ["help"]:
            text = ("You are not a member of a community this bot serves, so its commands are not "
                    "open to you. Join the community first.")
        else:
            return
        key = next((k for k in self.config.communities if self.adapter_for(k, message.platform)), None)
        if key is not None:
            await self.contexts[key][CORE].reply(message, text)

    async def handled(self) -> None:
        """Wait until every event queued so far has been handled (later ones need not be)."""
        marks = [(queue, queue.put_count) for queue in self._queues.values()]
        for queue, count in marks:
            await queue.reached(count)

    async def report_skipped(self, community: str, platform: str, count: int) -> None:
        """Report events missed during downtime that catch-up skipped (log and moderators)."""
        log.warning(
            "%s: %d events missed on %s while the bot was down were skipped (catch_up.max_events is %d)",
            community, count, platform, self.config.catch_up.max_events,
        )
        channel = self.config.catch_up.report_to
        ctx = self.contexts.get(community, {}).get(CORE)
        if ctx is not None and channel in ctx.community.channels:
            await ctx.send(
                channel,
                f"While the bot was down, {count} events on {platform} were not handled "
                f"(more than catch_up.max_events = {self.config.catch_up.max_events}).",
            )

    async def settle(self) -> None:
        """Wait until every queued event has been handled and no outbound lane is working.

        Lanes waiting for their pace (sleeping on the clock) may still hold
        actions: under a virtual clock, the driver moves time to deliver them.
        """
        while True:
            for queue in self._queues.values():
                await queue.join()
            for outbound in self._outbound.values():
                await outbound.quiet()
            if not any(q.unfinished for q in self._queues.values()):
                return

    async def _worker(self, community: str) -> None:
        queue = self._queues[community]
        token = community_var.set(community)
        # the lobby is answered by every process; with SQLite this one acts for every community
        shared = self.leases.shared and community in self.config.communities
        # one process (the database's dialect, fixed for the app's life), a community's inbox:
        # ``submit`` de-duplicated already, every item is an event, handled inline
        plain = not self.once.shared and community != LOBBY
        observed = self.roles.observed
        handlers = self._handlers
        items: deque[Any] = queue.items
        try:
            while True:
                if items:  # taken inline, as get_nowait does
                    event = items.popleft()
                    if queue.putters:
                        queue.taken()
                else:  # nothing queued: wait
                    event = await queue.get()
                if shared and not self.leases.owns(community):
                    batch = [event]
                    while len(queue) and len(batch) < FORWARD_BATCH:
                        batch.append(queue.get_nowait())
                    try:
                        await self._forward(community, batch)
                    finally:
                        for _ in batch:
                            queue.task_done()
                    continue
                try:
                    if plain:  # no coroutine made unless a handler needs to wait
                        seen = observed(community, event)
                        if seen is None:  # a role to read back first
                            seen = await self.roles.observe(community, event)
                        pending = handlers[type(seen)](community, seen)
                        if pending is not None:
                            await pending
                    elif self.once.shared:
                        await self._handle_once(community, event)
                    else:
                        await self._lobby(event)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    self._failed(event)
                finally:
                    queue.task_done()
        finally:
            community_var.reset(token)

    async def _forward(self, community: str, items: list[Event | Routed]) -> None:
        """Another process acts for ``community``: store its events for that one, in order.

        A job claimed here runs there once this claim ends; an event taken from the
        shared inbox stays there. Retried until stored: the events count as handled
        (an adapter saves its position) only then.
        """
        events: list[Event] = []
        awaited: list[tuple[tuple[str, str], str]] = []  # (message key, request) awaited
        for item in items:
            if isinstance(item, Routed):
                self.inbox.release(item)
            elif isinstance(item, JobDueEvent):
                self.scheduler.abandon(item.job)
            elif isinstance(item, CommunityAcquiredEvent):
                pass  # lost again before it started: the process acting for it started it
            else:
                events.append(item)
                self._answered_elsewhere(item)
                if isinstance(item, CommandInvokedEvent) and item.message.key in self._awaited:
                    awaited.append((item.message.key, f"{item.platform}:{item.id}"))
        failures = 0
        assert self.db is not None
        while events:
            try:
                async with self.db.transaction():
                    for _, request in awaited:
                        await self.answers.expect(request, community)
                    await self.inbox.put(community, events)
                for key, request in awaited:
                    self._awaited[key] = request
                log.debug("%d events for %s stored for the process acting for it", len(events),
                          community)
                return
            except StorageUnavailable:
                raise
            except StorageError as exc:
                failures += 1
                log.warning("could not store %d events for %s for the process acting for it "
                            "(%s); retrying", len(events), community, exc)
                await asyncio.sleep(min(30.0, 0.5 * 2 ** failures))

    async def _handle_once(self, community: str, item: Event | Routed) -> None:
        """Handle an event unless a process handled it already, then record it as handled
        (and delete a stored event, in the same transaction).

        Recorded after handling: a crash in between makes it handled again, never lost.
        """
        routed = item if isinstance(item, Routed) else None
        event = item.event if isinstance(item, Routed) else item
        key = None if isinstance(event, CORE_EVENTS) else f"{event.platform}:{event.id}"
        # A stored command whose asker waits for its answers (the dashboard of another
        # process): they go back through the database, not to a channel.
        answers: list[str] | None = None
        asked = event.message.key if isinstance(event, CommandInvokedEvent) else None
        if routed is not None and key is not None and asked and await self.answers.awaited(key):
            answers = self._answers[asked] = []
        # An event received here is checked in memory (which holds the recent records);
        # one stored by another process may be older, so the database is asked.
        try:
            if key is not None and await self.once.seen(EVENTS, key, ask=routed is not None):
                log.debug("%s %s was handled already; skipped", type(event).__name__, event.id)
                if routed is None:
                    self._answered_elsewhere(event)
            else:
                # the core's own events' ids are this process's: their actions' keys would repeat
                cause = cause_var.set(None if key is None or event.platform == CORE else Cause(key))
                try:
                    if answers is None and routed and isinstance(event, CommandInvokedEvent) and (
                            event.answer_with):
                        await self._answer_stored(community, event)
                    else:
                        await self._handle(community, event)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    self._failed(event)
                finally:
                    cause_var.reset(cause)
        finally:
            if answers is not None and asked is not None:
                del self._answers[asked]
        if routed is None:
            if key is not None:
                self.once.note(EVENTS, key)
            return
        assert self.db is not None
        async with self.db.transaction():
            if key is not None:
                await self.once.record(EVENTS, key)
            await self.journal.flush()  # its actions are stored before its row is gone
            await self.inbox.done(routed)
            if answers is not None and key is not None:
                await self.answers.give(key, answers)

    async def _handle(self, community: str, event: Event) -> None:
        """Handle one event of ``community``'s inbox, members shown with their effective
        (Hearth) role (the worker does the same inline where no record is kept)."""
        if community == LOBBY:
            await self._lobby(event)
            return
        seen = self.roles.observed(community, event)
        if seen is None:  # a role to read back first
            seen = await self.roles.observe(community, event)
        pending = self._handlers[type(seen)](community, seen)
        if pending is not None:
            await pending

    def _failed(self, item: Event | Routed) -> None:
        event = item.event if isinstance(item, Routed) else item
        log.exception("handling %s %s from %s failed", type(event).__name__, event.id,
                      event.platform)

    async def run_command(self, event: CommandInvokedEvent, *,
                          wait: float | None = None) -> list[str] | None:
        """Queue a natively invoked command (a slash command, a dashboard action) like any
        other event.

        Returns once it was handled, after every event queued before it, with its
        answers (the replies to ``event.message``). Those are not sent: the caller
        delivers them through its own answer path (a Discord interaction, the
        dashboard's page), apart from every other reply.

        When another process acts for the community (several processes), the command
        is stored for that one (:mod:`hearth.inbox`). A command with ``answer_with``
        is answered by that one, through the network (None is returned). Otherwise,
        without ``wait`` this returns no answers once it is stored, and the owner
        answers in the channel. With ``wait``, the owner sends the answers back
        through the database (:mod:`hearth.answers`): they are returned when they come
        within ``wait`` seconds, else None (the command is queued there and will run;
        its answers are then shown nowhere).
        """
        seen, key = self._seen[event.platform], hash(event.id)
        routed = None if key in seen else await self._route(event)
        if routed is None:
            return []
        seen[key] = None
        queue = self._queues[routed[0]]
        key = event.message.key
        self._answers[key] = []
        if wait is not None:
            self._awaited[key] = None
        try:
            await queue.put(routed[1])
            await queue.reached(queue.put_count)
        finally:
            answers = self._answers.pop(key)
            request = self._awaited.pop(key, None)
        if request is not None and wait is not None:  # stored for the process acting for it
            return await self.answers.wait(request, wait)
        return answers

    def _answered_elsewhere(self, event: Event) -> None:
        """``event`` goes to (or was handled by) another process: when it is a command
        invoked here that the other can answer, the caller of :meth:`run_command` leaves
        the answer to it."""
        if isinstance(event, CommandInvokedEvent) and event.answer_with is not None and (
                event.message.key in self._answers):
            self._answers[event.message.key] = None

    def answers_to(self, message: Message) -> list[str] | None:
        """The answers of ``message`` when it is a natively invoked command being handled."""
        return self._answers.get(message.key) if self._answers else None

    def _event_handlers(self) -> dict[type[Event], Callable[[str, Any], Awaitable[Any] | None]]:
        """How a community's worker handles each kind of event (one lookup per event): a
        handler returns what is left to await, or None when it is done."""
        handlers: dict[type[Event], Callable[[str, Any], Awaitable[Any] | None]] = {
            event: self._notify for event in NOTIFY_HOOKS
        }
        handlers.update({
            MessagePostedEvent: self._on_message,
            CommandInvokedEvent: self._invoked,
            ChoiceMadeEvent: self._take_answer,
            JobDueEvent: self._job_due,
            ActionDoneEvent: self._done,
            MemberUpdatedEvent: self._observed,
            AdapterReadyEvent: self._ready,
            CommunityAcquiredEvent: self._acquired,
        })
        return handlers

    async def _invoked(self, community: str, event: CommandInvokedEvent) -> None:
        await self._run_command(community, event.message, event.message.text)

    async def _answer_stored(self, community: str, event: CommandInvokedEvent) -> None:
        """Handle a command another process received and stored for this one, and answer it
        from here through its ``answer_with``."""
        key = event.message.key
        # Received here too (every process runs the shard): its caller leaves the answer.
        waiting = key in self._answers
        answers: list[str] = []
        self._answers[key] = answers
        try:
            await self._handle(community, event)
        finally:
            if waiting:
                self._answers[key] = None
            else:
                del self._answers[key]
        adapter = self.adapter_for(community, event.platform)
        if adapter is None:
            return

        async def perform(_text: str | None, _reply: str | None) -> None:
            await adapter.answer_command(community, event, answers)

        self.outbound(adapter).submit(("answer", event.id), Request("answer", perform),
                                      community=community, plugin=CORE)

    async def _notify(self, community: str, event: Event) -> None:
        """An event with a hook of its own (:data:`NOTIFY_HOOKS`)."""
        if isinstance(event, MemberLeftEvent):
            await self.dialogs.member_left(community, event.member)
        self.people.observe(community, event)
        if await self._passes(community, event):  # an edit is moderated like a new message
            for impl in self._hooks[community].get(NOTIFY_HOOKS[type(event)], ()):
                await self._invoke(impl, tuple(getattr(event, a) for a in impl.spec))

    async def _observed(self, community: str, event: Event) -> None:
        self.people.observe(community, event)

    async def _job_due(self, community: str, event: JobDueEvent) -> None:
        await self._run_job(event.job)

    async def _done(self, community: str, event: ActionDoneEvent) -> None:
        if event.plugin == CORE:
            await self.groups.action_done(community, event.outcome)
        else:
            await self.call_plugin(community, event.plugin, "on_action_done", {"outcome": event.outcome})

    async def _acquired(self, community: str, event: CommunityAcquiredEvent) -> None:
        await self._call(community, "on_startup")

    async def _ready(self, community: str, event: AdapterReadyEvent) -> None:
        log.info("%s is ready", event.platform)

    async def _take_answer(self, community: str, event: MessagePostedEvent | ChoiceMadeEvent) -> bool:
        """Take ``event`` as the answer to an open question, if it is one; True if it was.

        The asking plugin gets ``on_answer``. An answer that reaches another
        community's inbox than the question's (the member's next question came
        from elsewhere meanwhile) moves there; a pick for a question no longer
        open is ignored.
        """
        question = await self._open_question(event)
        if question is None:
            if isinstance(event, ChoiceMadeEvent):
                log.debug("choice for question %d, which is not open; ignored", event.question)
            return isinstance(event, ChoiceMadeEvent)
        if question.community != community:
            await self._queues[question.community].put(replace(event, community=question.community))
            return True
        if isinstance(event, ChoiceMadeEvent):
            member, answer = event.member, await self.dialogs.answer(question, event.picked)
        else:
            member, answer = event.message.author, await self.dialogs.answer(question, event.message.text)
        if answer is not None:
            await self._answered(question, member, answer)
        return True

    async def _answered(self, question: Question, member: Member, answer: Answer) -> None:
        log.debug("question %d (%s of %s) answered by %s", question.id, question.key,
                  question.plugin, member.id)
        await self.call_plugin(question.community, question.plugin, "on_answer",
                                {"member": member, "question_key": question.key,
                                 "answer": answer, "data": question.data})

    async def _passes(self, community: str, event: Event) -> bool:
        """Whether plugins hear of ``event``: not the bot's own doings, not a moderated edit."""
        if isinstance(event, ReactionAddedEvent):
            return not event.reaction.member.is_bot
        if isinstance(event, MessageEditedEvent):
            message = event.message
            return not message.author.is_bot and not await self._moderate(community, message)
        return True

    def _on_message(self, community: str, event: MessagePostedEvent, *,
                    passed: bool = False) -> Awaitable[Any] | None:
        """Handle a posted message: its command, or ``on_message``; what is left to await,
        or None when it was handled without waiting (no coroutine is made for a channel's
        message that needs none). ``passed``: :meth:`_on_message_waiting` let it through."""
        message = event.message
        if message.author.is_bot:
            return None
        hooks = self._hooks[community]
        channel = message.channel
        if not passed:
            open_groups = self.groups.open_channels
            if (channel.dm_with is not None or "moderate_message" in hooks
                    or (open_groups and (message.platform, channel.id) in open_groups)):
                return self._on_message_waiting(community, event, hooks)
        prefix = self._prefix
        text = message.text
        if text.startswith(prefix):
            return self._run_command(community, message, text[len(prefix) :])
        if channel.dm_with is None:
            self.people.ledger.message(community, message)
        impls = hooks.get("on_message")
        if impls is None:
            return None
        for impl in impls:
            if impl.is_async:  # it and the ones after it, in order
                return self._hear(impls[impls.index(impl) :], message)
            # as _invoke_sync does, inline: every message passes here
            context = impl.scope.context()
            try:
                names = impl.names
                if names is None:
                    context.run(impl.function, impl.ctx, message)
                elif names:
                    context.run(impl.function, **impl.keywords((message,)))
                else:
                    context.run(impl.function)
            except Exception as exc:
                context.run(self._hook_failed, impl, exc, True)
        return None

    async def _on_message_waiting(self, community: str, event: MessagePostedEvent,
                                  hooks: HookTable) -> None:
        """:meth:`_on_message` of a direct message, or one moderated or counted first."""
        message = event.message
        if message.channel.dm_with is not None:
            if await self._take_answer(community, event):
                return  # the answer to a question (only a direct message can be one)
        else:
            if "moderate_message" in hooks and await self._moderate(community, message):
                return
            if self.groups.is_open_group(message.platform, message.channel.id):
                await self.groups.message(message.platform, message.channel.id, message.author.id)
        pending = self._on_message(community, event, passed=True)
        if pending is not None:
            await pending

    async def _hear(self, impls: Sequence[BoundImpl], message: Message) -> None:
        """Call these ``on_message`` implementations in turn."""
        for impl in impls:
            if impl.is_async:
                await self._invoke(impl, (message,))
            else:
                self._invoke_sync(impl, (message,))

    async def _moderate(self, community: str, message: Message) -> bool:
        """Whether a plugin's verdict stopped ``message`` (then it is deleted if the verdict says so)."""
        verdict = None
        for impl in self._hooks[community].get("moderate_message", ()):
            verdict = await self._invoke(impl, (message,))
            if verdict is not None:
                break
        if not isinstance(verdict, Verdict):
            return False
        if verdict.delete:
            await self.delete_message(community, message, verdict.reason)
        return True

    async def delete_message(self, community: str, message: Message, reason: str) -> bool:
        """Queue the deletion of ``message`` (moderation lane) once; later calls do nothing."""
        adapter = self.adapter_for(community, message.platform)
        if adapter is None:
            return False
        if not adapter.can(Capability.DELETE):
            self.report_missing(community, plugin_var.get(), adapter.name, Capability.DELETE)
            return False
        if not await self.once.first(DELETES, f"{message.platform}:{message.id}"):
            return False
        contexts = self.contexts[community]
        contexts.get(plugin_var.get(), contexts[CORE])._delete(adapter, message, reason)
        return True

    # ------------------------------------------------------------------ commands
    def _help_command(self) -> Command:
        async def run(inv: Invocation) -> str:
            key = inv.ctx.key
            contexts = self.contexts[key]
            powers = await self.leader_powers(key)
            listed = [c for c in self.registries[key]
                      if await is_for(c, inv.member, contexts.get(c.plugin, inv.ctx), powers)]
            configs = {n: c.config for n, c in contexts.items()}
            return help_text(self.registries[key], listed, configs, self._prefix,
                             inv.args.get("command"))

        return Command(
            name="help",
            handler=run,
            params=(Param("command", "rest", optional=True),),
            min_role=Role.NEWCOMER,
            help="list the commands you can use, or show how to use one",
            plugin=CORE,
        )

    async def _run_command(self, community: str, message: Message, line: str) -> None:
        registry = self.registries[community]
        config = self.config
        prefix = self._prefix
        plan, name, rest = registry.find(line)
        contexts = self.contexts[community]
        core_ctx = contexts[CORE]
        if plan is None:
            if name:
                guess = registry.suggest(line)
                hint = f" Did you mean {prefix}{guess}?" if guess else ""
                await core_ctx.reply(
                    message, f"Unknown command {prefix}{name}.{hint} Type {prefix}help to see the commands."
                )
            return
        author = message.author
        if config.command_flood is not None and author.role < Role.ADMIN:  # admins are exempt
            verdict = self._flood.check((community, *author.key), self.clock.now())
            if verdict != "run":
                if verdict == "notice":
                    await self._flood_notice(message, core_ctx)
                return
        self.people.ledger.command(community, message)
        command = plan.command
        ctx = contexts.get(command.plugin, core_ctx)
        token = plugin_var.set(command.plugin)
        try:
            lowest = plan.lowest
            # a fixed lowest role the member has, and no power to check: allowed (check_permission
            # would say so too); otherwise ask it (only a power asks the plugins for leaders' powers)
            if lowest is None or author.role < lowest or command.power:
                powers = await self.leader_powers(community) if command.power else self._powers[community]
                check_permission(command, author, ctx.config, powers, prefix)
            args = plan.parse(rest)
            if plan.members:
                await resolve_members(ctx, command, message, args)
            answers = self._answers
            invocation = Invocation(
                command=command, member=author, message=message, args=args, ctx=ctx, prefix=prefix,
                native=answers.get(message.key) is not None if answers else False,
            )
            answer = await command.handler(invocation)
            if answer:  # invocation.reply, without its coroutines for a channel's message
                if message.channel.dm_with is None and not answers:
                    ctx._reply_in_channel(message, answer)
                else:
                    await ctx.reply(message, answer)
        except CommandError as exc:
            text = exc.reply
            if isinstance(exc, UsageError):
                text = exc.problem + f"\nUsage: {prefix}{exc.usage}"
            near = registry.sub_command(command, rest)
            if near is not None and isinstance(exc, UsageError | PermissionDenied):
                text += f"\nDid you mean {prefix}{near}?"
            await core_ctx.reply(message, text)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("command %s%s failed", prefix, command.name)
            self._plugin_failed(community, command.plugin, f"command {prefix}{command.name}", exc)
            await core_ctx.reply(
                message, f"Sorry, {prefix}{command.name} failed; the error was logged for the admins."
            )
            return
        finally:
            plugin_var.reset(token)
        for impl in self._hooks[community].get("on_command", ()):
            await self._invoke(impl, (invocation,))

    async def _flood_notice(self, message: Message, ctx: PluginContext) -> None:
        """Command flood control's one notice to a member whose commands are now ignored for a while."""
        cfg = self.config.command_flood
        assert cfg is not None
        log.info("%s sent more than %d commands in %s; ignored for %s",
                 message.author.id, cfg.max, cfg.within, cfg.ignore_for)
        await ctx.reply(message, mention(message.author) + (
            f" slow down: more than {cfg.max} commands in "
            f"{format_duration(cfg.within)}. I will ignore your commands for "
            f"{format_duration(cfg.ignore_for)}."))

    async def leader_candidates(self, community: str) -> list[LeaderCandidate]:
        """What every enabled plugin answers to ``leader_candidates``, together."""
        found: list[LeaderCandidate] = []
        for impl in self._hooks[community].get("leader_candidates", ()):
            answer = await self._invoke(impl, ())
            found += answer or ()
        return found

    async def dashboard_panels(self, community: str) -> list[Panel]:
        """What every enabled plugin answers to ``dashboard_panels``, together."""
        found: list[Panel] = []
        for impl in self._hooks[community].get("dashboard_panels", ()):
            answer = await self._invoke(impl, ())
            found += [p for p in answer or () if isinstance(p, Panel)]
        return found

    async def leader_powers(self, community: str) -> frozenset[str]:
        """What ``leader_powers`` answers, else every power a command here declares."""
        if "leader_powers" not in self._hooks[community]:
            return self._powers[community]
        answer = await self._first(community, "leader_powers")
        return self._powers[community] if answer is None else frozenset(answer)

    async def pyramid(self, community: str) -> Pyramid | None:
        """What ``pyramid`` answers in ``community`` (None: no plugin manages leaders there)."""
        answer = await self._first(community, "pyramid")
        return answer if isinstance(answer, Pyramid) else None

    async def referrals(self, community: str, member: Account | None) -> list[Referral] | None:
        """What ``referrals`` answers in ``community`` (None: no plugin records invitations)."""
        answer = await self._first(community, "referrals", member=member)
        return None if answer is None else list(answer)

    async def report(self, community: str, weeks: int) -> Report | None:
        """What ``community_report`` answers in ``community`` (None: no plugin reports there)."""
        answer = await self._first(community, "community_report", weeks=weeks)
        return answer if isinstance(answer, Report) else None

    # ------------------------------------------------------------------ people
    async def forget(self, account: Account) -> list[str]:
        """Erase one person's account from the core (directory, ledger, its person's strikes,
        link codes, group memberships), and tell every plugin.

        Every community's enabled plugins get ``on_forget`` (they may hold
        data about the account even where the directory never saw it).
        Returns the communities the directory knew the account in.
        """
        known = await self.people.forget(account, self.people_commands.codes)
        await self.groups.records.forget(account)
        await self.roles.forget(account)
        for key in self.config.communities:
            token = community_var.set(key)
            try:
                await self._call(key, "on_forget", platform=account[0], member_id=account[1])
            finally:
                community_var.reset(token)
        return known

    async def join_persons(self, community: str, first: Account, second: Account) -> Person:
        """Make the people of accounts ``first`` and ``second`` one person (``!link``).

        The core's person-keyed data moves in one transaction; then every plugin
        enabled here gets ``on_persons_merged``. :class:`LinkRefused` when they
        cannot be one person (already one; both have an account on one network).
        """
        assert self.db is not None
        persons, now = self.people.persons, to_ms(self.clock.now())
        one = await persons.person(community, first, now)
        two = await persons.person(community, second, now)
        persons.check_join(community, one, two)
        roles = {a: self.roles.granted(community, a) for a in (*one.accounts, *two.accounts)}
        async with self.db.transaction():
            kept, merged = await persons.merge(self.db, community, one, two, now)
            await self.people.strikes.merge(self.db, community, kept, merged)
        persons.merged(community, kept, merged)
        await self.roles.linked(community, roles)
        log.info("%s: person %d merged into %d (%s:%s linked with %s:%s)", community, merged, kept,
                 *first, *second)
        await self._call(community, "on_persons_merged", kept=kept, merged=merged)
        person = persons.get(community, kept)
        assert person is not None
        return person

    async def strikes_pardoned(self, community: str, person: Person, count: int, by: Member) -> None:
        """Tell every plugin here that ``by`` pardoned ``count`` of ``person``'s strikes."""
        await self._call(community, "on_strikes_pardoned", person=person, count=count, by=by)

    # ------------------------------------------------------------------ hooks
    async def _invoke(self, impl: BoundImpl, args: tuple[Any, ...], *, isolate: bool = True) -> Any:
        """Call one hook implementation with ``args`` (the hookspec's, in order, without ``ctx``);
        its exception is logged and swallowed if ``isolate``.

        A caller on the hot path calls :meth:`_invoke_sync` itself for an implementation
        that is not async, which saves making a coroutine.
        """
        if not impl.is_async:
            return self._invoke_sync(impl, args, isolate=isolate)
        token = plugin_var.set(impl.plugin)
        try:
            names = impl.names
            if names is None:
                return await impl.function(impl.ctx, *args)
            return await (impl.function(**impl.keywords(args)) if names else impl.function())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return self._hook_failed(impl, exc, isolate)
        finally:
            plugin_var.reset(token)

    def _invoke_sync(self, impl: BoundImpl, args: tuple[Any, ...], *, isolate: bool = True) -> Any:
        """:meth:`_invoke` of an implementation that is not async (in its :class:`PluginScope`)."""
        context = impl.scope.context()
        try:
            names = impl.names
            if names is None:
                return context.run(impl.function, impl.ctx, *args)
            if names:
                return context.run(impl.function, **impl.keywords(args))
            return context.run(impl.function)
        except Exception as exc:
            return context.run(self._hook_failed, impl, exc, isolate)

    def _hook_failed(self, impl: BoundImpl, exc: Exception, isolate: bool) -> None:
        """Log and report ``exc``, raised by ``impl`` (re-raised unless ``isolate``)."""
        if not isolate:
            raise exc
        if isinstance(exc, StorageUnavailable):  # the app is stopping: no traceback for each plugin
            log.error("plugin %s stopped in %s: %s", impl.plugin, impl.hook, exc)
            return
        log.exception("plugin %s failed in %s", impl.plugin, impl.hook, exc_info=exc)
        self._plugin_failed(impl.ctx.key, impl.plugin, impl.hook, exc)

    def _plugin_failed(self, community: str, plugin: str, where: str, exc: BaseException) -> None:
        if where == "on_startup" and not self.started:
            self._disable(plugin, f"on_startup failed in {community}: {exc!r}")
        if self._on_plugin_error is not None:
            self._on_plugin_error(PluginFailure(community, plugin, where, exc))

    async def _call(self, community: str, hook: str, **kwargs: Any) -> None:
        """Call ``hook`` of every plugin enabled in ``community`` that implements it."""
        for impl in self._hooks[community].get(hook, ()):
            await self._invoke(impl, tuple(kwargs[a] for a in impl.spec))

    async def _first(self, community: str, hook: str, **kwargs: Any) -> Any:
        """The first answer (not None) of ``hook``'s implementations in ``community``."""
        for impl in self._hooks[community].get(hook, ()):
            result = await self._invoke(impl, tuple(kwargs[a] for a in impl.spec))
            if result is not None:
                return result
        return None

    async def call_plugin(self, community: str, plugin: str, hook: str,
                          kwargs: Mapping[str, Any]) -> None:
        """Call ``hook`` of one plugin only (a job's, an action's or a group's owner)."""
        table = self._hooks.get(community)
        for impl in table.get(hook, ()) if table is not None else ():
            if impl.plugin == plugin:
                await self._invoke(impl, tuple(kwargs[a] for a in impl.spec))

    async def _dispatch_job(self, job: Job) -> None:
        """The scheduler's hand-over: a due job joins its community's inbox."""
        queue = self._queues.get(job.community)
        if queue is None:
            log.warning("job %s of %s belongs to no configured community %r; dropped", job.key,
                        job.plugin, job.community)
            await self.scheduler.finished(job, None)
            return
        await queue.put(JobDueEvent(platform=CORE, id=f"job:{job.id}:{job.attempt}",
                                    community=job.community, time=self.clock.now(), job=job))

    async def _run_job(self, job: Job) -> None:
        """Run a due job's handler (in its community's worker) and report how it went.

        Its actions' keys start with the run's idempotency key, so a retry does not
        repeat what was delivered (:mod:`hearth.journal`)."""
        cause = cause_var.set(Cause(job.idempotency_key))
        try:
            if job.plugin == CORE:
                await self._run_core_job(job)
            else:
                await self._run_plugin_job(job)
        finally:
            cause_var.reset(cause)

    async def _finished(self, job: Job, error: Exception | None) -> None:
        """Record a job's try; with PostgreSQL its actions are stored first."""
        if self.journal.durable:
            await self.journal.flush()
        await self.scheduler.finished(job, error)

    async def _run_plugin_job(self, job: Job) -> None:
        impls = [i for i in self._hooks[job.community].get("on_job_due", ()) if i.plugin == job.plugin]
        if not impls:
            log.warning("job %s of %s in %s has no handler; dropped", job.key, job.plugin,
                        job.community)
        error: Exception | None = None
        for impl in impls:
            try:
                await self._invoke(impl, (job,), isolate=False)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("plugin %s failed in job %s (attempt %d)", impl.plugin, job.key,
                              job.attempt)
                self._plugin_failed(job.community, impl.plugin, f"job {job.key}", exc)
                error = exc
        await self._finished(job, error)

    async def _run_core_job(self, job: Job) -> None:
        """The core's own jobs: a group's reminder and end, lifting a mute the network
        does not end by itself."""
        error: Exception | None = None
        if job.key.startswith(GROUP_JOBS):
            try:
                await self.groups.job_due(job)
            except Exception as exc:
                log.exception("core job %s in %s failed", job.key, job.community)
                error = exc
        elif job.key.startswith(mutes.PREFIX):
            try:
                member = mutes.member_of(job)
                log.info("unmuting %s in %s: the mute ran out", member.id, job.community)
                await self.contexts[job.community][CORE].unmute(member)
            except Exception as exc:
                log.exception("core job %s in %s failed", job.key, job.community)
                error = exc
        else:
            log.warning("core job %s in %s is unknown; dropped", job.key, job.community)
        await self._finished(job, error)


def _dm_sender(event: Event) -> Member | None:
    """Who sent ``event`` when it came by direct message; None for everything else."""
    if isinstance(event, (MessagePostedEvent, MessageEditedEvent, CommandInvokedEvent)):
        message = event.message
        return message.author if message.channel.dm_with is not None else None
    if isinstance(event, ReactionAddedEvent) and event.reaction.channel.dm_with is not None:
        return event.reaction.member
    return None


def require_accounts(config: HearthConfig, adapters: Mapping[str, Any]) -> None:
    """For ``hearth run``: every community's networks must have an account and an adapter."""
    problems = []
    for key, community in config.communities.items():
        for platform in community.bindings:
            if platform not in adapters:
                problems.append(f"community {key!r} is bound to {platform}, but no adapter is installed")
            elif platform not in config.accounts and adapters[platform].cls.account_schema:
                problems.append(
                    f"community {key!r} is bound to {platform}, but accounts.{platform} is missing"
                )
    if not any(c.bindings for c in config.communities.values()):
        problems.append("no community is bound to a network (add discord: or matrix: to one)")
    if problems:
        raise StartupError("; ".join(problems))


def bindings_for(config: HearthConfig, adapter: type[Adapter]) -> dict[str, CommunityBinding]:
    """How each community looks to ``adapter``: its space, channel ids and role ids.

    A virtual adapter (testing, console) serves every community and names
    channels by their neutral names; one standing in for a network the
    community is bound to (the testing adapter as ``matrix``) has only the
    channels mapped on that network, as the real one would.
    """
    out = {}
    for key, community in config.communities.items():
        if adapter.virtual:
            standing_in = adapter.name in community.bindings
            out[key] = CommunityBinding(key=key, space=None, channels={
                n: n for n, ids in community.channels.items() if not standing_in or adapter.name in ids})
        elif adapter.name in community.bindings:
            out[key] = CommunityBinding(
                key=key,
                space=community.bindings[adapter.name],
                channels={n: ids[adapter.name] for n, ids in community.channels.items()
                          if adapter.name in ids},
                roles={r: ids[adapter.name] for r, ids in community.roles.items()
                       if adapter.name in ids},
            )
    return out


def command_clashes(config: HearthConfig, plugins: PluginSet) -> dict[str, CommandClash]:
    """Each community whose commands cannot be registered, with the clash.

    ``hearth check`` runs this so a clash (e.g. ``welcome.accept.command: rules``)
    is a config error, not a start-up failure. Nothing is opened or connected.
    """
    app = App(config, plugins, [])
    problems: dict[str, CommandClash] = {}
    for key, community in config.communities.items():
        names = app.enabled(key)
        app.contexts[key] = {
            name: PluginContext(app, community, name, community.plugins.get(name),
                                CommunityStore(None, name, key))
            for name in names
        }
        try:
            app._command_registry(key, names)
        except CommandClash as exc:
            problems[key] = exc
    return problems
