"""Events as JSON text, for the durable inbox another process reads (:mod:`hearth.inbox`).

An event is written as its class name and its fields; nested models (a
member, a message, a channel) as their fields, times as ISO 8601 text.
Reading is directed by each class's field types, so a role comes back a
:class:`~hearth.models.Role`, a tuple a tuple. A message's ``raw`` (the
network's own payload, opaque and not portable) is left out: the process that
reads the event has no use for another process's network objects.

Every :class:`~hearth.events.Event` subclass can be written whose fields are
``str``, ``int``, ``float``, ``bool``, ``None``, times, enums, literals,
tuples, JSON-like dicts and other :func:`~hearth.models.model` classes.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
import types
import typing
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from hearth.events import Event
from hearth.models import Message
from hearth.timeutil import to_ms

#: fields not written: the network's own objects
_LEFT_OUT = frozenset({"raw"})

#: fields rows written by an earlier version name otherwise: (class, name) -> (field, reader).
#: A journal or durable inbox can hold such rows across an upgrade.
_EARLIER: dict[tuple[type, str], tuple[str, Callable[[Any], Any]]] = {
    (Message, "time"): ("time_ms", lambda text: to_ms(datetime.fromisoformat(text))),
}


class CodecError(ValueError):
    """The text is not an event this version of Hearth knows."""


def encode(event: Event) -> str:
    """``event`` as JSON text."""
    return json.dumps({"type": type(event).__name__, "event": _plain(event)},
                      ensure_ascii=False, separators=(",", ":"))


def decode(text: str) -> Event:
    """The event :func:`encode` wrote; :class:`CodecError` when it cannot be read."""
    try:
        record = json.loads(text)
        found = _event_classes()
        if record["type"] not in found:  # its module was imported after the last look
            _event_classes.cache_clear()
            found = _event_classes()
        event = _read(found[record["type"]], record["event"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CodecError(f"not a Hearth event: {exc!r}") from exc
    assert isinstance(event, Event)
    return event


def plain(value: Any) -> Any:
    """``value`` (a model, a time, a tuple of them …) as plain JSON values, as events are
    written; :func:`read` turns it back (the outbound journal writes actions' arguments so)."""
    return _plain(value)


def read(kind: Any, value: Any) -> Any:
    """What :func:`plain` wrote, as type ``kind`` (``Member``, ``Channel | None`` …)."""
    return _read(kind, value)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name not in _LEFT_OUT}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


@cache
def _event_classes() -> dict[str, type[Event]]:
    found: dict[str, type[Event]] = {}
    todo: list[type[Event]] = [Event]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        # ``@model`` makes a new (slotted) class: the one its module names is the real one
        if getattr(sys.modules[cls.__module__], cls.__name__, None) is cls:
            found[cls.__name__] = cls
    return found


@cache
def _fields(cls: type) -> dict[str, Any]:
    from hearth.outbox import Outcome  # noqa: F401 - named in ActionDoneEvent's annotations
    from hearth.scheduler import Job  # noqa: F401 - named in JobDueEvent's annotations

    hints = typing.get_type_hints(cls, globalns=vars(sys.modules[cls.__module__]),
                                  localns=locals())
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.name not in _LEFT_OUT}


def _read(kind: Any, value: Any) -> Any:
    """``value`` (plain JSON) as type ``kind``."""
    origin = typing.get_origin(kind)
    if kind is Any or kind is None or kind is type(None):
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _read(options[0], value) if len(options) == 1 else value
    if origin is typing.Literal:
        if value not in typing.get_args(kind):
            raise ValueError(f"{value!r} is not one of {typing.get_args(kind)}")
        return value
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_read(args[0], v) for v in value)
        return tuple(_read(a, v) for a, v in zip(args, value, strict=True))
    if origin is dict or kind is dict:
        return dict(value)
    if isinstance(kind, type):
        if dataclasses.is_dataclass(kind):
            fields = _fields(kind)
            given = {}
            for name, v in value.items():
                if name not in fields and (kind, name) in _EARLIER:
                    name, reader = _EARLIER[kind, name]
                    v = reader(v)
                given[name] = _read(fields[name], v)
            return kind(**given)
        if issubclass(kind, datetime):
            return datetime.fromisoformat(value)
        if issubclass(kind, timedelta):
            return timedelta(seconds=value)
        if issubclass(kind, enum.Enum):
            return kind(value)
        if kind is float and isinstance(value, int):
            return float(value)
        if not isinstance(value, kind):
            raise ValueError(f"{value!r} is not a {kind.__name__}")
    return value
