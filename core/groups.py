"""The group lifecycle: temporary group channels, from creation to dissolution.

One core service for every plugin that opens groups (``flash``, ``breakout``):
a plugin asks ``ctx.groups.create(…)`` for a private channel or room with
members, a topic and an expiry; the service creates it through the adapter,
records it, counts the messages in it and who spoke while it is open, calls
the owning plugin's ``on_group_reminder`` before the end and
``on_group_ending`` at the end (with a :class:`Summary`), dissolves the
channel (delete or archive, or the nearest the network offers, logged once)
and calls ``on_group_closed`` once the network really dissolved it.

Everything is stored (integer epoch milliseconds, explicit ids) and the
reminder and the end are core jobs, so a restart loses nothing: an end that
fell due while the bot was down runs at start-up, and a dissolution that the
network refused or a crash interrupted is tried again (after
:data:`RETRY_DISSOLVE`, and at every start-up) until it goes through. A group
is recorded ``closed`` only once its channel really was dissolved (or was
already gone).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from hearth.errors import AdapterError, LimitReached
from hearth.models import Capability, Channel, Member
from hearth.outbox import Outcome, Request
from hearth.people.persons import Person
from hearth.people.records import account_of
from hearth.ports import Adapter, DissolveMode
from hearth.scheduler import Job
from hearth.storage import Database, Migration, Store
from hearth.timeutil import format_duration, from_ms, to_ms

if TYPE_CHECKING:
    from hearth.app import App
    from hearth.context import PluginContext

log = logging.getLogger(__name__)

#: the schema namespace of the group records (versioned apart from the other core tables)
NAMESPACE = "hearth.groups"
GROUPS, MEMBERS, SPEAKERS = "hearth_groups", "hearth_group_members", "hearth_group_speakers"
#: the ``then=`` key of a dissolution queued by the service
DISSOLVED = "group-dissolved"
#: a dissolution the network refused is tried again this much later (and at start-up)
RETRY_DISSOLVE = timedelta(hours=1)
JOB_PREFIX = "group:"

State = Literal["open", "closing", "closed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """One group as recorded: where it lives, who is in it, until when, and its state.

    ``data`` belongs to the owning plugin (JSON values: a title, who opened it).
    """

    id: int
    community: str
    plugin: str
    platform: str
    channel_id: str
    name: str
    topic: str
    members: tuple[str, ...]
    created: datetime
    expires: datetime | None
    remind_at: datetime | None
    on_close: DissolveMode
    state: State
    closed: datetime | None = None
    mode: DissolveMode | None = None
    data: dict[str, Any] = field(default_factory=dict)
    #: a text the service posts in the group at ``remind_at`` (``{left}``: the time left)
    reminder: str | None = None

    @property
    def channel(self) -> Channel:
        return Channel(platform=self.platform, id=self.channel_id, name=self.name)

    @property
    def is_open(self) -> bool:
        return self.state == "open"


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """What happened in a group: how long it lasted, its messages and who spoke."""

    lasted: timedelta
    messages: int
    #: member id -> messages written, the most talkative first
    speakers: dict[str, int]

    @property
    def people(self) -> int:
        """How many distinct members wrote in the group."""
        return len(self.speakers)


def _whole_minutes(span: timedelta) -> timedelta:
    """``span`` rounded up to whole minutes (a reminder late by seconds says "10m", not "9m58s")."""
    minutes = -(-span // timedelta(minutes=1))
    return timedelta(minutes=minutes)


_ms = to_ms


def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)


# --------------------------------------------------------------------------- schema


async def _v1(store: Store) -> None:
    await store.execute(
        f"CREATE TABLE {GROUPS} ("
        " id INTEGER PRIMARY KEY,"
        " community TEXT NOT NULL, plugin TEXT NOT NULL, platform TEXT NOT NULL,"
        " channel_id TEXT NOT NULL, name TEXT NOT NULL, topic TEXT NOT NULL DEFAULT '',"
        " created_ms BIGINT NOT NULL, expires_ms BIGINT, remind_ms BIGINT, reminder TEXT,"
        " on_close TEXT NOT NULL, state TEXT NOT NULL, closed_ms BIGINT, mode TEXT,"
        " data TEXT NOT NULL DEFAULT '{}')"
    )
    await store.execute(f"CREATE INDEX {GROUPS}_state ON {GROUPS} (community, state)")
    await store.execute(f"CREATE INDEX {GROUPS}_channel ON {GROUPS} (platform, channel_id)")
    await store.execute(
        f"CREATE TABLE {MEMBERS} (id INTEGER PRIMARY KEY,"
        f" group_id INTEGER NOT NULL REFERENCES {GROUPS} (id),"
        " member TEXT NOT NULL, added_ms BIGINT NOT NULL, UNIQUE (group_id, member))"
    )
    await store.execute(
        f"CREATE TABLE {SPEAKERS} (group_id INTEGER NOT NULL REFERENCES {GROUPS} (id),"
        " member TEXT NOT NULL, messages INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (group_id, member))"
    )


MIGRATIONS: tuple[Migration, ...] = (_v1,)


async def adopt_group(
    store: Store,
    *,
    community: str,
    platform: str,
    channel_id: str,
    name: str,
    created: datetime,
    expires: datetime | None,
    on_close: DissolveMode,
    state: State = "open",
    topic: str = "",
    remind_at: datetime | None = None,
    closed: datetime | None = None,
    mode: DissolveMode | None = None,
    members: Iterable[str] = (),
    speakers: Iterable[tuple[str, int]] = (),
    data: dict[str, Any] | None = None,
) -> int:
    """Record a group a plugin created before the service existed (for its migration).

    ``store`` is the plugin's own; the group belongs to it. Returns the group's
    id. The service schedules its reminder and end at the next start-up.
    """
    group_id = await store.fetchval(
        f"INSERT INTO {GROUPS} (community, plugin, platform, channel_id, name, topic, created_ms,"
        " expires_ms, remind_ms, on_close, state, closed_ms, mode, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (community, store.namespace, platform, channel_id, name, topic, _ms(created),
         None if expires is None else _ms(expires), None if remind_at is None else _ms(remind_at),
         on_close, state, None if closed is None else _ms(closed), mode, json.dumps(data or {})),
    )
    for member in dict.fromkeys(members):
        await store.execute(f"INSERT INTO {MEMBERS} (group_id, member, added_ms) VALUES (?, ?, ?)",
                            (group_id, member, _ms(created)))
    for member, messages in speakers:
        await store.execute(
            f"INSERT INTO {SPEAKERS} (group_id, member, messages) VALUES (?, ?, ?)",
            (group_id, member, messages))
    return int(group_id)


# --------------------------------------------------------------------------- records


class Records:
    """The stored groups of every community (SQL only; no network)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def _group(self, row: Any) -> Group:
        members = await self.db.fetch(
            f"SELECT member FROM {MEMBERS} WHERE group_id = ? ORDER BY id", (row["id"],))
        return Group(
            id=row["id"], community=row["community"], plugin=row["plugin"],
            platform=row["platform"], channel_id=row["channel_id"], name=row["name"],
            topic=row["topic"], members=tuple(r["member"] for r in members),
            created=_dt(row["created_ms"]) or datetime.min, expires=_dt(row["expires_ms"]),
            remind_at=_dt(row["remind_ms"]), on_close=row["on_close"], state=row["state"],
            closed=_dt(row["closed_ms"]), mode=row["mode"], data=json.loads(row["data"]),
            reminder=row["reminder"],
        )

    async def select(self, where: str, params: Sequence[Any] = ()) -> list[Group]:
        rows = await self.db.fetch(
            f"SELECT * FROM {GROUPS} WHERE {where} ORDER BY expires_ms IS NULL, expires_ms, id",
            params)
        return [await self._group(r) for r in rows]

    async def get(self, group_id: int) -> Group | None:
        found = await self.select("id = ?", (group_id,))
        return found[0] if found else None

    async def insert(self, *, community: str, plugin: str, channel: Channel, topic: str,
                     members: Sequence[str], created: datetime, expires: datetime | None,
                     remind_at: datetime | None, reminder: str | None, on_close: DissolveMode,
                     data: dict[str, Any]) -> int:
        async with self.db.transaction():
            group_id = await adopt_group(
                Store(self.db, plugin), community=community, platform=channel.platform,
                channel_id=channel.id, name=channel.name or channel.id, topic=topic,
                created=created, expires=expires, remind_at=remind_at, on_close=on_close,
                members=members, data=data)
            if reminder is not None:
                await self.db.execute(f"UPDATE {GROUPS} SET reminder = ? WHERE id = ?",
                                      (reminder, group_id))
            return group_id

    async def add_member(self, group_id: int, member: str, when: datetime) -> None:
        await self.db.execute(
            f"INSERT INTO {MEMBERS} (group_id, member, added_ms) VALUES (?, ?, ?)"
            " ON CONFLICT (group_id, member) DO NOTHING", (group_id, member, _ms(when)))

    async def forget(self, account: tuple[str, str]) -> int:
        """Erase ``account`` from every group's members and speakers; the rows erased."""
        platform, member = account
        mine = f"group_id IN (SELECT id FROM {GROUPS} WHERE platform = ?)"
        erased = await self.db.execute(f"DELETE FROM {MEMBERS} WHERE member = ? AND {mine}",
                                       (member, platform))
        erased += await self.db.execute(f"DELETE FROM {SPEAKERS} WHERE member = ? AND {mine}",
                                        (member, platform))
        return erased

    async def remove_member(self, group_id: int, member: str) -> None:
        await self.db.execute(f"DELETE FROM {MEMBERS} WHERE group_id = ? AND member = ?",
                              (group_id, member))

    async def count(self, group_id: int, author: str) -> None:
        await self.db.execute(
            f"INSERT INTO {SPEAKERS} (group_id, member, messages) VALUES (?, ?, 1)"
            f" ON CONFLICT (group_id, member) DO UPDATE SET messages = {SPEAKERS}.messages + 1",
            (group_id, author))

    async def speakers(self, group_id: int) -> dict[str, int]:
        rows = await self.db.fetch(
            f"SELECT member, messages FROM {SPEAKERS} WHERE group_id = ?"
            " ORDER BY messages DESC, member", (group_id,))
        return {r["member"]: int(r["messages"]) for r in rows}

    async def claim_close(self, group_id: int, when: datetime) -> bool:
        """Mark an open group closing; False if it was not open (someone else ended it)."""
        return await self.db.execute(
            f"UPDATE {GROUPS} SET state = 'closing', closed_ms = ? WHERE id = ? AND state = 'open'",
            (_ms(when), group_id)) > 0

    async def finish(self, group_id: int, mode: DissolveMode | None) -> bool:
        """Mark a closing group closed; False if it was not closing."""
        return await self.db.execute(
            f"UPDATE {GROUPS} SET state = 'closed', mode = ? WHERE id = ? AND state = 'closing'",
            (mode, group_id)) > 0

    async def reminded(self, group_id: int) -> None:
        await self.db.execute(f"UPDATE {GROUPS} SET remind_ms = NULL WHERE id = ?", (group_id,))


