"""Platform-neutral domain objects.

Every object is immutable. Identity is ``(platform, id)``: two objects with the
same platform and id are equal even when other fields (a display name, a role)
differ, because they describe the same thing seen at different moments.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable
from dataclasses import field
from datetime import datetime
from enum import IntEnum, StrEnum
from operator import attrgetter
from typing import Any, TypeVar, cast, dataclass_transform

import msgspec

from hearth.text import CODE_SPAN as CODE_SPAN  # re-exported: it lived here first
from hearth.text import Mention, Text
from hearth.text import literal as literal
from hearth.timeutil import from_ms

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(field,))
def model(cls: type[_T]) -> type[_T]:
    """``@dataclass(frozen=True, slots=True, kw_only=True)``, constructed cheaply.

    Every inbound event builds several of these objects, and a frozen
    dataclass's ``__init__`` sets each field through a descriptor call (a
    Python-level call per field, about ten times the cost of the object).
    The class made here is a frozen :class:`msgspec.Struct`, constructed in C,
    which still looks like the dataclass written: ``dataclasses.fields``,
    ``dataclasses.replace`` and ``is_dataclass`` work on it, and equality,
    hashing and ``repr`` follow the fields' ``compare`` and ``repr`` as a
    dataclass's would. Assignment after construction raises ``AttributeError``.
    Instances are not tracked by the cycle collector (less work for it, 16
    bytes less each): a model's fields are data and a network's payload, which
    never refer back to the model.
    """
    parent = next((b for b in cls.__mro__[1:] if hasattr(b, "__dataclass_shadow__")), None)
    own: dict[str, Any] = dict(inspect.get_annotations(cls))
    # the dataclass the class would be: its Field records serve dataclasses' functions
    shadow_ns: dict[str, Any] = {"__annotations__": own, "__module__": cls.__module__,
                                 "__qualname__": cls.__qualname__}
    defaults = dict(cls.__dict__)
    if issubclass(cls, msgspec.Struct):  # a model's subclass: msgspec took the defaults
        names, values = cls.__struct_fields__, cls.__struct_defaults__
        defaults.update(zip(names[len(names) - len(values):], values, strict=True))
    shadow_ns.update({name: defaults[name] for name in own if name in defaults})
    shadow_bases = (parent.__dataclass_shadow__,) if parent is not None else ()
    shadow: Any = dataclasses.dataclass(frozen=True, kw_only=True)(
        type(cls.__name__, shadow_bases, shadow_ns))
    specs: list[tuple[str, Any, Any]] = []
    for f in dataclasses.fields(shadow):
        if f.name not in own:
            continue  # the parent's
        if f.default is not dataclasses.MISSING:
            specs.append((f.name, own[f.name], f.default))
        elif f.default_factory is not dataclasses.MISSING:
            specs.append((f.name, own[f.name], msgspec.field(default_factory=f.default_factory)))
        else:
            specs.append((f.name, own[f.name], msgspec.NODEFAULT))
    skip = {"__dict__", "__weakref__", "__annotations__", "__slots__", "__struct_fields__",
            "__struct_config__", "__struct_defaults__", "__struct_encode_fields__",
            "__match_args__", "__signature__", "__abstractmethods__", "_abc_impl",
            "__struct_tag__", "__struct_tag_field__", "__struct_array_like__",
            "__struct_forbid_unknown_fields__", "__rich_repr__"} | set(own)
    namespace = {k: v for k, v in cls.__dict__.items() if k not in skip and not
                 (k.startswith("__struct_") or k.startswith("__dataclass"))}
    fields = dataclasses.fields(shadow)
    if any(not f.compare for f in fields):  # identity: the fields compared, as a dataclass's
        namespace.update(_identity([f.name for f in fields if f.compare]))
    if any(not f.repr for f in fields):
        namespace["__repr__"] = _repr([f.name for f in fields if f.repr])
    made: Any = msgspec.defstruct(
        cls.__name__, specs, bases=(parent,) if parent is not None else None,
        module=cls.__module__, namespace=namespace, frozen=True, kw_only=True, gc=False)
    made.__qualname__ = cls.__qualname__
    made.__annotations__ = own
    made.__dataclass_shadow__ = shadow
    made.__dataclass_fields__ = shadow.__dataclass_fields__
    made.__dataclass_params__ = shadow.__dataclass_params__
    return cast(type[_T], made)


def _identity(names: list[str]) -> dict[str, Callable[..., Any]]:
    """``__eq__`` and ``__hash__`` on the fields ``names`` only."""
    key = attrgetter(*names) if len(names) > 1 else (lambda obj: (getattr(obj, names[0]),))

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(key(self) == key(other))

    def __hash__(self: Any) -> int:
        return hash(key(self))

    return {"__eq__": __eq__, "__hash__": __hash__}


def _repr(names: list[str]) -> Callable[[Any], str]:
    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
        return f"{self.__class__.__qualname__}({shown})"

    return __repr__


class Role(IntEnum):
    """Neutral roles, comparable: ``Role.ADMIN > Role.LEADER``."""

    NEWCOMER = 0
    MEMBER = 1
    LEADER = 2
    ADMIN = 3
    OWNER = 4

    @classmethod
    def parse(cls, name: str) -> Role:
        """The role called ``name`` (``"leader"``); ``ValueError`` names the valid ones."""
        try:
            return cls[name.upper()]
        except KeyError as exc:
            valid = ", ".join(r.label for r in sorted(cls, reverse=True))
            raise ValueError(f"unknown role {name!r} (expected one of: {valid})") from exc

    @property
    def label(self) -> str:
        """The lower-case name used in config and commands."""
        return self.name.lower()


class Capability(StrEnum):
    """What an adapter can do on its platform."""

    SEND = "send"
    REPLY = "reply"
    DM = "dm"
    DELETE = "delete"
    MUTE = "mute"
    #: a mute ends by itself at its time (a Discord timeout); without it the core unmutes
    TIMED_MUTE = "timed_mute"
    KICK = "kick"
    BAN = "ban"
    ROLES = "roles"
    GROUPS = "groups"  # create private group channels and invite to them
    GROUP_DELETE = "group_delete"  # really delete a group channel (else: archive)
    GROUP_ARCHIVE = "group_archive"  # keep a group read-only and out of the way
    #: a group can be a private thread in a channel (``create_group(within=channel)``)
    GROUP_THREADS = "group_threads"
    PIN = "pin"
    REACTIONS = "reactions"  # receive reactions
    MEMBERS = "members"  # list every member of a community (Adapter.list_members)
    CHOICES = "choices"  # show a question's choices as buttons or a menu (else: numbered text)
    FILES = "files"  # post a file (an image) in a channel (Adapter.send_file)
    #: stop every newcomer posting at once, in every channel (Adapter.hold_newcomers: a join
    #: wave); without it a hold is one mute per newcomer, or their messages are removed
    HOLD_NEWCOMERS = "hold_newcomers"


@model
class Member:
    """A person in a community on one platform.

    ``role`` is the highest neutral role the member holds; ``roles`` every role
    held explicitly (a member with no explicit role counts as ``MEMBER``).
    """

    platform: str
    id: str
    name: str = field(compare=False)
    role: Role = field(default=Role.MEMBER, compare=False)
    is_bot: bool = field(default=False, compare=False)

    @property
    def name_and_id(self) -> Text:
        """The member as moderators must see them: display name beside account id.

        ``Alice (`@mallory:evil.org`)``: anyone may call themselves "alice", but not take
        alice's id. The id is a :func:`literal`, so no adapter turns it back into a display
        name; another network shows ``Alice (matrix)``, never the id. Use it in audit lines
        and every moderator-facing text; texts for members mention them
        (:func:`hearth.mention`).
        """
        return Text(Mention(self.platform, self.id, self.name, with_id=True))

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.id)


@model
class Channel:
    """A place messages are posted: a text channel, a room, or a DM with a member.

    ``name`` is the neutral name from the config (``general``) when the channel
    is mapped there, the group's name for group channels the bot created, and
    ``None`` otherwise. For a DM, ``dm_with`` is the member's id.
    """

    platform: str
    id: str
    name: str | None = field(default=None, compare=False)
    dm_with: str | None = field(default=None, compare=False)

    @property
    def is_dm(self) -> bool:
        return self.dm_with is not None

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.id)


_LINK_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)


def extract_links(text: str) -> tuple[str, ...]:
    """The http(s) and www. links in ``text``, in order, trailing punctuation removed."""
    if "://" not in text and ("." not in text or "www." not in text.lower()):
        return ()  # most texts: without a copy in lower case to look in
    return tuple(m.rstrip(".,;:!?)]}>") for m in _LINK_RE.findall(text))


@model
class Message:
    """A message posted in a channel or sent to the bot directly.

    ``time_ms`` is when it was posted, in milliseconds since the epoch: the
    form the networks give (Matrix's ``origin_server_ts``, Discord's snowflake)
    and the core counts in; :attr:`time` is the same instant as a UTC
    ``datetime``. ``mentions`` holds the ids of members mentioned; ``links``
    the links found in the text (see :func:`extract_links`); ``raw`` the
    platform's payload, opaque to the core and to plugins.
    """

    platform: str
    id: str
    channel: Channel = field(compare=False)
    author: Member = field(compare=False)
    text: str = field(compare=False)
    # Epoch milliseconds rather than a datetime: every message's time is counted (the
    # activity ledger), and an aware datetime's conversion costs as much as a tenth of a
    # message's whole path; a datetime is made only where one is read.
    time_ms: int = field(compare=False)
    mentions: tuple[str, ...] = field(default=(), compare=False)
    links: tuple[str, ...] = field(default=(), compare=False)
    reply_to: str | None = field(default=None, compare=False)
    raw: Any = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.id)

    @property
    def time(self) -> datetime:
        """When it was posted, as an aware UTC ``datetime`` (``time_ms``; made at each read)."""
        return from_ms(self.time_ms)


@model
class SentMessage:
    """A message the bot posted: enough to reply to, react to, pin or delete it."""

    platform: str
    id: str
    channel: Channel


@model
class Reaction:
    """A member reacted to a message with ``emoji``."""

    platform: str
    message_id: str
    channel: Channel
    member: Member
    emoji: str
    time: datetime


@model
class Prompt:
    """A question the bot asks a member by direct message (see ``PluginContext.ask``).

    ``text`` is complete as it stands: the community asking, the question and,
    when there are ``choices``, the numbered list, so an adapter without
    :attr:`Capability.CHOICES` sends it as it is and the member answers with
    numbers. An adapter with it may also show ``choices`` natively (buttons, a
    menu), each picked choice naming ``question`` (the question's id) and its
    1-based number.
    """

    question: int
    text: str
    choices: tuple[str, ...] = ()
    multiple: bool = False
