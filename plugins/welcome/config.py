"""The ``welcome:`` block of a community's config (docs/plugins/welcome.md), with defaults everywhere."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from hearth import (
    ChannelName,
    Day,
    Deprecated,
    Duration,
    PluginConfig,
    Role,
    RoleName,
    TextOverrides,
    TimeOfDay,
    longest,
)

from .texts import TEXTS


def _optional_span(value: Any) -> Any:
    """``0``, ``"0s"``, ``"0"``, ``null``: no span (welcome each join at once)."""
    if value is None or value == 0:
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*0+\s*[smhdw]?\s*", value):
        return None
    return value


Delivery = Literal["dm", "channel"]
Span = Annotated[Duration | None, BeforeValidator(_optional_span)]
# Joins are merged into one welcome over at most a day: longer would leave newcomers unwelcomed.
Burst = Annotated[Annotated[Duration, longest(timedelta(days=1))] | None, BeforeValidator(_optional_span)]


class Accept(PluginConfig):
    command: str = "agree"
    reaction: str | None = "✅"
    within: Duration = timedelta(hours=24)
    on_timeout: Literal["kick", "remind", "nothing"] = "kick"

    @field_validator("command", mode="before")
    @classmethod
    def _command_name(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("expected a command name such as agree")
        name = value.strip().lstrip("!/").lower()
        if not re.fullmatch(r"[a-z0-9_-]{1,32}", name):
            raise ValueError(
                f"{value!r} is not a command name (one word of letters, digits, - or _, such as agree)"
            )
        return name

    @field_validator("reaction", mode="before")
    @classmethod
    def _reaction(cls, value: Any) -> Any:
        return None if value in ("", False) else value


class Introduction(PluginConfig):
    channel: ChannelName | None = None
    prompt: Annotated[str | None, TEXTS.text("intro_prompt")] = None
    thank: bool = True


class Throttle(PluginConfig):
    attempts: int = Field(5, ge=1)
    within: Duration = timedelta(minutes=10)


class GateQuestion(PluginConfig):
    """One question of ``gate.questions``: free text, or ``choices`` with an optional right ``answer``."""

    ask: str = Field(min_length=1)
    choices: list[str] | None = Field(None, min_length=2, max_length=100)
    answer: str | None = None
    hint: str | None = None

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> GateQuestion:
        if self.answer is not None and (self.choices is None or self.answer not in self.choices):
            offered = ", ".join(self.choices or [])
            raise ValueError(f"answer {self.answer!r} is not one of the choices"
                             + (f" ({offered})" if offered else " (the question has no choices)"))
        return self


class Approval(PluginConfig):
    """``gate.approval``: a person reviews each newcomer who passed the other gates."""

    by: RoleName = Role.ADMIN
    channel: ChannelName | None = None


class CodesPerIssuer(PluginConfig):
    """``gate.codes_per_issuer``: how many uses of codes each issuer may hand out per period."""

    count: int = Field(ge=1)
    per: Duration = timedelta(days=7)


class Gate(PluginConfig):
    invitation_codes: bool = False
    codes_per_issuer: CodesPerIssuer | None = None
    approval: Approval | None = None
    questions: list[GateQuestion] = Field(default_factory=list)
    code_length: int = Field(8, ge=4, le=32)
    default_uses: int = Field(1, ge=1)
    default_expires: Duration = timedelta(days=7)
    throttle: Throttle = Throttle()


class Raid(PluginConfig):
    """``raid``: a join wave (more than ``joins`` within ``within``) puts its newcomers on hold."""

    joins: int = Field(ge=2)
    within: Duration = timedelta(minutes=1)
    then: Literal["hold"] = "hold"
    channel: ChannelName | None = None


class Reminder(PluginConfig):
    every: Span = None
    channel: ChannelName | None = None
    at: TimeOfDay = time(10, 0)
    day: Day | None = None


class WelcomeConfig(PluginConfig):
    """Validated ``welcome:`` config; ``None`` values fall back as documented."""

    channel: ChannelName | None = None
    community_name: str | None = None
    message: Annotated[str | None, TEXTS.text("welcome")] = None
    rules: Annotated[str | None, Deprecated("the rules live on the community", community_key="rules")] = None
    rules_delivery: list[Delivery] = Field(default_factory=lambda: list[Delivery](["dm"]), min_length=1)
    accept: Accept = Accept()
    introduction: Introduction = Introduction()
    gate: Gate = Gate()
    raid: Raid | None = None
    burst: Burst = None
    reminder: Annotated[Reminder, Deprecated(
        "rule reminders moved to pulse (they taper, and can pin the newest)",
        replaced_by="plugins.pulse.rules_reminder")] = Reminder()
    texts: Annotated[TextOverrides, TEXTS] = Field(default_factory=TEXTS.model)

    @field_validator("rules_delivery", mode="before")
    @classmethod
    def _one_delivery(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value
