"""Events adapters deliver to the core.

Every event carries the platform, the platform-scoped ``id`` the core
de-duplicates on, and the key of the community it belongs to (``None`` when
the adapter cannot tell, e.g. a DM from someone in no configured community).
Events carry data; acting goes through the adapter port.
"""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hearth.models import Channel, Member, Message, Reaction, Role, model
from hearth.scheduler import Job

if TYPE_CHECKING:
    from hearth.outbox import Outcome


@model
class Event:
    """Base of every inbound event."""

    platform: str
    id: str
    community: str | None
    time: datetime


@model
class MemberJoinedEvent(Event):
    """A member joined the community. ``invited_by`` is the inviter's id, when known."""

    member: Member
    invited_by: str | None = None


@model
class MemberLeftEvent(Event):
    """A member left the community (or was removed)."""

    member: Member


@model
class MemberUpdatedEvent(Event):
    """A member's display name or role changed on the network; ``member`` is as they are now."""

    member: Member


@model
class RoleChangedEvent(Event):
    """A member's effective role changed from ``old`` to ``new`` (produced by the core).

    By Hearth (``ctx.grant_role``, ``ctx.revoke_role``) or on the network (read
    back); ``member`` carries the new role. See :mod:`hearth.people.roles`.
    """

    member: Member
    old: Role
    new: Role


@model
class MemberRemovedEvent(Event):
    """A plugin removed ``member`` (produced by the core when ``ctx.kick`` or ``ctx.ban``
    is queued): ``action`` is ``kick`` or ``ban``, ``by`` the plugin, ``reason`` its reason."""

    member: Member
    action: str
    reason: str
    by: str


@model
class MessagePostedEvent(Event):
    """A message was posted in a channel or sent to the bot directly."""

    message: Message


@model
class MessageEditedEvent(Event):
    """A message was edited; ``message`` holds the new text."""

    message: Message


@model
class MessageDeletedEvent(Event):
    """A message was deleted (by its author, a moderator or the bot)."""

    channel: Channel
    message_id: str


@model
class ReactionAddedEvent(Event):
    """A member reacted to a message."""

    reaction: Reaction


@model
class CommandInvokedEvent(Event):
    """A command invoked natively (a Discord slash command).

    ``message.text`` holds the command line without prefix (``flash "Night" 2h``).
    It enters the community's inbox through ``AdapterHost.run_command``, which
    returns its answers to the adapter (to deliver through the interaction).
    ``answer_with`` is what the network needs to answer it from any process (on
    Discord the interaction's application id and token, and whether the answer
    is for the invoker only): when another process acts for the community, that
    one answers it through :meth:`~hearth.ports.Adapter.answer_command`.
    """

    message: Message
    answer_with: dict[str, Any] | None = field(default=None, compare=False)  # keeps it hashable


@model
class AdapterReadyEvent(Event):
    """An adapter connected (or reconnected) and sees its communities."""


@model
class CommunityAcquiredEvent(Event):
    """This process began acting for the community after its own start-up (several
    processes: it took the community over): the plugins' ``on_startup`` runs there, in turn
    with the community's events. Produced by the core, never by an adapter."""


@model
class ActionDoneEvent(Event):
    """An action a plugin queued with ``then=`` was settled; ``plugin`` gets ``on_action_done``.

    Produced by the core's outbound flow (``platform`` is the network that
    performed it), so the plugin sees the outcome in order with its community's
    other events.
    """

    plugin: str
    outcome: Outcome


@model
class JobDueEvent(Event):
    """A scheduled job fell due (produced by the scheduler, never by an adapter).

    It is handled in its community's inbox like every other event, so a job
    never runs in the middle of another handler of the same community.
    """

    job: Job


@model
class ChoiceMadeEvent(Event):
    """A member picked choices of a question shown natively (a Discord button or menu).

    ``question`` is the question's id (:attr:`hearth.models.Prompt.question`),
    ``picked`` the 1-based numbers chosen. The core routes it to the asking
    community whatever ``community`` says; a pick for a question no longer
    open (answered, cancelled) is ignored.
    """

    member: Member
    question: int
    picked: tuple[int, ...]
