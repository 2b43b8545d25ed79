"""Per-member command flood control (``command_flood`` in the config).

A member who runs more than ``max`` commands ``within`` a window gets one
notice and their commands are ignored for ``ignore_for``. Admins and owners
are exempt (the caller decides who is checked).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from hearth.config import CommandFloodConfig

Verdict = Literal["run", "notice", "ignore"]


@dataclass(slots=True)
class _Member:
    times: deque[datetime] = field(default_factory=deque)
    ignored_until: datetime | None = None


class FloodGuard:
    """Counts each member's recent commands, in the app's clock."""

    def __init__(self, config: CommandFloodConfig | None, *, remember: int = 10_000) -> None:
        self.config = config
        self._members: dict[tuple[str, ...], _Member] = {}
        self._remember = remember

    def check(self, who: tuple[str, ...], now: datetime) -> Verdict:
        """``run`` the command, send the one ``notice`` (and ignore it), or ``ignore`` it."""
        cfg = self.config
        if cfg is None:
            return "run"
        state = self._members.get(who)
        if state is None:
            if len(self._members) >= self._remember:
                self._forget(now)
            state = self._members[who] = _Member()
        if state.ignored_until is not None:
            if now < state.ignored_until:
                return "ignore"
            state.ignored_until = None
            state.times.clear()
        while state.times and now - state.times[0] >= cfg.within:
            state.times.popleft()
        state.times.append(now)
        if len(state.times) > cfg.max:
            state.ignored_until = now + cfg.ignore_for
            return "notice"
        return "run"

    def _forget(self, now: datetime) -> None:
        assert self.config is not None
        horizon = self.config.within + self.config.ignore_for
        self._members = {
            k: m for k, m in self._members.items()
            if (m.ignored_until and m.ignored_until > now) or (m.times and now - m.times[-1] < horizon)
        }
