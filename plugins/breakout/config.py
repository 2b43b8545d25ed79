"""The ``breakout:`` block of a community's config (docs/plugins/breakout.md)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from hearth import ChannelName, Duration, PluginConfig, TextOverrides

from .texts import TEXTS

#: the most choices one question offers (a Discord select menu shows 25)
MAX_CHOICES = 25


class Question(PluginConfig):
    """One question of the questionnaire: a key, the text asked, and its choices."""

    key: str
    ask: str = Field(min_length=1, max_length=500)
    choices: list[str]
    multiple: bool = False

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9_-]{1,32}", value):
            raise ValueError(f"{value!r} is not a question key (one word of a-z, 0-9, - or _)")
        return value

    @field_validator("choices")
    @classmethod
    def _choices(cls, value: list[str]) -> list[str]:
        labels = [" ".join(str(c).split()) for c in value]
        if len(labels) < 2:
            raise ValueError(f"a question needs at least two choices (got {len(labels)})")
        if len(labels) > MAX_CHOICES:
            raise ValueError(f"a question offers at most {MAX_CHOICES} choices (got {len(labels)})")
        if not all(labels) or any(len(label) > 80 for label in labels):
            raise ValueError("each choice needs a label of 1 to 80 characters")
        twice = sorted({label for label in labels if labels.count(label) > 1})
        if twice:
            raise ValueError(f"the choice {twice[0]!r} is listed twice")
        return labels


def _default_questions() -> list[Question]:
    return [
        Question(key="career", ask="What do you do?",
                 choices=["engineering", "design", "marketing", "student", "other"]),
        Question(key="interests", ask="Pick what you enjoy",
                 choices=["tea", "hiking", "books", "games", "music"], multiple=True),
        Question(key="city", ask="Where do you live?", choices=["north", "south", "east", "west"]),
    ]


class BreakoutConfig(PluginConfig):
    """The questionnaire, the shape of the groups, and the rhythm of the rounds."""

    questions: list[Question] = Field(default_factory=_default_questions, min_length=1)
    ask_newcomers: bool = True
    group_size: int = Field(default=5, ge=2, le=25)
    cycle: Duration | None = None
    duration: Duration | None = None
    on_close: Literal["archive", "delete"] = "archive"
    seat_leader: bool = True
    mix_newcomers: bool = True
    avoid_repeat_rounds: int = Field(default=3, ge=0, le=50)
    representatives: bool = False
    max_groups: int = Field(default=40, ge=1, le=500)
    as_: Literal["channels", "threads"] = Field(default="channels", alias="as")
    thread_channel: ChannelName | None = None
    report_to: ChannelName | None = None
    texts: Annotated[TextOverrides, TEXTS] = Field(default_factory=TEXTS.model)

    @field_validator("group_size", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and value < 2:
            raise ValueError(f"a group needs at least 2 members (got {value})")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BreakoutConfig:
        seen: dict[str, int] = {}
        for n, question in enumerate(self.questions):
            if question.key in seen:
                # Raised as a ValidationError so the error names the duplicate's own line.
                raise ValidationError.from_exception_data("breakout", [{
                    "type": "value_error", "loc": ("questions", n, "key"), "input": question.key,
                    "ctx": {"error": ValueError(
                        f"the question key {question.key!r} is used twice "
                        f"(first by question {seen[question.key] + 1})")},
                }])
            seen[question.key] = n
        if self.as_ == "threads" and self.thread_channel is None:
            raise ValueError("as: threads needs thread_channel (the channel the threads open in)")
        return self

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    @property
    def keys(self) -> list[str]:
        return [q.key for q in self.questions]
