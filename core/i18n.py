"""Texts a plugin sends: defaults per language, overridable from the config.

A plugin keeps its defaults as ``{"en": {...}, "zh": {...}}`` and lets the
operator override any of them (a ``texts:`` mapping in its config)::

    say = texts(DEFAULTS, ctx.language, ctx.config.texts)
    await ctx.send("general", say("welcome", mention=member.mention))

Placeholders use ``str.format`` names; a missing placeholder is left as written
instead of raising, so an operator's typo never silences the bot.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


class _Keep(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(template: str, **values: Any) -> str:
    """``template.format(**values)``, leaving unknown ``{placeholders}`` as written."""
    return template.format_map(_Keep(values))


def texts(
    defaults: Mapping[str, Mapping[str, str]],
    language: str,
    overrides: Mapping[str, str] | None = None,
) -> Callable[..., str]:
    """A function ``say(key, **values)`` giving the text for ``key`` in ``language``."""
    base = defaults.get(language) or defaults["en"]
    english = defaults["en"]

    def say(key: str, **values: Any) -> str:
        template = (overrides or {}).get(key) or base.get(key) or english[key]
        return render(template, **values)

    return say
