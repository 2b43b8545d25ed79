"""The ``ad_window:`` config block (docs/plugins/ad_window.md) and its validation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator

from hearth import (
    ChannelName,
    Day,
    Duration,
    Pattern,
    PluginConfig,
    Role,
    RoleName,
    TextOverrides,
    TimeOfDay,
    format_duration,
    parse_duration,
)
from hearth.plugins.ad_window.texts import TEXTS

STEP_HINT = "expected warn, kick, ban or {mute: DURATION} (e.g. {mute: 1h})"


@dataclass(frozen=True, slots=True)
class Step:
    """One rung of the escalation ladder: ``warn``, ``mute`` (for ``duration``), ``kick``, ``ban``."""

    action: Literal["warn", "mute", "kick", "ban"]
    duration: timedelta | None = None

    def __str__(self) -> str:
        if self.action == "mute" and self.duration is not None:
            return f"mute {format_duration(self.duration)}"
        return self.action


def _step(value: Any) -> Step:
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


class Window(PluginConfig):
    """A weekly slot: ``days`` at ``from`` until ``to`` (crossing midnight when ``to`` <= ``from``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    days: list[Day] = Field(min_length=1)
    start: TimeOfDay = Field(alias="from")
    end: TimeOfDay = Field(alias="to")


class Repeat(PluginConfig):
    copies: int = Field(3, ge=0)
    within: Duration = timedelta(minutes=10)


class Detect(PluginConfig):
    allow_domains: list[str] = Field(default_factory=list)
    invite_links: bool = True
    contact_handles: bool = True
    pitches: bool = True
    patterns: list[Pattern] = Field(default_factory=list)
    repeat: Repeat = Repeat()

    @field_validator("allow_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        out = []
        for raw in value:
            domain = raw.strip().lower().removeprefix("https://").removeprefix("http://")
            domain = domain.split("/", 1)[0].removeprefix("www.").strip(".")
            if not domain or " " in domain:
                raise ValueError(f"{raw!r} is not a domain (expected e.g. example.org)")
            out.append(domain)
        return out


class Announce(PluginConfig):
    channel: ChannelName | None = None


def _default_windows() -> list[Window]:
    return [Window(days=[4], start=time(20, 0), end=time(22, 0))]


def _default_escalation() -> list[Step]:
    return [
        Step("warn"),
        Step("mute", timedelta(hours=1)),
        Step("mute", timedelta(hours=24)),
        Step("kick"),
        Step("ban"),
    ]


class AdWindowConfig(PluginConfig):
    """``ad_window:`` — see docs/plugins/ad_window.md for every key."""

    windows: list[Window] = Field(default_factory=_default_windows)
    ad_channels: list[ChannelName] = Field(default_factory=list)
    per_window_quota: int = Field(1, ge=0)
    exempt_roles: list[RoleName] = Field(default_factory=lambda: [Role.ADMIN, Role.LEADER])
    detect: Detect = Detect()
    escalation: list[Step] = Field(default_factory=_default_escalation, min_length=1)
    strike_decay: Duration = timedelta(days=30)
    announce: Announce = Announce()
    audit_channel: ChannelName | None = None
    texts: Annotated[TextOverrides, TEXTS] = Field(default_factory=TEXTS.model)

    @field_validator("escalation", mode="before")
    @classmethod
    def _escalation(cls, value: Any) -> Any:
        if not isinstance(value, list):
            raise ValueError(f"expected a list of steps ({STEP_HINT})")
        steps = []
        for i, item in enumerate(value):
            try:
                steps.append(_step(item))
            except ValueError as exc:
                raise ValueError(f"entry {i + 1}: {exc}") from None
        return steps


