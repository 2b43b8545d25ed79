"""Texts a plugin sends: defaults per language, overridable from the config.

A plugin declares its texts once, as a :class:`Texts` catalog: the defaults
per language and, for each text, the placeholders it is rendered with (those
its defaults use, plus any ``extra`` ones the code also passes)::

    TEXTS = Texts(DEFAULTS, extra={"welcome": ["name", "inviter"]})   # DEFAULTS: {"en": {...}, "zh": {...}}

    class MyConfig(PluginConfig):
        texts: Annotated[TextOverrides, TEXTS] = Field(default_factory=TEXTS.model)  # `texts:`
        message: Annotated[str | None, TEXTS.text("welcome")] = None  # one text with its own key

    say = texts(DEFAULTS, ctx.language, ctx.config.texts)
    await ctx.send("general", say("welcome", mention=mention(member)))

A text is a :class:`~hearth.text.Text`: a placeholder given a :func:`~hearth.mention`
(or any ``Text``) keeps it as a mention, which each network renders its own way.

Every override and template goes through :meth:`Texts.check` when the config is
loaded, so ``hearth check`` refuses an unknown text, an unknown or malformed
placeholder (``{strikes: please stop}``, ``{mention.id}``) and a stray brace,
with the file and line. A literal brace is written doubled: ``{{`` or ``}}``.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, GetCoreSchemaHandler, create_model

from hearth.text import Text, compose

_FORMATTER = string.Formatter()


def placeholders(template: str) -> list[str]:
    """The ``{name}`` placeholders in ``template``; ``ValueError`` for a malformed one."""
    try:
        parts = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise ValueError(f"{exc} (write {{{{ or }}}} for a literal brace)") from exc
    names = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise ValueError(f"{shown} is not a placeholder (write {{name}}, or {{{{ for a literal brace)")
        names.append(name)
    return names


class TextOverrides(BaseModel):
    """The operator's ``texts:`` of one plugin: each field is a text key, unset ones are None."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def get(self, key: str) -> str | None:
        """The override of ``key``, or None."""
        value = getattr(self, key, None)
        return value if isinstance(value, str) else None


class Texts:
    """A plugin's texts: defaults per language and the placeholders each is rendered with."""

    def __init__(
        self,
        defaults: Mapping[str, Mapping[str, str]],
        *,
        extra: Mapping[str, Iterable[str]] | None = None,
        common: Iterable[str] = (),
    ) -> None:
        """``extra[key]``: placeholders the code passes beyond those the defaults use;
        ``common``: placeholders every text is rendered with."""
        self.defaults = defaults
        english = defaults["en"]
        unknown = set(extra or {}) - set(english)
        if unknown:
            raise ValueError(f"extra placeholders for unknown texts: {sorted(unknown)}")
        self._allowed = {
            key: frozenset(
                name
                for language in defaults.values()
                for name in placeholders(language.get(key, ""))
            ) | frozenset((extra or {}).get(key, ())) | frozenset(common)
            for key in english
        }

    def allowed(self, key: str) -> frozenset[str]:
        """The placeholders text ``key`` may use."""
        return self._allowed[key]

    def check(self, key: str, template: str | None) -> str | None:
        """``template`` if it is a valid text for ``key``, else ``ValueError`` saying why."""
        if template is None:
            return None
        allowed = self._allowed[key]
        for name in placeholders(template):
            if name not in allowed:
                import difflib  # here: only a mistake needs it (it costs memory on every start)
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f"; did you mean {{{close[0]}}}?" if close else ""
                known = ", ".join("{" + n + "}" for n in sorted(allowed)) or "none"
                raise ValueError(f"unknown placeholder {{{name}}} (this text may use: {known}){hint}")
        return template

    def text(self, key: str) -> AfterValidator:
        """Validation for a config key that sets text ``key`` (``Annotated[str | None, …]``)."""
        return AfterValidator(lambda value: self.check(key, value))

    @cached_property
    def model(self) -> type[TextOverrides]:
        """The schema of ``texts:``: one optional field per text key, each checked."""
        fields: dict[str, Any] = {
            key: (Annotated[str | None, self.text(key)], None) for key in self._allowed
        }
        return create_model("Texts", __base__=TextOverrides, **fields)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        """``Annotated[TextOverrides, TEXTS]`` validates ``texts:`` as :attr:`model`."""
        return handler.generate_schema(self.model)


def render(template: str, **values: Any) -> Text:
    """``template.format(**values)``; a placeholder the code did not pass is left as written.

    A value that is a :class:`~hearth.text.Text` (a mention) keeps its parts.
    Operators' templates are checked when the config is loaded (:meth:`Texts.check`),
    so only a plugin's own mistake reaches the fallback.
    """
    return compose(template, _Keep(values))


class _Keep(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def texts(
    defaults: Mapping[str, Mapping[str, str]],
    language: str,
    overrides: TextOverrides | Mapping[str, str] | None = None,
) -> Callable[..., Text]:
    """A function ``say(key, **values)`` giving the text for ``key`` in ``language``."""
    base = defaults.get(language) or defaults["en"]
    english = defaults["en"]

    def say(key: str, **values: Any) -> Text:
        template = (overrides.get(key) if overrides is not None else None) or base.get(key) or english[key]
        return render(template, **values)

    return say
