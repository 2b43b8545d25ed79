"""Small declarations plugins return from hooks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hearth.models import Capability


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """A moderation decision that stops a message.

    ``reason`` is recorded with the deletion (and shown in logs); with
    ``delete`` the core deletes the message, exactly once.
    """

    reason: str
    delete: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderCandidate:
    """A person a plugin offers as a possible leader, and why (``leader_candidates``).

    ``person`` is the core's person id (``ctx.person``); ``reason`` a short text
    for the owner reading the review (``"most active in breakout-3-2: 14 messages"``);
    ``source`` the plugin offering them; ``since`` when the reason arose.
    """

    person: int
    reason: str
    source: str
    since: datetime


@dataclass(frozen=True, slots=True)
class Need:
    """A capability a plugin relies on, and the feature that needs it."""

    capability: Capability
    feature: str
