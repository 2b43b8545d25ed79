"""Escalation ladders: what the n-th active strike brings (warn, mute, kick, ban).

A plugin that punishes declares one in its config (``escalation:``)::

    class MyConfig(PluginConfig):
        escalation: Ladder = Field(default_factory=default_ladder)

The ladder is applied to the person's total of active strikes in the core
strike ledger (``ctx.strikes``), so strikes from every plugin add up; each
plugin keeps its own ladder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from hearth.timeutil import format_duration, parse_duration

STEP_HINT = "expected warn, kick, ban or {mute: DURATION} (e.g. {mute: 1h})"


@dataclass(frozen=True, slots=True)
class Step:
    """One rung of an escalation ladder: ``warn``, ``mute`` (for ``duration``), ``kick``, ``ban``."""

    action: Literal["warn", "mute", "kick", "ban"]
    duration: timedelta | None = None

    def __str__(self) -> str:
        if self.action == "mute" and self.duration is not None:
            return f"mute {format_duration(self.duration)}"
        return self.action


def parse_step(value: Any) -> Step:
    """One ladder entry as written in YAML; ``ValueError`` says what is expected."""
    if isinstance(value, Step):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("warn", "kick", "ban"):
            return Step(word)  # type: ignore[arg-type]
        if word == "mute":
            raise ValueError("mute needs a duration: write {mute: 1h}")
        raise ValueError(f"{value!r} is not an escalation step ({STEP_HINT})")
    if isinstance(value, dict) and len(value) == 1 and "mute" in value:
        raw = value["mute"]
        if not isinstance(raw, str):
            raise ValueError(f"mute duration {raw!r} is not a duration such as 10m, 1h or 7d")
        return Step("mute", parse_duration(raw))
    raise ValueError(f"{value!r} is not an escalation step ({STEP_HINT})")


def _ladder(value: Any) -> list[Step]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a non-empty list of steps ({STEP_HINT})")
    steps = []
    for i, item in enumerate(value):
        try:
            steps.append(parse_step(item))
        except ValueError as exc:
            raise ValueError(f"entry {i + 1}: {exc}") from exc
    return steps


Ladder = Annotated[list[Step], BeforeValidator(_ladder)]
"""A config value holding an escalation ladder (``[warn, {mute: 1h}, kick, ban]``)."""


def default_ladder() -> list[Step]:
    """``[warn, {mute: 1h}, {mute: 24h}, kick, ban]``."""
    return [
        Step("warn"),
        Step("mute", timedelta(hours=1)),
        Step("mute", timedelta(hours=24)),
        Step("kick"),
        Step("ban"),
    ]


def step_for(ladder: list[Step], strikes: int) -> Step:
    """The step the ``strikes``-th active strike brings: the n-th entry, the last one repeating."""
    return ladder[max(1, min(strikes, len(ladder))) - 1]
