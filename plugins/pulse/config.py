"""The ``pulse:`` block of a community's config (docs/plugins/pulse.md).

Each part is off until its block is there: ``rules_reminder``, ``topics``,
``inactivity``, ``health``.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from hearth import (
    ChannelName,
    Day,
    Duration,
    PluginConfig,
    Role,
    RoleName,
    TextOverrides,
    TimeOfDay,
    longest,
    shortest,
)

from .texts import TEXTS

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
YEAR = timedelta(days=365)

Cadence = Annotated[Duration, shortest(HOUR)]
"""How often something recurs: at least an hour (a bot posting more often is a broadcast)."""


class Early(PluginConfig):
    """The reminders' rhythm while the community is young, or after a wave of joins."""

    every: Cadence = DAY
    for_: Annotated[Duration, longest(YEAR)] = Field(default=timedelta(days=14), alias="for")


class RulesReminder(PluginConfig):
    """The community's ``rules`` posted again, often at first, then rarely."""

    channel: ChannelName
    at: TimeOfDay = time(10, 0)
    every: Cadence = timedelta(days=7)
    early: Early = Early()
    #: joins within a week that count as a wave (which starts the early rhythm again)
    wave: int = Field(default=10, ge=2)
    pin: bool = False


class Topics(PluginConfig):
    """A daily topic from a pool, by the bot or by the leader on duty."""

    channel: ChannelName
    at: TimeOfDay = time(20, 0)
    pool: list[str] = Field(min_length=1)
    by: Literal["bot", "leaders"] = "bot"
    skip_if_active: int | None = Field(default=None, ge=1)
    back_off: bool = True

    @field_validator("pool", mode="before")
    @classmethod
    def _topics(cls, value: object) -> object:
        if isinstance(value, list):
            if not value:
                raise ValueError("the topic pool is empty: give at least one topic (or remove topics:)")
            blank = [i for i, item in enumerate(value) if isinstance(item, str) and not item.strip()]
            if blank:
                raise ValueError(f"topic {blank[0] + 1} of the pool is empty")
        return value


class Inactivity(PluginConfig):
    """A friendly DM to silent members; removal only when asked for."""

    nudge_after: Annotated[Duration, shortest(DAY)] = timedelta(days=30)
    remove_after: Annotated[Duration, shortest(DAY)] | None = None
    max_removals_per_day: int = Field(default=10, ge=1)
    exempt_roles: list[RoleName] = Field(default_factory=lambda: [Role.ADMIN, Role.LEADER])
    #: where the moderators get the list of members to be removed (default: health.channel)
    moderators: ChannelName | None = None
    #: when the daily check runs
    at: TimeOfDay = time(12, 0)


class Health(PluginConfig):
    """The report on the community's health, and the warning when talk dies down."""

    channel: ChannelName
    every: Cadence = timedelta(days=7)
    at: TimeOfDay = time(9, 0)
    day: Day | None = None
    dying_below: float = Field(default=3, ge=0)
    #: the report's chart covers this many weeks (0: no chart)
    chart_weeks: int = Field(default=8, ge=0, le=52)


class PulseConfig(PluginConfig):
    """Validated ``pulse:`` config."""

    rules_reminder: RulesReminder | None = None
    topics: Topics | None = None
    inactivity: Inactivity | None = None
    health: Health | None = None
    texts: Annotated[TextOverrides, TEXTS] = Field(default_factory=TEXTS.model)

    @model_validator(mode="after")
    def _moderators_told(self) -> PulseConfig:
        inactivity = self.inactivity
        if (inactivity is not None and inactivity.remove_after is not None
                and inactivity.moderators is None and self.health is None):
            raise ValueError("inactivity.remove_after needs a channel for the moderators' list: "
                             "set inactivity.moderators (or health.channel)")
        return self

    def moderators(self) -> str | None:
        """Where the moderators are told (the removal list, the dying warnings)."""
        if self.inactivity is not None and self.inactivity.moderators is not None:
            return self.inactivity.moderators
        return self.health.channel if self.health is not None else None
