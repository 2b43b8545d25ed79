"""The ``guard:`` config block (docs/plugins/guard.md) and its validation."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from hearth import (
    ChannelName,
    Duration,
    Ladder,
    Pattern,
    PluginConfig,
    Role,
    RoleName,
    TextOverrides,
    default_ladder,
    plain,
)
from hearth.plugins.guard.texts import TEXTS


class Throttle(PluginConfig):
    """A reporter with ``dismissed`` reports dismissed within ``within`` may not report for now."""

    dismissed: int = Field(3, ge=1)
    within: Duration = timedelta(days=7)


class Reports(PluginConfig):
    channel: ChannelName | None = None
    reward: Literal["thanks", "none"] = "thanks"
    throttle: Throttle = Throttle()


class Words(PluginConfig):
    block: list[str] = Field(default_factory=list)
    patterns: list[Pattern] = Field(default_factory=list)
    action: Literal["strike", "remove", "report"] = "strike"
    exempt_roles: list[RoleName] = Field(default_factory=lambda: [Role.ADMIN])

    @field_validator("block")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        for i, word in enumerate(value):
            if not isinstance(word, str) or not plain(word):
                raise ValueError(f"entry {i + 1}: {word!r} is empty once normalised (expected a word)")
        return value


class GuardConfig(PluginConfig):
    """``guard:`` — see docs/plugins/guard.md for every key."""

    reports: Reports = Reports()
    words: Words = Words()
    escalation: Ladder = Field(default_factory=default_ladder)
    strike_decay: Duration = timedelta(days=30)
    audit_channel: ChannelName | None = None
    texts: Annotated[TextOverrides, TEXTS] = Field(default_factory=TEXTS.model)

    @model_validator(mode="after")
    def _reports_go_somewhere(self) -> GuardConfig:
        if self.words.action == "report" and not (self.reports.channel or self.audit_channel):
            raise ValueError(
                "words.action: report needs reports.channel (or audit_channel) to file reports in")
        return self

    @property
    def reports_channel(self) -> str | None:
        """Where reports go: ``reports.channel``, else ``audit_channel``."""
        return self.reports.channel or self.audit_channel
