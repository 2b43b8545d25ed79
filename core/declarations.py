"""Small declarations plugins return from hooks."""

from __future__ import annotations

from dataclasses import dataclass

from hearth.models import Capability


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """A moderation decision that stops a message.

    ``reason`` is recorded with the deletion (and shown in logs); with
    ``delete`` the core deletes the message, exactly once.
    """

    reason: str
    delete: bool = True


@dataclass(frozen=True, slots=True)
class Need:
    """A capability a plugin relies on, and the feature that needs it."""

    capability: Capability
    feature: str
