"""Errors raised by Hearth.

Every error Hearth raises derives from :class:`HearthError`::

    HearthError
    ├── ConfigError            a config or scenario file is invalid (carries every issue found)
    ├── StartupError           plugins or adapters cannot start (duplicate command, bad entry point…)
    ├── CommandError           a command cannot run; its message is the reply the member sees
    │   ├── UsageError         malformed arguments
    │   └── PermissionDenied   the member's role or powers are too low
    ├── AdapterError           a platform refused or failed an action
    │   ├── CapabilityMissing  the adapter cannot do this at all
    │   ├── Forbidden          the bot lacks the permission on the platform
    │   ├── NotFound           the target (message, member, channel) does not exist
    │   ├── Unreachable        the network could not be reached or failed on its side (retried)
    │   ├── ConnectionLost     the adapter cannot stay connected (a revoked token): the process stops
    │   └── RateLimited        the platform asked to slow down (carries ``retry_after``)
    └── StorageError           the database failed or a migration is out of order
        └── StorageUnavailable the database cannot be used any more: the process stops

Adapters translate their SDK's exceptions at the boundary and keep the
cause (``raise Forbidden(exc.text, platform="discord", action="kick") from exc``)
so plugins handle only these. An :class:`AdapterError` carries fields
(``platform``, ``action``, ``capability``, ``retry_after``) and builds its
message from them: ``discord: kick: Missing Permissions``.
"""

from __future__ import annotations

from dataclasses import dataclass


class HearthError(Exception):
    """Root of every error Hearth raises."""


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in a config or scenario file."""

    file: str
    line: int | None
    key: str
    problem: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.key}:" if self.key else ""
        level = "warning: " if self.warning else ""
        return f"{where}:{key} {level}{self.problem}"


class ConfigError(HearthError):
    """A config or scenario file is invalid; ``issues`` lists every problem found."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class StartupError(HearthError):
    """Plugins or adapters cannot be started as configured."""


class CommandError(HearthError):
    """A command cannot run; the message is the reply the member sees.

    The message may be a :class:`~hearth.Text` with mentions: :attr:`reply` keeps them.
    """

    @property
    def reply(self) -> str:
        """The reply the member sees (a :class:`~hearth.Text` stays one)."""
        first = self.args[0] if len(self.args) == 1 else None
        return first if isinstance(first, str) else str(self)


class UsageError(CommandError):
    """A command's arguments are malformed."""

    def __init__(self, problem: str, usage: str) -> None:
        self.problem = problem
        self.usage = usage
        super().__init__(problem + f"\nUsage: {usage}")


class PermissionDenied(CommandError):
    """The member may not run this command."""


class AdapterError(HearthError):
    """A platform refused or failed an action.

    :param detail: what the platform said, or what went wrong.
    :param platform: the adapter's name (``discord``, ``matrix``, ``testing``).
    :param action: what was being done (``send``, ``kick``, ``create group`` …).
    """

    def __init__(self, detail: str = "", *, platform: str | None = None, action: str | None = None) -> None:
        self.detail = detail
        self.platform = platform
        self.action = action
        super().__init__(detail)

    def __str__(self) -> str:
        return self._message()

    def _message(self) -> str:
        return ": ".join(part for part in (self.platform, self.action, self.detail) if part)


class CapabilityMissing(AdapterError):
    """The adapter cannot perform this action on its platform (``capability``, a
    :class:`~hearth.models.Capability` value)."""

    def __init__(self, detail: str = "", *, platform: str | None = None, action: str | None = None,
                 capability: str | None = None) -> None:
        self.capability = capability
        super().__init__(detail, platform=platform, action=action)

    def _message(self) -> str:
        if self.detail or self.capability is None:
            return super()._message()
        return f"the {self.platform or '?'} adapter cannot {self.capability}"


class Forbidden(AdapterError):
    """The bot lacks the platform permission for this action."""


class LimitReached(AdapterError):
    """The network's limit is reached (Discord: 500 channels per guild, or the
    configured cap on group channels); nothing was created."""


class NotFound(AdapterError):
    """The target of an action does not exist (any more)."""


class Unreachable(AdapterError):
    """The network could not be reached, or failed on its side (a timeout, a 5xx).

    Unlike the other adapter errors this one is worth retrying: the outbound
    flow retries such an action with backoff.
    """


class ConnectionLost(AdapterError):
    """The adapter's connection cannot go on (a revoked token, no way to log in again).

    Retrying cannot help, so the supervisor stops the app at once and
    ``hearth run`` exits non-zero for a service manager to restart it.
    """


class RateLimited(AdapterError):
    """The platform asked to slow down for ``retry_after`` seconds."""

    def __init__(self, detail: str = "", retry_after: float = 0.0, *, platform: str | None = None,
                 action: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(detail, platform=platform, action=action)

    def _message(self) -> str:
        return f"{super()._message()} (retry after {self.retry_after:.2f}s)"


class StorageError(HearthError):
    """The database failed, or its schema is newer than this code."""


class StorageUnavailable(StorageError):
    """The database cannot be used any more (corrupt, read-only, deleted, failing for too long).

    Fatal: the app stops and ``hearth run`` exits non-zero with this message.
    """
