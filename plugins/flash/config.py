"""The ``flash:`` block of a community's config."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, model_validator

from hearth import ChannelName, Duration, PluginConfig, Role, RoleName, TextOverrides, format_duration
from hearth.plugins.flash.texts import TEXTS


class FlashConfig(PluginConfig):
    """Who may open flash groups, how many, for how long, and how they end."""

    creators: RoleName = Role.LEADER
    max_open: int = Field(default=5, ge=1)
    default_duration: Duration = timedelta(hours=2)
    max_duration: Duration = timedelta(days=7)
    remind_before: Duration = timedelta(minutes=10)
    on_close: Literal["delete", "archive"] = "delete"
    announce: ChannelName | None = None
    texts: Annotated[TextOverrides, TEXTS] = Field(default_factory=TEXTS.model)

    @model_validator(mode="after")
    def _default_within_max(self) -> FlashConfig:
        if self.default_duration > self.max_duration:
            raise ValueError(
                f"default_duration ({format_duration(self.default_duration)}) is longer than "
                f"max_duration ({format_duration(self.max_duration)})"
            )
        return self
