"""Platform-neutral domain objects.

Every object is immutable. Identity is ``(platform, id)``: two objects with the
same platform and id are equal even when other fields (a display name, a role)
differ, because they describe the same thing seen at different moments.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any, TypeVar, dataclass_transform

from hearth.text import CODE_SPAN as CODE_SPAN  # re-exported: it lived here first
from hearth.text import Mention, Text
from hearth.text import literal as literal

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(field,))
def model(cls: type[_T]) -> type[_T]:
    """``@dataclass(frozen=True, slots=True, kw_only=True)``, constructed cheaply.

    A frozen dataclass's ``__init__`` goes through ``object.__setattr__`` for
    every field; every inbound event builds several of these objects, so the
    generated ``__init__`` here writes the slots directly instead. Instances
    stay immutable: assignment after construction still raises.
    """
    made: Any = dataclasses.dataclass(frozen=True, slots=True, kw_only=True)(cls)
    names: dict[str, Any] = {}
    params, body = [], []
    for n, f in enumerate(dataclasses.fields(made)):
        names[f"_set{n}"] = getattr(made, f.name).__set__
        if f.default is not dataclasses.MISSING:
            names[f"_default{n}"] = f.default
            params.append(f"{f.name}=_default{n}")
        elif f.default_factory is not dataclasses.MISSING:
            names[f"_factory{n}"] = f.default_factory
            params.append(f"{f.name}=_MISSING")
            body.append(f"    if {f.name} is _MISSING: {f.name} = _factory{n}()")
        else:
            params.append(f.name)
        body.append(f"    _set{n}(self, {f.name})")
    names["_MISSING"] = dataclasses.MISSING
    exec(f"def __init__(self, *, {', '.join(params)}):\n" + "\n".join(body), names)
    init: Callable[..., None] = names["__init__"]
    init.__qualname__ = f"{made.__qualname__}.__init__"
    made.__init__ = init
    return made


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
    if "://" not in text and "www." not in text.lower():
        return ()
    return tuple(m.rstrip(".,;:!?)]}>") for m in _LINK_RE.findall(text))


@model
class Message:
    """A message posted in a channel or sent to the bot directly.

    ``mentions`` holds the ids of members mentioned; ``links`` the links found
    in the text (see :func:`extract_links`); ``raw`` the platform's payload,
    opaque to the core and to plugins.
    """

    platform: str
    id: str
    channel: Channel = field(compare=False)
    author: Member = field(compare=False)
    text: str = field(compare=False)
    time: datetime = field(compare=False)
    mentions: tuple[str, ...] = field(default=(), compare=False)
    links: tuple[str, ...] = field(default=(), compare=False)
    reply_to: str | None = field(default=None, compare=False)
    raw: Any = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.id)


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
