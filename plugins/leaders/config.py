"""The ``leaders:`` block of a community's config (docs/plugins/leaders.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, model_validator

from hearth import ChannelName, Duration, PluginConfig, TextOverrides

from .texts import TEXTS

Power = Literal["announce", "pin", "moderate", "invite_codes", "flash"]
POWERS: tuple[Power, ...] = ("announce", "pin", "moderate", "invite_codes", "flash")


class LeadersConfig(PluginConfig):
    """How many leaders, chosen how, holding which powers, each looking after how many."""

    share: float = Field(default=0.10, gt=0, le=1)
    min: int = Field(default=1, ge=0)
    max: int = Field(default=20, ge=0)
    window: Duration = timedelta(days=30)
    approval: Literal["owner", "auto"] = "owner"
    review_every: Duration = timedelta(days=7)
    inactive_after: Duration = timedelta(days=30)
    powers: list[Power] = Field(default_factory=lambda: list(POWERS))
    channel: ChannelName | None = None
    span: int = Field(default=9, ge=1)
    texts: Annotated[TextOverrides, TEXTS] = Field(default_factory=TEXTS.model)

    @model_validator(mode="after")
    def _min_within_max(self) -> LeadersConfig:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is more than max ({self.max})")
        return self
