"""Matrix event JSON -> what the core needs: room state, message parts, membership changes.

The adapter works on the raw event dicts (``event.source`` of nio's parsed events), so
nothing here depends on nio's event classes.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hearth.timeutil import from_ms

from . import ops

MXID_RE = re.compile(r"@[A-Za-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(?::\d+)?")
_PILL_RE = re.compile(r"""href=["']https://matrix\.to/#/(@[^"'?/]+)""")
_PILL_LINK_RE = re.compile(
    r"""<a\s[^>]*href=["']https://matrix\.to/#/(@[^"'?/]+)[^>]*>(.*?)</a>""", re.DOTALL | re.IGNORECASE
)
_TAG_RE = re.compile(r"<[^>]+>")
PLATFORM = "matrix"
JOINED = "join"


def event_ms(source: Mapping[str, Any]) -> int:
    """The event's ``origin_server_ts``, epoch milliseconds (now when missing)."""
    ts = source.get("origin_server_ts")
    if isinstance(ts, int | float) and not isinstance(ts, bool):
        return int(ts)
    return time.time_ns() // 1_000_000


def event_time(source: Mapping[str, Any]) -> datetime:
    """The event's ``origin_server_ts`` as an aware UTC datetime (now when missing)."""
    return from_ms(event_ms(source))


def user_id(member_id: str) -> str:
    """A full mxid from an id given with or without the leading ``@``."""
    return member_id if member_id.startswith("@") else f"@{member_id}"


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True, slots=True)
class MessageParts:
    """The parts of an ``m.room.message`` the core models need."""

    text: str
    reply_to: str | None = None
    edit_of: str | None = None  # the event an ``m.replace`` edit changes
    mentions: tuple[str, ...] = ()


def _obj(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one (members send malformed content)."""
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def message_parts(content: Mapping[str, Any]) -> MessageParts | None:
    """Text, reply target, edit target and mentioned mxids; None when there is no body."""
    relates = _obj(content.get("m.relates_to"))
    edit_of = None
    new_content = content.get("m.new_content")
    if relates.get("rel_type") == "m.replace" and isinstance(new_content, Mapping):
        edit_of = _str(relates.get("event_id"))
        if edit_of is None:
            return None
        content = new_content
    body = content.get("body")
    if not isinstance(body, str):
        return None
    in_reply = _str(_obj(relates.get("m.in_reply_to")).get("event_id")) if edit_of is None else None
    text = ops._strip_reply_fallback(body) if in_reply else body
    formatted = content.get("formatted_body")
    formatted = formatted if isinstance(formatted, str) else ""
    declared = _obj(content.get("m.mentions")).get("user_ids")
    mentions = [u for u in declared if isinstance(u, str)] if isinstance(declared, list) else []
    formatted = ops._FALLBACK_HTML.sub("", formatted)
    mentions += _PILL_RE.findall(formatted)
    text = pills_as_ids(text, formatted)
    mentions += MXID_RE.findall(text)
    return MessageParts(text=text, reply_to=in_reply, edit_of=edit_of, mentions=_unique(mentions))


def pills_as_ids(text: str, formatted: str) -> str:
    """``text`` with each pill's label (a display name, as Element writes it in ``body``)
    replaced by the pill's mxid, in order, so ``!strikes <pill>`` names the member as
    ``!strikes @ann:example.org`` does (as a Discord message carries ``<@id>``)."""
    if "matrix.to" not in formatted:
        return text
    out: list[str] = []
    pos = 0
    for found in _PILL_LINK_RE.finditer(formatted):
        mxid, label = found.group(1), html.unescape(_TAG_RE.sub("", found.group(2))).strip()
        at = text.find(label, pos) if label else -1
        if at < 0:
            continue
        out += [text[pos:at], mxid]
        pos = at + len(label)
    out.append(text[pos:])
    return "".join(out)


def membership(source: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """``(user, before, after)`` memberships of an ``m.room.member`` event."""
    prev = _obj(_obj(source.get("unsigned")).get("prev_content") or source.get("prev_content"))
    after = _str(_obj(source.get("content")).get("membership"))
    return str(source.get("state_key", "")), _str(prev.get("membership")), after


def redacted_event(source: Mapping[str, Any]) -> str | None:
    """The event a redaction removes (``content.redacts`` from room v11, top level before)."""
    target = _obj(source.get("content")).get("redacts") or source.get("redacts")
    return target if isinstance(target, str) else None


def annotation(source: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(event_id, key)`` of an ``m.reaction``, or None."""
    relates = _obj(_obj(source.get("content")).get("m.relates_to"))
    if relates.get("rel_type") != "m.annotation":
        return None
    target, key = relates.get("event_id"), relates.get("key")
    return (target, key) if isinstance(target, str) and isinstance(key, str) else None


@dataclass(slots=True)
class RoomState:
    """What the adapter knows of one room, kept current from the sync stream."""

    room_id: str
    members: dict[str, str] = field(default_factory=dict)  # user -> membership
    names: dict[str, str] = field(default_factory=dict)  # user -> display name
    power: dict[str, Any] = field(default_factory=dict)
    creator: str | None = None
    room_version: str = "1"
    extra_creators: tuple[str, ...] = ()
    encrypted: bool = False
    is_space: bool = False
    name: str | None = None
    children: set[str] = field(default_factory=set)

    def apply(self, source: Mapping[str, Any]) -> None:
        """Apply one state event."""
        kind = source.get("type")
        key = source.get("state_key")
        content = source.get("content") or {}
        if kind == "m.room.member" and isinstance(key, str):
            self.members[key] = str(content.get("membership", "leave"))
            name = content.get("displayname")
            if isinstance(name, str) and name:
                self.names[key] = name
        elif kind == "m.room.power_levels":
            self.power = dict(content)
        elif kind == "m.room.create":
            self.creator = str(content.get("creator") or source.get("sender") or "") or None
            self.room_version = str(content.get("room_version", "1"))
            self.extra_creators = tuple(str(u) for u in content.get("additional_creators") or [])
            self.is_space = content.get("type") == "m.space"
        elif kind == "m.room.encryption":
            self.encrypted = bool(content.get("algorithm"))
        elif kind == "m.room.name":
            self.name = content.get("name") if isinstance(content.get("name"), str) else None
        elif kind == "m.space.child" and isinstance(key, str):
            if content.get("via"):
                self.children.add(key)
            else:
                self.children.discard(key)

    def revert(self, source: Mapping[str, Any]) -> None:
        """Undo one state event (walking history backwards), from its ``prev_content``."""
        if "state_key" not in source or source.get("type") == "m.room.create":
            return
        prev = _obj(source.get("unsigned")).get("prev_content") or source.get("prev_content")
        if prev is None and source.get("type") == "m.room.power_levels":
            return  # the first power levels: keep what we know rather than none
        self.apply({**source, "content": prev if isinstance(prev, Mapping) else {}})

    @property
    def creators(self) -> frozenset[str]:
        """Creators with unlimited power (room version 12+ only)."""
        if self.creator and ops._creators_have_power(self.room_version):
            return frozenset((self.creator, *self.extra_creators))
        return frozenset()

    def levels(self) -> ops.PowerLevels:
        return ops.PowerLevels(self.power, self.creators)

    def level(self, user: str) -> int:
        return self.levels().user_level(user)

    def joined(self) -> set[str]:
        return {u for u, m in self.members.items() if m == JOINED}
