"""What the member directory and the activity ledger hand to plugins (frozen objects).

A member is named by their *account*: ``(platform, id)``. Plugins pass a
:class:`~hearth.models.Member`, a :class:`MemberRecord`, a ``(platform, id)``
tuple or a ``"platform:id"`` string wherever an account is expected.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from hearth.models import Member, Role

Account = tuple[str, str]
"""A member on one network: ``(platform, id)``."""


def account_of(who: Any) -> Account:
    """The account named by a Member, a MemberRecord, a ``(platform, id)`` tuple or ``"platform:id"``."""
    if isinstance(who, Member | MemberRecord):
        return (who.platform, who.id)
    if isinstance(who, tuple) and len(who) == 2:
        return (str(who[0]), str(who[1]))
    if isinstance(who, str) and ":" in who:
        platform, _, member_id = who.partition(":")
        return (platform, member_id)
    raise ValueError(f"{who!r} does not name a member (expected a Member, (platform, id) or 'platform:id')")


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberRecord:
    """One member of a community on one network, as the directory knows them.

    ``joined`` is when they joined, or, when the network did not say
    (``join_known`` False), when the bot first saw them. ``invited_by`` is the
    inviter's id on the same network, when known. ``last_active`` is their
    last message, reaction or command (None: never seen active). ``present``
    is False once they left (kept so that a return is recognised); ``left``
    is when they last left (None: never seen leaving; kept after a return). A
    member gone while the bot was down left when the next member listing
    noticed it.
    """

    platform: str
    id: str
    name: str = field(compare=False)
    role: Role = field(default=Role.MEMBER, compare=False)
    is_bot: bool = field(default=False, compare=False)
    joined: datetime = field(compare=False)
    join_known: bool = field(default=False, compare=False)
    invited_by: str | None = field(default=None, compare=False)
    last_active: datetime | None = field(default=None, compare=False)
    present: bool = field(default=True, compare=False)
    left: datetime | None = field(default=None, compare=False)

    @property
    def key(self) -> Account:
        return (self.platform, self.id)

    @property
    def silent_since(self) -> datetime:
        """Since when they did nothing: their last activity, else when they joined or were first seen."""
        return self.last_active or self.joined

    @property
    def member(self) -> Member:
        """The member as events carry them (for actions: ``ctx.dm(record.member, …)``)."""
        return Member(platform=self.platform, id=self.id, name=self.name, role=self.role,
                      is_bot=self.is_bot)


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity:
    """What one member did over a window (sums of their daily rows)."""

    account: Account
    messages: int = 0
    replies_given: int = 0
    replies_received: int = 0
    reactions_given: int = 0
    reactions_received: int = 0
    commands: int = 0
    #: days in the window on which they posted, reacted or ran a command
    active_days: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class DayTotals:
    """One day of a community (a day in the community's timezone)."""

    day: date
    messages: int = 0
    #: members who posted, reacted or ran a command that day
    active_members: int = 0
    #: replies, mentions and reactions from one member to another
    interactions: int = 0
    #: messages the bot posted in the community's channels
    bot_messages: int = 0
    #: people who joined (when the network dated the join) and who left that day
    joins: int = 0
    leaves: int = 0

    @property
    def bot_share(self) -> float:
        """The bot's share of all messages posted that day (0 when nothing was posted)."""
        total = self.messages + self.bot_messages
        return self.bot_messages / total if total else 0.0


@dataclass(frozen=True, slots=True)
class InteractionGraph:
    """Weighted, directed interactions between members over a window.

    ``edges[(a, b)]`` is how much ``a`` replied to, mentioned or reacted to
    ``b``, each day's count weighted by kind and decayed by its age.
    """

    edges: Mapping[tuple[Account, Account], float]

    def __iter__(self) -> Iterator[tuple[Account, Account]]:
        return iter(self.edges)

    def __len__(self) -> int:
        return len(self.edges)

    def weight(self, source: Any, target: Any) -> float:
        """The weight from ``source`` to ``target`` (0 when they did not interact)."""
        return self.edges.get((account_of(source), account_of(target)), 0.0)

    def received(self, who: Any) -> float:
        """Everything others directed at ``who``."""
        account = account_of(who)
        return sum(w for (_, b), w in self.edges.items() if b == account)

    def given(self, who: Any) -> float:
        """Everything ``who`` directed at others."""
        account = account_of(who)
        return sum(w for (a, _), w in self.edges.items() if a == account)

    def reached(self, who: Any) -> set[Account]:
        """The distinct members ``who`` interacted with, in either direction."""
        account = account_of(who)
        return {b if a == account else a for a, b in self.edges if account in (a, b)}