# --------------------------------------------------------------------------- the service


def _job_key(group_id: int, kind: str) -> str:
    return f"{JOB_PREFIX}{group_id}:{kind}"


class GroupService:
    """The group lifecycle of one app, for every community and plugin."""

    def __init__(self, app: App, core: str) -> None:
        """``core`` is the name the core's own jobs and actions are filed under."""
        self._app = app
        self._core = core
        self._records: Records | None = None
        #: (platform, channel id) -> group id, for the open groups (messages are counted there;
        #: the app reads it for every message)
        self.open_channels: dict[tuple[str, str], int] = {}

    @property
    def records(self) -> Records:
        assert self._records is not None, "the group service is not started"
        return self._records

    async def migrate(self, db: Database) -> None:
        """Bring the schema up to date (before the plugins' migrations, which may adopt groups)."""
        await db.migrate(Store(db, NAMESPACE), MIGRATIONS)
        self._records = Records(db)

    async def start(self) -> None:
        """Recover after a restart: jobs for open groups, and dissolutions left unfinished."""
        scheduler = self._app.scheduler
        for key in self._app.config.communities:
            pending = {job.key for job in await scheduler.jobs(key, self._core, JOB_PREFIX)}
            for group in await self.records.select("community = ? AND state = 'open'", (key,)):
                self.open_channels[(group.platform, group.channel_id)] = group.id
                await self._schedule(group, pending)
            # A dissolution a crash interrupted, or the network refused: try it again now.
            for group in await self.records.select("community = ? AND state = 'closing'", (key,)):
                await scheduler.cancel(key, self._core, _job_key(group.id, "end"))
                await self._dissolve(group)

    # -- plugin-facing -------------------------------------------------------
    async def create(
        self, ctx: PluginContext, platform: str, name: str, members: Sequence[Member], *,
        topic: str, expires: datetime | None, remind_before: timedelta | None,
        reminder: str | None, on_close: DissolveMode, private: bool, data: dict[str, Any] | None,
        within: Channel | None = None,
    ) -> Group | None:
        adapter = self._adapter(ctx.key, ctx.plugin, platform, Capability.GROUPS)
        if adapter is None:
            return None
        if within is not None and not adapter.can(Capability.GROUP_THREADS):
            self._app.report_missing(ctx.key, ctx.plugin, adapter.name, Capability.GROUP_THREADS)
            return None
        json.dumps(data or {})  # a TypeError here, at the call, rather than at a restart
        extra = {"within": within} if within is not None else {}
        try:
            channel = await adapter.create_group(ctx.key, name, members, topic=topic,
                                                 private=private, expires=expires, **extra)
        except LimitReached as exc:
            exc.platform = exc.platform or adapter.name
            log.warning("%s could not open group %r in %s: %s", ctx.plugin, name, ctx.key, exc)
            await self._tell_admins(ctx.key, f"{ctx.plugin} could not open the group {name!r} on "
                                             f"{adapter.name}: {exc.detail}")
            return None
        except AdapterError as exc:
            exc.platform = exc.platform or adapter.name
            log.warning("create group failed: %s", exc)
            return None
        now = self._app.clock.now()
        remind_at = None
        if expires is not None and remind_before is not None and expires - remind_before > now:
            remind_at = expires - remind_before
        group_id = await self.records.insert(
            community=ctx.key, plugin=ctx.plugin, channel=channel, topic=topic,
            members=[m.id for m in members], created=now, expires=expires, remind_at=remind_at,
            reminder=reminder, on_close=on_close, data=data or {})
        group = await self.records.get(group_id)
        assert group is not None
        self.open_channels[(group.platform, group.channel_id)] = group.id
        await self._schedule(group, set())
        log.info("%s opened group %s (%s) in %s until %s", ctx.plugin, group.name, group.id,
                 ctx.key, expires.isoformat() if expires else "closed")
        return group

    async def invite(self, ctx: PluginContext, group: Group, member: Member) -> bool:
        adapter = self._adapter(ctx.key, ctx.plugin, group.platform, Capability.GROUPS)
        if adapter is None or not group.is_open:
            return False
        if member.platform != group.platform:  # the person's account on the group's network
            there = next((r.member for r in ctx.accounts(member) if r.platform == group.platform), None)
            if there is None:
                log.info("cannot invite %s:%s to group %s: no linked account on %s",
                         member.platform, member.id, group.name, group.platform)
                return False
            member = there
        try:
            await adapter.invite(ctx.key, group.channel, member)
        except AdapterError as exc:
            log.warning("invite to group %s failed: %s", group.name, exc)
            return False
        await self.records.add_member(group.id, member.id, self._app.clock.now())
        return True

    async def remove(self, ctx: PluginContext, group: Group, member: Member) -> bool:
        adapter = self._adapter(ctx.key, ctx.plugin, group.platform, Capability.GROUPS)
        if adapter is None or not group.is_open:
            return False
        try:
            await adapter.remove_from_group(ctx.key, group.channel, member)
        except AdapterError as exc:
            log.warning("removing %s from group %s failed: %s", member.id, group.name, exc)
            return False
        await self.records.remove_member(group.id, member.id)
        return True

    async def summary(self, group: Group) -> Summary:
        speakers = await self.records.speakers(group.id)
        end = group.closed or self._app.clock.now()
        return Summary(lasted=end - group.created, messages=sum(speakers.values()),
                       speakers=speakers)

    async def close(self, group: Group) -> bool:
        """End ``group`` now (once, whoever asks first): summary hook, then dissolution."""
        now = self._app.clock.now()
        if not await self.records.claim_close(group.id, now):
            return False
        self.open_channels.pop((group.platform, group.channel_id), None)
        for kind in ("remind", "end"):
            await self._app.scheduler.cancel(group.community, self._core, _job_key(group.id, kind))
        closing = await self.records.get(group.id)
        assert closing is not None
        await self._app.call_plugin(group.community, group.plugin, "on_group_ending",
                                    {"group": closing, "summary": await self.summary(closing)})
        await self._dissolve(closing)
        return True

    def dissolve_mode(self, community: str, platform: str,
                      wanted: DissolveMode) -> DissolveMode | None:
        """The closest dissolve mode ``platform`` offers to ``wanted`` (None: neither)."""
        adapter = self._app.adapter_for(community, platform)
        if adapter is None:
            return None
        order: list[DissolveMode] = ["delete", "archive"] if wanted == "delete" else ["archive", "delete"]
        caps = {"delete": Capability.GROUP_DELETE, "archive": Capability.GROUP_ARCHIVE}
        return next((m for m in order if adapter.can(caps[m])), None)

    # -- core-facing (the app routes these here) -----------------------------
    def is_open_group(self, platform: str, channel_id: str) -> bool:
        """Whether the channel is an open group's (its messages are counted)."""
        return (platform, channel_id) in self.open_channels

    async def message(self, platform: str, channel_id: str, author: str) -> None:
        """A member wrote in a channel: counted when it is an open group."""
        group_id = self.open_channels.get((platform, channel_id))
        if group_id is not None:
            await self.records.count(group_id, author)

    async def job_due(self, job: Job) -> None:
        ident, _, kind = job.key.removeprefix(JOB_PREFIX).partition(":")
        group = await self.records.get(int(ident)) if ident.isdigit() else None
        if group is None:
            return
        if kind == "end":
            if group.state == "open":
                await self.close(group)
            elif group.state == "closing":
                await self._dissolve(group)
        elif kind == "remind" and group.is_open:
            await self.records.reminded(group.id)
            now = self._app.clock.now()
            if group.expires is not None and now < group.expires:
                left = group.expires - now
                ctx = self._app.contexts[group.community][self._core]
                if group.reminder:
                    await ctx.send(group.channel, group.reminder.replace(
                        "{left}", format_duration(_whole_minutes(left))))
                await self._app.call_plugin(group.community, group.plugin, "on_group_reminder",
                                            {"group": group, "left": left})

    async def action_done(self, community: str, outcome: Outcome) -> None:
        if outcome.key != DISSOLVED:
            return
        group = await self.records.get(int(outcome.data["group"]))
        if group is None or group.state != "closing":
            return
        if outcome.status in ("done", "gone"):  # gone: the channel was removed already
            mode = outcome.data["mode"] if outcome.ok else None
            await self.records.finish(group.id, mode)
            log.info("closed group %s (%s) of %s in %s", group.name, mode or "already gone",
                     group.plugin, community)
            closed = await self.records.get(group.id)
            assert closed is not None
            await self._app.call_plugin(community, group.plugin, "on_group_closed",
                                        {"group": closed, "summary": await self.summary(closed)})
            return
        retry = self._app.clock.now() + RETRY_DISSOLVE
        log.warning("group %s could not be dissolved (%s: %s); trying again at %s", group.name,
                    outcome.status, outcome.error, retry.isoformat())
        await self._app.scheduler.schedule(community, self._core, _job_key(group.id, "end"), retry,
                                           data={"group": group.id})

    # -- internals -----------------------------------------------------------
    def _adapter(self, community: str, plugin: str, platform: str,
                 capability: Capability) -> Adapter | None:
        adapter = self._app.adapter_for(community, platform)
        if adapter is None:
            return None
        if not adapter.can(capability):
            self._app.report_missing(community, plugin, adapter.name, capability)
            return None
        return adapter

    async def _schedule(self, group: Group, pending: set[str]) -> None:
        scheduler, data = self._app.scheduler, {"group": group.id}
        if group.remind_at is not None and _job_key(group.id, "remind") not in pending:
            await scheduler.schedule(group.community, self._core, _job_key(group.id, "remind"),
                                     group.remind_at, data=data)
        if group.expires is not None and _job_key(group.id, "end") not in pending:
            await scheduler.schedule(group.community, self._core, _job_key(group.id, "end"),
                                     group.expires, data=data)

    async def _dissolve(self, group: Group) -> None:
        """Queue the channel's end; the group is recorded closed once it really is."""
        app = self._app
        used = self.dissolve_mode(group.community, group.platform, group.on_close)
        adapter = app.adapter_for(group.community, group.platform)
        if adapter is None or used is None:
            if adapter is not None:
                app.report_missing(group.community, group.plugin, adapter.name,
                                   Capability.GROUP_DELETE)
            await app.scheduler.cancel(group.community, self._core, _job_key(group.id, "end"))
            await self.action_done(group.community, Outcome(
                key=DISSOLVED, data={"group": group.id, "mode": None}, action="dissolve_group",
                status="gone", time=app.clock.now(), error="the network cannot dissolve groups"))
            return
        if used != group.on_close:
            app.report_once(
                ("group-dissolve", adapter.name, group.on_close),
                "%s cannot %s a group channel; groups there are %sd instead",
                adapter.name, group.on_close, used)
        community, channel = group.community, group.channel

        async def perform(_text: str | None, _reply: str | None) -> Any:
            await adapter.dissolve_group(community, channel, used)

        # In the group channel's own lane: after every message queued to it (the
        # summary), which would find no channel if the dissolution overtook it.
        outbound = app.outbound(adapter)
        outbound.submit(outbound.lane_for("channel", channel.id),
                        Request("dissolve_group", perform), community=community,
                        plugin=self._core, then=DISSOLVED, data={"group": group.id, "mode": used})

    async def _tell_admins(self, community: str, text: str) -> None:
        ctx = self._app.contexts.get(community, {}).get(self._core)
        channel = self._app.config.catch_up.report_to
        if ctx is not None and channel in ctx.community.channels:
            await ctx.send(channel, text)


