"""The ``ad_window:`` config block (docs/plugins/ad_window.md) and its validation."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated

from pydantic import ConfigDict, Field, field_validator

from hearth import (
    ChannelName,
    Day,
    Duration,
    Ladder,
    Pattern,
    PluginConfig,
    Role,
    RoleName,
    TextOverrides,
    TimeOfDay,
    default_ladder,
)
from hearth.plugins.ad_window.texts import TEXTS


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


class AdWindowConfig(PluginConfig):
    """``ad_window:`` — see docs/plugins/ad_window.md for every key."""

    windows: list[Window] = Field(default_factory=_default_windows)
    ad_channels: list[ChannelName] = Field(default_factory=list)
    per_window_quota: int = Field(1, ge=0)
    exempt_roles: list[RoleName] = Field(default_factory=lambda: [Role.ADMIN, Role.LEADER])
    detect: Detect = Detect()
    escalation: Ladder = Field(default_factory=default_ladder)
    strike_decay: Duration = timedelta(days=30)
    announce: Announce = Announce()
    audit_channel: ChannelName | None = None
    texts: Annotated[TextOverrides, TEXTS] = Field(default_factory=TEXTS.model)
