"""The plugin API: every hook a Hearth plugin can implement.

A plugin is a module or an object with functions marked ``@hearth.hookimpl``,
registered under the ``hearth.plugins`` entry-point group; the entry point's
name is the plugin's name and the key of its config under a community's
``plugins:``. A plugin runs for a community only when it is listed there.

Hooks may be ``async def`` or plain functions. Each implementation declares
only the arguments it needs. Per-community hooks receive ``ctx``, the
:class:`~hearth.context.PluginContext` of this plugin in this community: its
validated ``ctx.config``, its ``ctx.store``, the clock, the scheduler and every
action (send, reply, dm, delete, mute, kick, ban, roles, groups, pin).

Actions are queued, not awaited: ``await ctx.send(…)`` hands the message to
the outbound flow, which delivers it at the network's pace while the handler
goes on. What needs the result says so when queueing: a compound action
(``ctx.send(channel, text, pin=True, unpin_previous=old_id)``) or a delivery
callback (``then="key"``, answered through :func:`on_action_done`).

An implementation that raises is logged with the plugin's and hook's names and
skipped; the others still run.

Hook families:

* ``register_*``: return declarations, called once at start-up and checked then.
* ``on_*``: notifications; every enabled plugin's implementation runs, in order.
* ``moderate_message``, ``leader_powers``, ``pyramid``, ``referrals`` and ``community_report``:
  the first non-None answer wins.
* ``leader_candidates`` and ``dashboard_panels``: every enabled plugin's answers
  are collected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pydantic import BaseModel

    from hearth.commands import Command, Invocation
    from hearth.context import PluginContext
    from hearth.declarations import LeaderCandidate, Need, Verdict
    from hearth.groups import Group, Summary
    from hearth.models import Member, Message, Reaction, Role
    from hearth.outbox import Outcome
    from hearth.people.dialogs import Answer
    from hearth.people.persons import Person
    from hearth.reports import Panel, Pyramid, Referral, Report
    from hearth.scheduler import Job
    from hearth.storage import Migration

PROJECT = "hearth"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --------------------------------------------------------------------------- declarations


@hookspec
def register_config_schema() -> type[BaseModel] | None:
    """The pydantic model this plugin's config block is validated against.

    Derive it from :class:`hearth.PluginConfig` (frozen, unknown keys are
    errors) and use :data:`hearth.config.Duration`, ``ChannelName`` … for
    fields so errors read the same everywhere. Defaults make an empty block
    (``welcome: {}``) valid. The validated instance is ``ctx.config``.
    """


@hookspec
def register_commands() -> Iterable[Command]:
    """The commands this plugin offers (see :class:`hearth.Command`).

    Names must be unique across the plugins enabled in a community; a clash
    is a config error (``hearth check`` names the line).
    """


@hookspec
def register_community_commands(ctx: PluginContext) -> Iterable[Command]:
    """Commands this plugin offers in one community, shaped by its config.

    Called once per community at start-up, after ``register_commands``, with
    ``ctx.config`` validated: use it for commands whose name (or presence)
    the operator configures, e.g. welcome's ``accept.command``. Must be a
    plain function (not ``async``). The same uniqueness rule applies: a clash
    with another command in the community is a config error. ``hearth check``
    calls this hook too, with a context whose ``ctx.config`` is all it may use.
    """


@hookspec
def register_migrations() -> Sequence[Migration]:
    """This plugin's schema migrations, oldest first: ``async def upgrade_vN(store)``.

    Append-only: never edit or remove one that has shipped. Each runs once, in
    its own transaction; ``store.table("name")`` gives the namespaced name.
    Write the portable schema (docs/writing-plugins.md, "Storage"): a
    ``community`` column in every table, times as integer epoch milliseconds,
    ``id INTEGER PRIMARY KEY`` for an auto-numbered id.
    """


@hookspec
def register_capabilities() -> Iterable[Need]:
    """The adapter capabilities this plugin relies on, each with the feature it serves.

    A need an adapter cannot meet is reported once at start-up; the action is
    then skipped (and logged once) instead of failing.
    """


# --------------------------------------------------------------------------- lifecycle


@hookspec
async def on_startup(ctx: PluginContext) -> None:
    """This process starts acting for the community: storage is ready and adapters are
    connected.

    With one process (SQLite) that is at start-up, for every community. With several
    processes on one PostgreSQL it is when a process starts acting for the community:
    at its start-up for the communities it holds then, and later, in turn with the
    community's events, for each community it takes over from another; a process that
    does not act for a community never calls it there. It may run again in one
    community during the bot's life (each takeover, each restart): keep it idempotent.

    Declare recurring jobs here with ``ctx.ensure_schedule(key, every=…, at=…,
    day=…)``: it is idempotent, so a job keeps its rhythm across restarts and a
    run missed while the bot was down runs once, soon after start-up. (Calling
    ``ctx.schedule`` here for a recurring job would move it at every start and
    drop the missed run.) Catch up on what happened while stopped.
    """


@hookspec
async def on_shutdown(ctx: PluginContext) -> None:
    """The app is stopping; persist anything held in memory (called in the process acting
    for the community, as :func:`on_startup`)."""


# --------------------------------------------------------------------------- members


@hookspec
async def on_member_join(ctx: PluginContext, member: Member, invited_by: str | None) -> None:
    """``member`` joined the community (``invited_by``: the inviter's id, when known)."""


@hookspec
async def on_member_leave(ctx: PluginContext, member: Member) -> None:
    """``member`` left the community or was removed."""


@hookspec
async def on_member_removed(ctx: PluginContext, member: Member, action: str, reason: str, by: str) -> None:
    """The plugin ``by`` removed ``member`` (``action``: ``kick`` or ``ban``) for ``reason``.

    Told to every plugin once the removal is queued (after the handler that
    queued it), whether or not the network has carried it out yet; the member's
    own leave follows as ``on_member_leave``. A removal for strikes can be told
    apart by the person's active strikes from ``by`` (``ctx.strikes.active``):
    ``welcome`` charges an inviter whose invitee was removed so.
    """


@hookspec
async def on_role_changed(ctx: PluginContext, member: Member, old: Role, new: Role) -> None:
    """``member``'s effective role went from ``old`` to ``new`` (``member.role`` is ``new``).

    Called for a role Hearth granted or revoked (``ctx.grant_role``, e.g.
    newcomer -> member when the welcome admits someone) and for a role changed
    on the network and read back (a Discord role given by hand, a Matrix power
    level, an admin made or unmade), once for each account whose role changed
    (a leader granted to a linked person changes it on each network). It
    arrives as an event in the community's inbox, after the handler that made
    the change. Roles that changed while the bot was down are read at
    start-up without this call.
    """


@hookspec
async def on_forget(ctx: PluginContext, platform: str, member_id: str) -> None:
    """Erase everything this plugin keeps about the account ``platform:member_id``.

    Called in every community (whether or not the member was seen there) when
    an operator runs ``hearth forget CONFIG PLATFORM:ID``; the core has
    already erased the account from the member directory and the activity
    ledger. Delete the rows keyed on the account; keep only what cannot name
    the person (counts, totals).
    """


@hookspec
async def on_persons_merged(ctx: PluginContext, kept: int, merged: int) -> None:
    """Two people became one (``!link`` joined their accounts): move this plugin's state.

    Everything stored under person id ``merged`` now belongs to ``kept`` (the
    older person); ``merged`` is retired and never given again. The core has
    already moved its own data (strikes) in one transaction; its activity,
    roles, groups and directory are per account and read over the person, so
    they need no moving. Re-key this plugin's rows, combining those that
    clash (e.g. add counts). Called in the community where the link was made.
    """


@hookspec
async def on_strikes_pardoned(ctx: PluginContext, person: Person, count: int, by: Member) -> None:
    """``by`` pardoned ``count`` of ``person``'s strikes with ``!pardon`` (any plugin's strikes).

    Lift what this plugin imposed for them if it should (``ad_window`` ends
    its mute), and note it in an audit channel if the plugin keeps one.
    """


# --------------------------------------------------------------------------- messages


@hookspec(firstresult=True)
async def moderate_message(ctx: PluginContext, message: Message) -> Verdict | None:
    """Decide whether ``message`` may stand. Stops at first non-None result.

    Runs before every other message hook, for messages in community channels
    (not DMs, not the bot's own). Return a :class:`hearth.Verdict` to stop the
    message: the core deletes it (once) when the verdict says so, and no
    other plugin sees it. Return None to let it through.
    """


@hookspec
async def on_message(ctx: PluginContext, message: Message) -> None:
    """A message that passed moderation and is not a command."""


@hookspec
async def on_message_edit(ctx: PluginContext, message: Message) -> None:
    """A message was edited; ``message`` has the new text."""


@hookspec
async def on_message_delete(ctx: PluginContext, channel: Any, message_id: str) -> None:
    """A message was deleted (by its author, a moderator or the bot); ``channel`` is where it was."""


@hookspec
async def on_reaction(ctx: PluginContext, reaction: Reaction) -> None:
    """A member reacted to a message (``reaction.message_id``)."""


@hookspec
async def on_command(ctx: PluginContext, invocation: Invocation) -> None:
    """A command ran (whichever plugin owns it); for activity tracking."""


# --------------------------------------------------------------------------- time


@hookspec
async def on_job_due(ctx: PluginContext, job: Job) -> None:
    """One of this plugin's scheduled jobs is due (only the owning plugin is called).

    Jobs are scheduled with ``ctx.schedule(key, at, data=…)`` (one-off) or
    declared with ``ctx.ensure_schedule(key, every=…, at=…, day=…)``
    (recurring) and survive restarts; ``job.key`` and ``job.data`` say which is
    due. The scheduler never calls this directly: a due job enters the
    community's inbox and runs one at a time with the community's other events,
    so it never interleaves with a message handler. If this raises, the job is
    retried with backoff (``job.attempt`` counts the tries) instead of being
    marked done: raise when the work was not done, and make it safe to repeat.
    """


@hookspec
async def on_action_done(ctx: PluginContext, outcome: Outcome) -> None:
    """An action this plugin queued with ``then=KEY`` was settled (only the owning plugin is called).

    Actions are delivered by the outbound flow, after the handler that asked
    for them has returned; a plugin whose records depend on what really
    happened (the id of the message it posted, whether a kick or a group's
    dissolution went through) updates them here. ``outcome.key`` is the
    ``then`` given, ``outcome.data`` the ``data``, ``outcome.status`` one of
    ``done``, ``gone``, ``refused``, ``failed``, ``dropped``, and
    ``outcome.sent`` the message posted. It arrives as a new event in the
    community's inbox, in order with the others.
    """


# --------------------------------------------------------------------------- groups


@hookspec
async def on_group_reminder(ctx: PluginContext, group: Group, left: timedelta) -> None:
    """``group`` (created by this plugin with ``remind_before``) ends in ``left``.

    Only the owning plugin is called, once; after a restart a reminder that
    fell due while the bot was down comes late, with the true time left, and
    only if the group is still open. Post what the members should know.
    """


@hookspec
async def on_group_ending(ctx: PluginContext, group: Group, summary: Summary) -> None:
    """``group`` ends now (it expired, or ``ctx.groups.close`` was called).

    Only the owning plugin is called, once per group. The channel still
    exists: post the summary in it here (and elsewhere); it is dissolved
    right after, in order with what is queued here. ``summary`` says how long
    it lasted, how many messages were written and by whom.
    """


@hookspec
async def on_group_closed(ctx: PluginContext, group: Group, summary: Summary) -> None:
    """The network really dissolved ``group`` (``group.mode``: ``delete``,
    ``archive``, or None when its channel was already gone or the network
    cannot dissolve groups). Only the owning plugin is called.

    While the network refuses, the group stays ``closing`` and the service
    tries again (an hour later, and at every start-up); this comes only then.
    """


# --------------------------------------------------------------------------- dialogs


@hookspec
async def on_answer(
    ctx: PluginContext, member: Member, question_key: str, answer: Answer, data: dict[str, Any]
) -> None:
    """``member`` answered a question this plugin asked with ``ctx.ask`` (only the asking
    plugin is called, in the community that asked).

    ``question_key`` and ``data`` are what ``ctx.ask`` was given. ``answer.text``
    is the free-text answer, or the labels picked joined by ", ";
    ``answer.picked`` the 1-based numbers of the choices picked (empty for free
    text) and ``answer.labels`` their labels. Malformed answers never arrive
    here: the member was asked again. It arrives as an event in the
    community's inbox, in order with the others, even after a restart.
    """


# --------------------------------------------------------------------------- policy


@hookspec(firstresult=True)
def leader_powers(ctx: PluginContext) -> Iterable[str] | None:
    """The powers leaders hold in this community. Stops at first non-None result.

    Powers gate commands declared with ``power=`` (the built-ins declare
    ``invite_codes``, ``moderate``, ``flash``). With no answer, leaders hold
    every power a command enabled in the community declares.
    """


@hookspec(firstresult=True)
async def pyramid(ctx: PluginContext) -> Pyramid | None:
    """The community's user pyramid (leaders, members, largest cohort). Stops at first non-None result.

    The plugin that manages leaders answers; others (``pulse``'s health report,
    the dashboard) ask through ``await ctx.pyramid()``, which is None when no
    enabled plugin answers: the report then leaves the leader figures out.
    """


@hookspec(firstresult=True)
async def referrals(ctx: PluginContext, member: tuple[str, str] | None) -> Sequence[Referral] | None:
    """The referral tree: who invited whom. Stops at first non-None result.

    Without ``member``, the roots of the community's tree (members who invited
    someone and were invited by nobody), each with their branch; with
    ``member`` (``(platform, id)``), that member's branch alone (empty when the
    plugin knows nothing of them). ``welcome`` answers; others (``pulse``'s
    health report, the dashboard) ask through ``await ctx.referrals()``. Read
    only, as for ``community_report``.
    """


@hookspec(firstresult=True)
async def community_report(ctx: PluginContext, weeks: int) -> Report | None:
    """The community's activity report over the last ``weeks`` weeks, as text and as a
    self-contained HTML page with charts. Stops at first non-None result.

    ``pulse`` answers. ``hearth report CONFIG`` calls it without connecting to
    any network (adapters absent: only the database, the member directory and
    the activity ledger are there), as the dashboard may; so an implementation
    reads and never acts.
    """


@hookspec
async def leader_candidates(ctx: PluginContext) -> Iterable[LeaderCandidate] | None:
    """People this plugin offers as leader candidates now, each with a reason.

    Every enabled plugin's answers are collected by
    ``await ctx.leader_candidates()``; the ``leaders`` plugin lists them in its
    review (a candidate is a suggestion, never a grant). ``breakout`` offers
    each ended group's most active member (with ``representatives: true``).
    Return the current candidates each time (asking twice gives the same
    answer): the plugin decides how long a reason stays fresh.
    """


@hookspec
async def dashboard_panels(ctx: PluginContext) -> Iterable[Panel] | None:
    """The panels this plugin shows on its community's page of the web dashboard.

    Every enabled plugin's answers are collected when a page is drawn:
    return :class:`hearth.Panel` values built from your own records
    (``guard``: open reports; ``breakout``: rounds; ``flash``: open groups).
    Each panel says who may see it (``min_role``, ``power``); its buttons
    (:class:`hearth.PanelAction`) name a chat command of yours, which the
    dashboard runs as the logged-in person through the community's inbox,
    checked exactly as the typed command would be. Like ``community_report``
    this may be called without adapters, so an implementation reads and
    never acts.
    """