class GroupsView:
    """``ctx.groups``: the group lifecycle as one plugin in one community sees it.

    Only the plugin's own groups are listed or found; every end goes through
    the same path (``on_group_ending``, the dissolution, ``on_group_closed``).
    """

    def __init__(self, service: GroupService, ctx: PluginContext) -> None:
        self._service = service
        self._ctx = ctx

    def _mine(self, where: str = "") -> str:
        return "community = ? AND plugin = ?" + (f" AND {where}" if where else "")

    async def create(
        self,
        platform: str,
        name: str,
        members: Sequence[Member],
        *,
        topic: str,
        expires: datetime | None = None,
        remind_before: timedelta | None = None,
        reminder: str | None = None,
        on_close: DissolveMode = "delete",
        private: bool = True,
        data: dict[str, Any] | None = None,
        within: Channel | None = None,
    ) -> Group | None:
        """Create a group channel on ``platform`` now (waits for the network) and record it.

        ``within``: a channel of the community on ``platform`` to open the group
        in as a private thread, where the network offers that
        (``ctx.can(Capability.GROUP_THREADS, platform)``); elsewhere None is
        returned and the missing capability logged once.

        At ``expires`` the group ends by itself (``on_group_ending``, then it is
        dissolved with ``on_close`` or the nearest mode the network offers);
        ``remind_before`` the end, ``on_group_reminder`` is called, and
        ``reminder`` (when given) is posted in the group, ``{left}`` replaced by
        the time left (``10m``). ``data``
        (JSON values) is kept with the group for the plugin. None when the
        network cannot create groups, refused, or its group cap is reached (the
        admins are told in ``catch_up.report_to``).
        """
        return await self._service.create(
            self._ctx, platform, name, members, topic=topic, expires=expires,
            remind_before=remind_before, reminder=reminder, on_close=on_close, private=private,
            data=data, within=within)

    async def get(self, group_id: int) -> Group | None:
        """One of this plugin's groups (in any state) by id."""
        found = await self._service.records.select(self._mine("id = ?"),
                                                   (self._ctx.key, self._ctx.plugin, group_id))
        return found[0] if found else None

    async def open(self) -> list[Group]:
        """This plugin's open groups here, the one ending first first."""
        return await self._service.records.select(self._mine("state = 'open'"),
                                                  (self._ctx.key, self._ctx.plugin))

    async def in_channel(self, channel: Channel) -> Group | None:
        """The open group of this plugin that ``channel`` is, if any."""
        found = await self._service.records.select(
            self._mine("state = 'open' AND platform = ? AND channel_id = ?"),
            (self._ctx.key, self._ctx.plugin, channel.platform, channel.id))
        return found[0] if found else None

    async def invite(self, group: Group, member: Member) -> bool:
        """Add ``member`` to an open group now (waits for the network); True if done.

        A member from another network than the group's is invited through the
        person's linked account on the group's network (False when they have none).
        """
        return await self._service.invite(self._ctx, group, member)

    async def of(self, who: Any) -> list[Group]:
        """This plugin's open groups here that ``who``'s person belongs to through any of
        their accounts (``who``: any account, a Person or a person id)."""
        accounts = {r.key for r in self._ctx.accounts(who)}
        if not isinstance(who, int | Person):
            accounts.add(account_of(who))
        return [g for g in await self.open()
                if any((g.platform, m) in accounts for m in g.members)]

    async def remove(self, group: Group, member: Member) -> bool:
        """Take ``member`` out of an open group now (waits for the network); True if done."""
        return await self._service.remove(self._ctx, group, member)

    async def summary(self, group: Group) -> Summary:
        """The messages written in the group so far and who wrote them."""
        return await self._service.summary(group)

    async def close(self, group: Group) -> bool:
        """End the group now: ``on_group_ending``, then dissolution; False if it was not open."""
        return await self._service.close(group)

    def dissolve_mode(self, platform: str, wanted: DissolveMode) -> DissolveMode | None:
        """How a group on ``platform`` will really end when ``wanted`` is asked (None: it cannot)."""
        return self._service.dissolve_mode(self._ctx.key, platform, wanted)
