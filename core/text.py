"""Outgoing text built from parts, so each network renders a mention its own way.

A plugin never pastes a platform id into text: it builds the text from plain
strings and :func:`mention` parts, and each adapter renders the parts for its
network (a Discord ``<@id>``, a Matrix pill with the display name, ``@name``
in the console). A member of another network is named, never addressed by id.

:class:`Text` is a ``str`` (like ``markupsafe.Markup``): its string value is
the neutral form (``@Name`` for each mention), so it goes wherever a string
goes. Concatenation (``+``), :meth:`Text.format`, :meth:`Text.join` and the
texts of :mod:`hearth.i18n` keep the parts; other string operations (an
f-string, ``str.join``, slicing) give the neutral form, which names members
but mentions no one::

    await ctx.send("general", "Welcome " + mention(member) + "!")
    await ctx.send("general", Text("{who} opened {name}").format(who=mention(m), name=name))
    await ctx.send("general", say("welcome", mention=mention(member)))   # hearth.i18n
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, SupportsIndex

if TYPE_CHECKING:
    from typing import Self

#: a display name is cut to this length in a mention
MAX_NAME_CHARS = 64
# Control and invisible characters (direction overrides can reorder the text around a
# name), and the characters of Discord's and HTML's markup (``<@123>`` in a name would
# become a real mention on Discord).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff<>`]")
_FORMATTER = string.Formatter()


def safe_name(name: str) -> str:
    """``name`` as it may appear in a message: one line, no markup, at most MAX_NAME_CHARS."""
    return " ".join(_UNSAFE.sub("", " ".join(name.split())).split())[:MAX_NAME_CHARS]


CODE_SPAN = re.compile(r"`[^`\n]+`")
"""A literal (see :func:`literal`) in an outgoing text."""


def literal(text: str) -> str:
    """``text`` as a code span: every adapter shows it as written, never as a mention or a link."""
    return "`" + (" ".join(text.replace("`", "'").split()) or " ") + "`"


@dataclass(frozen=True, slots=True)
class Mention:
    """A member mentioned in an outgoing text: an adapter renders it natively on their network.

    ``with_id``: not a mention but the member as moderators must see them, the display
    name beside the account id (see :attr:`hearth.Member.name_and_id`); the id is shown
    on the member's own network only.
    """

    platform: str
    id: str
    name: str
    with_id: bool = False

    @property
    def shown(self) -> str:
        """The neutral form: ``@`` and the display name; with ``with_id``, ``Name (`id`)``."""
        name = safe_name(self.name)
        if self.with_id:
            shown = literal(self.id)
            return f"{name} ({shown})" if name and name not in (self.id, "@" + self.id) else shown
        return "@" + (name or safe_name(self.id) or "someone")

    @property
    def elsewhere(self) -> str:
        """How another network shows the member: by name, never by id (``@Name``;
        with ``with_id``, ``Name (discord)``)."""
        name = safe_name(self.name) or "someone"
        return f"{name} ({self.platform})" if self.with_id else f"@{name}"


class _Account(Protocol):
    @property
    def platform(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...


Part = str | Mention


class Text(str):
    """A string made of plain text and :class:`Mention` parts (see the module docstring)."""

    parts: tuple[Part, ...]

    def __new__(cls, *pieces: str | Mention) -> Self:
        parts: list[Part] = []
        for piece in pieces:
            for part in piece.parts if isinstance(piece, Text) else (piece,):
                if isinstance(part, Mention):
                    parts.append(part)
                elif part:
                    if parts and isinstance(parts[-1], str):
                        parts[-1] += str(part)
                    else:
                        parts.append(str(part))
        self = super().__new__(cls, "".join(p.shown if isinstance(p, Mention) else p for p in parts))
        self.parts = tuple(parts)
        return self

    def __repr__(self) -> str:
        return f"Text{self.parts!r}"

    def __reduce__(self) -> Any:
        return (Text, self.parts)

    @property
    def mentions(self) -> tuple[Mention, ...]:
        """The members mentioned, in order (a member mentioned twice is listed twice)."""
        return tuple(p for p in self.parts if isinstance(p, Mention))

    def render(self, mention: Callable[[Mention], str]) -> str:
        """The text as one network shows it: each mention rendered by ``mention``."""
        return "".join(mention(p) if isinstance(p, Mention) else p for p in self.parts)

    def to_json(self) -> list[Any]:
        """The parts as JSON (to keep a text in a job's or an action's ``data``):
        strings, and ``{"platform", "id", "name"}`` for each mention. See :meth:`from_json`."""
        return [p if isinstance(p, str) else
                {"platform": p.platform, "id": p.id, "name": p.name, "with_id": p.with_id}
                for p in self.parts]

    @classmethod
    def from_json(cls, data: str | list[Any]) -> Text:
        """The text :meth:`to_json` gave (a plain string is a text without mentions)."""
        if isinstance(data, str):
            return cls(data)
        return cls(*(p if isinstance(p, str) else
                     Mention(str(p["platform"]), str(p["id"]), str(p["name"]), bool(p.get("with_id")))
                     for p in data))

    def __add__(self, other: str) -> Text:
        if not isinstance(other, str):
            return NotImplemented
        return Text(self, other)

    def __radd__(self, other: str) -> Text:
        if not isinstance(other, str):
            return NotImplemented
        return Text(other, self)

    def __mul__(self, count: SupportsIndex) -> Text:
        return Text(*[self] * int(count))

    def join(self, iterable: Iterable[str]) -> Text:
        """Like ``str.join``, keeping the mentions of the joined texts."""
        pieces: list[str] = []
        for n, item in enumerate(iterable):
            if n:
                pieces.append(self)
            pieces.append(item)
        return Text(*pieces)

    def strip(self, chars: str | None = None) -> Text:
        """Like ``str.strip``, on the plain ends; mentions are kept."""
        parts = list(self.parts)
        if parts and isinstance(parts[0], str):
            parts[0] = parts[0].lstrip(chars)
        if parts and isinstance(parts[-1], str):
            parts[-1] = parts[-1].rstrip(chars)
        return Text(*parts)

    def format(self, *args: object, **kwargs: object) -> Text:
        """Like ``str.format``; a :class:`Text` value keeps its mentions."""
        return compose(self, kwargs, args)

    def format_map(self, mapping: Mapping[str, Any]) -> Text:  # type: ignore[override]
        return compose(self, mapping)


def compose(template: str, values: Mapping[str, Any], args: Iterable[object] = ()) -> Text:
    """``template`` with its ``{name}`` fields replaced by ``values``, as a :class:`Text`.

    A value that is a :class:`Text` (a :func:`mention`, or text built from one)
    is inserted with its parts; others are formatted as ``str.format`` would.
    A placeholder without a value raises ``KeyError``, as ``str.format``
    (a mapping with ``__missing__`` may supply one).
    """
    plain = template.parts if isinstance(template, Text) else (template,)
    positional = list(args)
    out: list[str | Mention] = []
    auto = 0
    for piece in plain:
        if isinstance(piece, Mention):
            out.append(piece)
            continue
        for literal, field, spec, conversion in _FORMATTER.parse(piece):
            out.append(literal)
            if field is None:
                continue
            if field == "":
                field, auto = str(auto), auto + 1
            value: Any
            if field.isdigit():
                value = positional[int(field)]
            else:
                value, _ = _FORMATTER.get_field(field, positional, values)
            if conversion:
                value = _FORMATTER.convert_field(value, conversion)
            if isinstance(value, Text) and not spec:
                out.append(value)
            else:
                out.append(_FORMATTER.format_field(value, spec or ""))
    return Text(*out)


def mention(member: _Account) -> Text:
    """A mention of ``member`` (a :class:`~hearth.Member` or a directory record), as text.

    On the member's own network it is a real mention (a Discord ``<@id>``, a
    Matrix pill showing the display name); elsewhere it shows ``@`` and the
    display name, never the id.
    """
    return Text(Mention(member.platform, member.id, member.name))


def render(text: str, mention: Callable[[Mention], str]) -> str:
    """``text`` for one network: a :class:`Text`'s mentions rendered by ``mention``; a plain
    string as it is."""
    return text.render(mention) if isinstance(text, Text) else text
