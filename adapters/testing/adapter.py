"""The in-memory adapter: members, channels and messages in memory, every action recorded.

It imitates a platform's capability set and pace (``imitate="discord"`` or
``"matrix"``), less any capabilities a test takes ``without``, and members
may refuse DMs, so a plugin's degraded behaviour and a backlog can be tested
too. Actions are recorded as the mappings ``hearth simulate`` prints (see
docs/SCENARIO.md), with the time they were delivered.
:meth:`TestingAdapter.go_down` and :meth:`TestingAdapter.fail_next` make the
network unreachable for a while.

Two (or more) networks at once: :func:`network` gives the adapter as a named
network (``network("discord")``, ``network("matrix")``), and adapters made
``along=`` another share one in-memory world (one action log, one message
store), so a community bound to Discord and Matrix runs in memory. Each renders
mentions (:func:`hearth.mention`) as its network does; see :meth:`TestingAdapter.render`.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import msgspec

from hearth.errors import AdapterError, Forbidden, LimitReached, NotFound, RateLimited, Unreachable
from hearth.events import (
    AdapterReadyEvent,
    MemberJoinedEvent,
    MemberLeftEvent,
    MemberUpdatedEvent,
    MessageEditedEvent,
    MessagePostedEvent,
    ReactionAddedEvent,
)
from hearth.models import (
    Capability,
    Channel,
    Member,
    Message,
    Prompt,
    Reaction,
    Role,
    SentMessage,
    extract_links,
)
from hearth.ports import Adapter, AdapterHost, CommunityBinding, DissolveMode, ListedMember, Pace
from hearth.text import Mention, Text, safe_name

PLATFORM = "testing"
_ALL = frozenset(Capability)
PROFILES: dict[str, frozenset[Capability]] = {
    "discord": _ALL - {Capability.HOLD_NEWCOMERS},  # a join wave is held by a timeout each
    # Matrix cannot truly delete a room: it is closed and archived instead; a mute (a
    # power level) lasts until it is lifted; choices are numbered text.
    "matrix": _ALL - {Capability.GROUP_DELETE, Capability.TIMED_MUTE, Capability.CHOICES,
                      Capability.GROUP_THREADS},
    "console": _ALL - {Capability.CHOICES, Capability.GROUP_THREADS, Capability.HOLD_NEWCOMERS},
    "testing": _ALL,
}
#: messages the imitated network remembers for edits, reactions and deletions (a test
#: looks back a few messages; a benchmark of many thousands keeps its memory flat)
MESSAGES_KEPT = 2_000
#: how many more it holds before it forgets the oldest (a few at once, not one per message)
FORGET_AT_ONCE = 500
#: numbers the imitated networks (see ``TestingAdapter._world``)
_worlds = itertools.count(1)
#: the networks' paces, as their adapters declare them (a test keeps them in step)
PACES: dict[str, Pace] = {
    "discord": Pace(channel=(5, 5.0), dm=(10, 10.0), total=(50, 1.0), max_length=2000),
    "matrix": Pace(channel=(10, 2.0), dm=(10, 10.0), max_length=16_000),
    "console": Pace(),
    "testing": Pace(),
}
#: the end of a mute on a network without timed mutes: none
UNTIL_UNMUTED = datetime.max.replace(tzinfo=UTC)
_MENTION = re.compile(r"<@!?([A-Za-z0-9_.\-]+)>|@([A-Za-z0-9_.\-]+)")
MATRIX_TO = "https://matrix.to/#/"


def _jsonable(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat()
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return value


def format_action(action: Mapping[str, Any], zone: ZoneInfo, *, community: bool = False) -> dict[str, Any]:
    """A recorded action as ``hearth simulate --json`` prints it (docs/SCENARIO.md).

    ``time`` (ISO 8601 in ``zone``, the community's offset) and ``action``
    first, then ``community`` when asked (a config of several communities),
    then the action's own fields; empty fields are left out.
    """
    out = {"time": _jsonable(action["time"], zone), "action": action["action"]}
    if community and action.get("community"):
        out["community"] = action["community"]
    for key, value in action.items():
        if key not in ("time", "action", "community") and value is not None:
            out[key] = _jsonable(value, zone)
    return out


#: the fields of a :class:`Person` its :class:`Member` is made of
_MEMBER_FIELDS = frozenset({"id", "name", "roles", "platform", "is_bot"})


@dataclass
class Person:
    """A member as the fake platform knows them.

    ``roles`` is a frozenset (a set given is made one): change it by assigning
    (``person.roles = person.roles | {Role.LEADER}``), so the :class:`Member`
    the person last gave (:meth:`member`, made once per change) is made again.
    """

    id: str
    name: str
    roles: frozenset[Role] = frozenset()
    present: bool = True
    muted_until: datetime | None = None
    banned: bool = False
    kicked: bool = False
    refuses_dms: bool = False
    platform: str = PLATFORM
    #: when they joined (None: present from the start, before the bot looked)
    joined: datetime | None = None
    invited_by: str | None = None
    #: another bot on the network (not this one)
    is_bot: bool = False
    _member: Member | None = field(default=None, repr=False, compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _MEMBER_FIELDS:
            if name == "roles" and type(value) is not frozenset:
                value = frozenset(value)
            object.__setattr__(self, "_member", None)
        object.__setattr__(self, name, value)

    @property
    def role(self) -> Role:
        return max(self.roles) if self.roles else Role.MEMBER

    def member(self) -> Member:
        """The person as the core sees them (the same object until one of its fields changes)."""
        cached = self._member
        if cached is None:
            cached = Member(platform=self.platform, id=self.id, name=self.name, role=self.role,
                            is_bot=self.is_bot)
            object.__setattr__(self, "_member", cached)
        return cached


def _check_id(member_id: str) -> None:
    if not member_id or any(c.isspace() for c in member_id):
        raise ValueError(f"{member_id!r} is not a member id (one word, such as alice)")


_KEPT_MOST = MESSAGES_KEPT + FORGET_AT_ONCE


class _Stored(msgspec.Struct, frozen=True, gc=False):
    """A message the imitated network remembers (made positionally, in C: every message is one)."""

    community: str
    channel: Channel
    author: str  # member id, or "" for the bot
    text: str = ""
    time_ms: int | None = None


def _forget(messages: dict[str, _Stored]) -> None:
    """Forget the oldest messages past MESSAGES_KEPT, FORGET_AT_ONCE at a time."""
    for key in list(itertools.islice(messages, len(messages) - MESSAGES_KEPT)):
        del messages[key]


if TYPE_CHECKING:
    _MappingBase = Mapping[str, Any]
else:
    class _MappingBase:  # a Struct cannot also derive from an ABC: _Sent is registered below
        __slots__ = ()


class _Sent(msgspec.Struct, _MappingBase, frozen=True, gc=False):
    """A plain ``send`` (the most common action) as recorded: read as the mapping of its fields,
    as every recorded action is, in a fifth of a dict's memory (a benchmark records many)."""

    time: datetime
    community: str | None
    channel: str
    text: str
    reply_to: str | None = None

    def __getitem__(self, key: str) -> Any:
        if key == "action":
            return "send"
        if key in _SENT_FIELDS or (key == "reply_to" and self.reply_to is not None):
            return getattr(self, key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(_SENT_KEYS if self.reply_to is None else _REPLY_KEYS)

    def __len__(self) -> int:
        return 5 if self.reply_to is None else 6

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    if not TYPE_CHECKING:  # a Mapping's methods, of those above
        get = Mapping.get
        keys = Mapping.keys
        items = Mapping.items
        values = Mapping.values
        __contains__ = Mapping.__contains__
        __eq__ = Mapping.__eq__
        __hash__ = None  # as a dict's


_SENT_FIELDS = frozenset({"time", "community", "channel", "text"})
_SENT_KEYS = ("time", "community", "action", "channel", "text")
_REPLY_KEYS = (*_SENT_KEYS, "reply_to")
Mapping.register(_Sent)


class TestingAdapter(Adapter):
    """An in-memory platform for tests, ``hearth simulate`` and the console."""

    name = PLATFORM
    virtual = True

    def __init__(
        self,
        *,
        account: Any = None,
        communities: Mapping[str, CommunityBinding],
        imitate: str = "discord",
        without: Iterable[Capability | str] = (),
        along: TestingAdapter | None = None,
    ) -> None:
        """``without``: capabilities taken away from the imitated platform's set;
        ``along``: another network of the same in-memory world (they share the action
        log and the message store, and each recorded action names its ``network``)."""
        super().__init__(account=account, communities=communities)
        if imitate not in PROFILES:
            raise ValueError(f"unknown platform {imitate!r} (expected one of: {', '.join(PROFILES)})")
        self.imitate = imitate
        self.capabilities = PROFILES[imitate]
        self.pace = PACES.get(imitate, Pace())
        self.down_until: datetime | None = None
        self.failing: dict[str, list[float | None]] = {}
        #: how long every action takes on the imitated network, in the app's clock
        self.latency = timedelta(0)
        self.remove_capabilities(*without)
        self.host: AdapterHost | None = None
        self.people: dict[str, dict[str, Person]] = {key: {} for key in communities}
        self.groups: dict[str, dict[str, Any]] = {}
        #: (community, channel id) -> members the bot let into that (non-group) channel
        self.channel_members: dict[tuple[str, str], list[str]] = {}
        #: open group channels allowed per community (None: no limit), like Discord's caps
        self.max_groups: int | None = None
        #: every action, in order: the mapping of its fields (docs/SCENARIO.md, and ``time``)
        self.actions: list[Mapping[str, Any]] = []
        #: communities whose newcomers are held (``hold_newcomers``): they cannot post
        self.holding: set[str] = set()
        #: the messages the imitated network remembers (the newest MESSAGES_KEPT, and up to
        #: FORGET_AT_ONCE more), by id, oldest first
        self.messages: dict[str, _Stored] = {}
        self.last_bot_message: dict[tuple[str, str], str] = {}
        #: files the bot posted, by message id: (file name, contents)
        self.files: dict[str, tuple[str, bytes]] = {}
        #: community -> channel name -> the channel (by name, then by name: no key to build)
        self._channels: defaultdict[str, dict[str, Channel]] = defaultdict(dict)
        self._ids = itertools.count(1)
        self._event_ids = itertools.count(1)
        #: in every event id: a network's event ids are unique, also across the bots of one test
        #: sharing a database (which remembers the events handled, :mod:`hearth.once`)
        self._world = f"w{next(_worlds)}"
        self._posted = f"msg:{self._world}:"
        #: when set, listing the members fails with this error (a network that cannot be read)
        self.listing_error: AdapterError | None = None
        #: whether recorded actions name their network (several networks in one world)
        self.several = along is not None
        #: a plain message is recorded without the helpers unless a subclass changes them
        cls = type(self)
        self._lean = cls._record is TestingAdapter._record and cls.render is TestingAdapter.render
        if along is not None:
            along.several = True
            self.actions, self.messages = along.actions, along.messages
            self._ids, self._event_ids, self._world = along._ids, along._event_ids, along._world
            self._posted = along._posted

    # -- lifecycle -------------------------------------------------------------
    async def start(self, host: AdapterHost) -> None:
        self.host = host
        await host.submit(
            AdapterReadyEvent(platform=self.name, id=self._eid("ready"), community=None,
                              time=host.clock.now())
        )

    async def stop(self) -> None:
        self.host = None

    def _eid(self, kind: str) -> str:
        return f"{kind}:{self._world}:{next(self._event_ids)}"

    def posted_id(self, message_id: str) -> str:
        """The id of the event that posted message ``message_id`` (to deliver it again)."""
        return self._posted + message_id

    def _now(self) -> datetime:
        assert self.host is not None, "the testing adapter is not started"
        return self.host.clock.now()

    def _now_ms(self) -> int:
        assert self.host is not None, "the testing adapter is not started"
        return self.host.clock.now_ms()

    # -- faults ----------------------------------------------------------------
    def go_down(self, until: datetime) -> None:
        """Every action fails as unreachable until the (virtual) time ``until``."""
        self.down_until = until

    def fail_next(self, action: str, times: int = 1, *, retry_after: float | None = None,
                  refuse: bool = False) -> None:
        """The next ``times`` calls of ``action`` (``send``, ``kick`` …) fail: unreachable,
        with ``retry_after`` rate limited (a 429 asking to wait that many seconds), or
        with ``refuse`` refused (a missing permission, not retried by the outbound flow)."""
        self.failing.setdefault(action, []).extend([-1.0 if refuse else retry_after] * times)

    async def _network(self, action: str) -> None:
        """A call on the imitated network: its latency, then its faults."""
        if self.latency:
            assert self.host is not None, "the testing adapter is not started"
            await self.host.clock.sleep_until(self._now() + self.latency)
        if self.down_until is not None and self._now() < self.down_until:
            raise Unreachable(f"{action}: the network is down")
        if self.failing.get(action):
            retry_after = self.failing[action].pop(0)
            if retry_after == -1.0:
                raise Forbidden(f"{action}: missing permission")
            if retry_after is not None:
                raise RateLimited(f"{action}: slow down", retry_after)
            raise Unreachable(f"{action}: the network did not answer")

    def _record(self, community: str | None, action: str, **fields: Any) -> None:
        if self.several:
            fields["network"] = self.name
        self.actions.append({"time": self._now(), "community": community, "action": action, **fields})

    # -- text as the imitated network shows it ---------------------------------
    def render(self, text: str) -> dict[str, Any]:
        """The recorded fields of a message ``text``: ``text`` as the network shows it.

        A mention (:func:`hearth.mention`) of a member of this network renders as
        the network does: ``@id`` on the neutral ``testing`` network (scenario ids
        are words), ``@name`` in the console, ``<@id>`` as Discord, and as Matrix the
        display name in ``text`` with a pill in ``html`` and the id in ``mentions``
        (Matrix's ``m.mentions``). A member of another network is ``@name``.
        """
        if not isinstance(text, Text) or not text.mentions:
            return {"text": str(text)}
        if self.name == "matrix":
            return self._render_matrix(text)
        return {"text": text.render(self._mention)}

    def _mention(self, m: Mention) -> str:
        if m.platform != self.name:
            return m.elsewhere
        if m.with_id or self.name == "console":
            return m.shown
        return f"<@{m.id}>" if self.name == "discord" else f"@{m.id}"

    def _render_matrix(self, text: Text) -> dict[str, Any]:
        import html  # here: its table of entities is 0.4 MiB that most tests and the console never use

        body, rich, ids = [], [], []
        for part in text.parts:
            if isinstance(part, Mention) and part.platform == self.name and not part.with_id:
                name = safe_name(part.name) or part.id
                body.append(name)
                rich.append(f'<a href="{MATRIX_TO}{quote("@" + part.id.lstrip("@"), safe="@:")}">'
                            f"{html.escape(name)}</a>")
                ids.append(part.id)
            else:
                shown = self._mention(part) if isinstance(part, Mention) else part
                body.append(shown)
                rich.append(html.escape(shown).replace("\n", "<br>"))
        if not ids:  # nobody of this network mentioned: plain text
            return {"text": "".join(body)}
        return {"text": "".join(body), "html": "".join(rich), "mentions": list(dict.fromkeys(ids))}

    # -- the fake platform, driven by tests ------------------------------------
    def remove_capabilities(self, *capabilities: Capability | str) -> None:
        """Make the imitated platform unable to do these (``"dm"`` or ``Capability.DM``)."""
        gone = set()
        for cap in capabilities:
            try:
                gone.add(Capability(cap.lower() if isinstance(cap, str) else cap))
            except ValueError as exc:
                known = ", ".join(c.name for c in Capability)
                raise ValueError(f"unknown capability {cap!r} (expected one of: {known})") from exc
        self.capabilities = self.capabilities - gone

    def person(self, community: str, member_id: str) -> Person:
        try:
            return self.people[community][member_id]
        except KeyError as exc:
            raise NotFound(f"no member {member_id!r} in {community}", platform=self.name) from exc

    def add_person(self, community: str, member_id: str, name: str, role: Role | None = None) -> Person:
        """A member present before anything happens (no join event)."""
        _check_id(member_id)
        person = Person(member_id, name, frozenset({role}) if role is not None and role != Role.MEMBER
                        else frozenset(), platform=self.name)
        self.people.setdefault(community, {})[member_id] = person
        return person

    def channel(self, community: str, name: str) -> Channel:
        found = self.resolve_channel(community, name)
        if found is None:
            known = ", ".join(sorted([*self.communities[community].channels, *self._group_names(community)]))
            raise NotFound(f"no channel {name!r} in {community} (known: {known})")
        return found

    def dm_channel(self, member_id: str) -> Channel:
        return Channel(platform=self.name, id=f"dm:{member_id}", dm_with=member_id)

    def _group_names(self, community: str) -> list[str]:
        return [g["name"] for g in self.groups.values() if g["community"] == community and g["open"]]

    async def _submit(self, event: Any) -> None:
        assert self.host is not None, "the testing adapter is not started"
        await self.host.submit(event)

    def refuse_dms(self, community: str, member_id: str, refuse: bool = True) -> None:
        """``member_id`` refuses direct messages (also before they join)."""
        people = self.people.setdefault(community, {})
        person = people.get(member_id)
        if person is None:
            person = people[member_id] = Person(member_id, member_id.title(), present=False,
                                                platform=self.name)
        person.refuses_dms = refuse

    async def inject_join(self, community: str, member_id: str, name: str,
                          invited_by: str | None = None) -> None:
        _check_id(member_id)
        people = self.people.setdefault(community, {})
        known = people.get(member_id)
        if known is not None and known.banned:
            self._record(community, "refused", member=member_id, why="banned")
            return
        person = Person(member_id, name, platform=self.name,
                        refuses_dms=known.refuses_dms if known else False, joined=self._now(),
                        invited_by=invited_by)
        people[member_id] = person
        await self._submit(
            MemberJoinedEvent(platform=self.name, id=self._eid("join"), community=community,
                              time=self._now(), member=person.member(), invited_by=invited_by)
        )

    async def set_role(self, community: str, member_id: str, role: Role) -> None:
        """Someone on the network gives ``member_id`` exactly ``role`` (the core hears of it)."""
        person = self.person(community, member_id)
        person.roles = frozenset({role}) if role != Role.MEMBER else frozenset()
        await self._member_updated(community, person)

    async def _member_updated(self, community: str, person: Person) -> None:
        if self.host is not None:
            await self._submit(
                MemberUpdatedEvent(platform=self.name, id=self._eid("update"), community=community,
                                   time=self._now(), member=person.member())
            )

    async def inject_leave(self, community: str, member_id: str) -> None:
        person = self.person(community, member_id)
        person.present = False
        await self._submit(
            MemberLeftEvent(platform=self.name, id=self._eid("leave"), community=community,
                            time=self._now(), member=person.member())
        )

    def _message(self, community: str, channel: Channel, person: Person, text: str,
                 message_id: str, reply_to: str | None, now_ms: int | None = None) -> Message:
        time_ms = self._now_ms() if now_ms is None else now_ms
        if reply_to is None and "@" not in text and "." not in text and ":" not in text:
            # plain text (most of a chat): no mention and no link in it, nothing to look for
            message = Message(platform=self.name, id=message_id, channel=channel, author=person.member(),
                              text=text, time_ms=time_ms)
        else:
            if "@" in text:
                known = self.people.get(community, {})
                mentions = tuple(m for pair in _MENTION.findall(text) for m in pair if m in known)
            else:
                mentions = ()
            message = Message(
                platform=self.name, id=message_id, channel=channel, author=person.member(), text=text,
                time_ms=time_ms, mentions=mentions, links=extract_links(text), reply_to=reply_to,
            )
        messages = self.messages  # _keep, inline: every message passes here
        messages[message_id] = _Stored(community, channel, person.id, text, time_ms)
        if len(messages) > _KEPT_MOST:
            _forget(messages)
        return message

    def _keep(self, message_id: str, stored: _Stored) -> None:
        messages = self.messages
        messages[message_id] = stored
        if len(messages) > _KEPT_MOST:  # like a network's history, not every message ever
            _forget(messages)

    def refusal(self, community: str, person: Person) -> str | None:
        """Why the network refuses this person's post (``muted``, ``kicked``, ``banned``, ``held``:
        a newcomer during ``hold_newcomers``), or None."""
        if person.banned:
            return "banned"
        if person.kicked:
            return "kicked"
        if person.muted_until is not None and person.muted_until > self._now():
            return "muted"
        if community in self.holding and person.roles == {Role.NEWCOMER}:
            return "held"
        return None

    async def inject_message(self, community: str, member_id: str, channel_name: str, text: str,
                             message_id: str, reply_to: str | None = None) -> Message | None:
        """``member_id`` posts; a muted, kicked or banned member is refused (None, a ``refused`` action)."""
        # every injected message passes here (tests, simulate, the console, benchmarks): kept lean
        try:
            person = self.people[community][member_id]
        except KeyError:
            person = self.person(community, member_id)  # raises NotFound
        channel = self._channels[community].get(channel_name) or self.channel(community, channel_name)
        if person.banned or person.kicked or person.muted_until is not None or self.holding:
            why = self.refusal(community, person)
            if why is not None:
                self._record(community, "refused", member=member_id, why=why)
                return None
        host = self.host
        assert host is not None, "the testing adapter is not started"
        clock = host.clock
        now_ms = clock.now_ms()
        platform = self.name
        if reply_to is None and "@" not in text and "." not in text and ":" not in text:
            # _message, inline, for plain text (most of a chat)
            author = person._member or person.member()
            message = Message(platform=platform, id=message_id, channel=channel, author=author,
                              text=text, time_ms=now_ms)
            messages = self.messages
            messages[message_id] = _Stored(community, channel, member_id, text, now_ms)
            if len(messages) > _KEPT_MOST:
                _forget(messages)
        else:
            message = self._message(community, channel, person, text, message_id, reply_to, now_ms)
        await host.submit(MessagePostedEvent(platform=platform, id=self._posted + message_id,
                                             community=community, time=clock.now(), message=message))
        return message

    async def inject_dm(self, community: str, member_id: str, text: str, message_id: str) -> Message:
        person = self.person(community, member_id)
        message = self._message(community, self.dm_channel(member_id), person, text, message_id, None)
        await self._submit(
            MessagePostedEvent(platform=self.name, id=self.posted_id(message_id),
                               community=community, time=self._now(), message=message)
        )
        return message

    async def inject_edit(self, community: str, member_id: str, message_id: str, text: str) -> Message:
        """The author of message ``message_id`` changes its text."""
        stored = self.messages.get(message_id)
        if stored is None or stored.community != community:
            raise NotFound(f"no message {message_id!r}")
        if stored.author != member_id:
            raise NotFound(f"message {message_id!r} is not by {member_id!r}; only its author can edit it")
        person = self.person(community, member_id)
        message = self._message(community, stored.channel, person, text, message_id, None)
        await self._submit(
            MessageEditedEvent(platform=self.name, id=self._eid("edit"), community=community,
                               time=self._now(), message=message)
        )
        return message

    async def inject_reaction(self, community: str, member_id: str, message_id: str, emoji: str) -> None:
        stored = self.messages.get(message_id)
        if stored is None:
            raise NotFound(f"no message {message_id!r}")
        person = self.person(community, member_id)
        reaction = Reaction(platform=self.name, message_id=message_id, channel=stored.channel,
                            member=person.member(), emoji=emoji, time=self._now())
        await self._submit(
            ReactionAddedEvent(platform=self.name, id=self._eid("react"), community=community,
                               time=self._now(), reaction=reaction)
        )

    # -- lookups ---------------------------------------------------------------
    def resolve_channel(self, community: str, name: str) -> Channel | None:
        binding = self.communities.get(community)
        if binding is None:
            return None
        cached = self._channels[community].get(name)
        if cached is not None:
            return cached
        if name in binding.channels or name in self._group_names(community):
            channel = Channel(platform=self.name, id=name, name=name)
            if name in binding.channels:
                self._channels[community][name] = channel
            return channel
        return None

    async def member_count(self, community: str) -> int:
        return sum(1 for p in self.people.get(community, {}).values() if p.present)

    async def fetch_message(self, community: str, channel: Channel, message_id: str) -> Message | None:
        stored = self.messages.get(message_id)
        if stored is None or stored.community != community or stored.channel.id != channel.id:
            return None
        if not stored.author:  # the bot's own
            author = Member(platform=self.name, id="hearth", name="Hearth", is_bot=True)
        else:
            person = self.people.get(community, {}).get(stored.author)
            author = person.member() if person else Member(platform=self.name, id=stored.author,
                                                           name=stored.author)
        return Message(platform=self.name, id=message_id, channel=stored.channel, author=author,
                       text=stored.text,
                       time_ms=self._now_ms() if stored.time_ms is None else stored.time_ms)

    async def get_member(self, community: str, member_id: str) -> Member | None:
        person = self.people.get(community, {}).get(member_id)
        return person.member() if person and person.present else None

    async def list_members(self, community: str) -> AsyncIterator[ListedMember]:
        if self.listing_error is not None:
            raise self.listing_error
        for person in list(self.people.get(community, {}).values()):
            if person.present:
                yield ListedMember(member=person.member(), joined=person.joined,
                                   invited_by=person.invited_by)

    # -- actions ---------------------------------------------------------------
    def _sent(self, community: str | None, channel: Channel) -> SentMessage:
        message_id = f"b{next(self._ids)}"
        self._keep(message_id, _Stored(community or "", channel, ""))
        self.last_bot_message[(community or "", channel.id)] = message_id
        return SentMessage(platform=self.name, id=message_id, channel=channel)

    async def send(self, community: str | None, channel: Channel, text: str, *,
                   reply_to: str | None = None) -> SentMessage:
        if self.latency or self.down_until is not None or self.failing:
            await self._network("send")
        if channel.dm_with is not None:
            self._check_dm(community, channel.dm_with)
            self._record(community, "dm", member=channel.dm_with, **self.render(text))
        elif not self._lean or self.several or (isinstance(text, Text) and text.mentions):
            extra = {"reply_to": reply_to} if reply_to else {}
            self._record(community, "send", channel=channel.name or channel.id, **self.render(text),
                         **extra)
        else:  # the common case, without the helpers (every reply passes here); _sent inline
            host = self.host
            assert host is not None, "the testing adapter is not started"
            self.actions.append(_Sent(host.clock.now(), community, channel.name or channel.id, str(text),
                                      reply_to or None))
            message_id = f"b{next(self._ids)}"
            messages = self.messages
            messages[message_id] = _Stored(community or "", channel, "")
            if len(messages) > _KEPT_MOST:
                _forget(messages)
            self.last_bot_message[(community or "", channel.id)] = message_id
            return SentMessage(platform=self.name, id=message_id, channel=channel)
        return self._sent(community, channel)

    async def send_file(self, community: str | None, channel: Channel, data: bytes, filename: str,
                        *, text: str = "") -> SentMessage:
        """Record a ``file`` action (its name, size and caption); keep the bytes in :attr:`files`."""
        await self._network("send_file")
        sent = self._sent(community, channel)
        self.files[sent.id] = (filename, data)
        caption = self.render(text) if text else {}
        self._record(community, "file", channel=channel.name or channel.id, file=filename,
                     bytes=len(data), **caption, **self._file_fields(filename, data))
        return sent

    def _file_fields(self, filename: str, data: bytes) -> dict[str, Any]:
        """Extra fields of a recorded ``file`` action (the console adds where it saved it)."""
        return {}

    def _check_dm(self, community: str | None, member_id: str) -> None:
        person = self.people.get(community or "", {}).get(member_id)
        if person is not None and person.refuses_dms:
            raise Forbidden(f"{member_id} does not accept direct messages", platform=self.name, action="dm")

    async def dm(self, community: str | None, member: Member, text: str, *,
                 previews: bool = True) -> SentMessage:
        await self._network("dm")
        self._check_dm(community, member.id)
        extra = {} if previews else {"previews": False}
        self._record(community, "dm", member=member.id, **self.render(text), **extra)
        return self._sent(community, self.dm_channel(member.id))

    async def ask(self, community: str | None, member: Member, prompt: Prompt) -> SentMessage:
        """A question's DM, recorded with its ``choices``; the member answers with numbers."""
        await self._network("dm")
        self._check_dm(community, member.id)
        choices = {"choices": list(prompt.choices)} if prompt.choices else {}
        self._record(community, "dm", member=member.id, **self.render(prompt.text), **choices)
        return self._sent(community, self.dm_channel(member.id))

    async def delete(self, community: str | None, channel: Channel, message_id: str, reason: str) -> None:
        await self._network("delete")
        stored = self.messages.pop(message_id, None)
        if stored is None:
            raise NotFound(f"no message {message_id!r}")
        where = {"dm": stored.channel.dm_with} if channel.is_dm else {"channel": channel.name or channel.id}
        self._record(community, "delete", **where, message=message_id, member=stored.author or None,
                     reason=reason)

    async def mute(self, community: str, member: Member, until: datetime, reason: str) -> None:
        await self._network("mute")
        # A network without timed mutes keeps the member muted until unmuted.
        self.person(community, member.id).muted_until = (
            until if self.can(Capability.TIMED_MUTE) else UNTIL_UNMUTED)
        self._record(community, "mute", member=member.id, until=until, reason=reason)

    async def unmute(self, community: str, member: Member) -> None:
        await self._network("unmute")
        self.person(community, member.id).muted_until = None
        self._record(community, "unmute", member=member.id)

    async def hold_newcomers(self, community: str, reason: str) -> None:
        await self._network("hold")
        self.holding.add(community)
        self._record(community, "hold", reason=reason)

    async def release_newcomers(self, community: str) -> None:
        await self._network("release")
        self.holding.discard(community)
        self._record(community, "release")

    async def unban(self, community: str, member: Member) -> None:
        await self._network("unban")
        self.person(community, member.id).banned = False
        self._record(community, "unban", member=member.id)

    async def _remove(self, community: str, member: Member, action: str, reason: str) -> None:
        await self._network(action)
        person = self.person(community, member.id)
        if not person.present:
            raise NotFound(f"{member.id!r} is no longer a member of {community}")
        person.present = False
        person.roles = frozenset()
        person.banned = person.banned or action == "ban"
        person.kicked = action == "kick"
        self._record(community, action, member=member.id, reason=reason)
        await self._submit(
            MemberLeftEvent(platform=self.name, id=self._eid(action), community=community,
                            time=self._now(), member=person.member())
        )

    async def kick(self, community: str, member: Member, reason: str) -> None:
        await self._remove(community, member, "kick", reason)

    async def ban(self, community: str, member: Member, reason: str) -> None:
        await self._remove(community, member, "ban", reason)

    async def grant_role(self, community: str, member: Member, role: Role) -> None:
        await self._network("grant_role")
        person = self.person(community, member.id)
        person.roles = person.roles | {role}
        self._record(community, "grant_role", member=member.id, role=role.label)
        await self._member_updated(community, person)

    async def revoke_role(self, community: str, member: Member, role: Role) -> None:
        await self._network("revoke_role")
        person = self.person(community, member.id)
        person.roles = person.roles - {role}
        self._record(community, "revoke_role", member=member.id, role=role.label)
        await self._member_updated(community, person)

    async def create_group(self, community: str, name: str, members: Sequence[Member], *,
                           topic: str, private: bool = True,
                           expires: datetime | None = None, within: Channel | None = None) -> Channel:
        await self._network("create_group")
        opened = sum(1 for g in self.groups.values() if g["community"] == community and g["open"])
        if self.max_groups is not None and opened >= self.max_groups:
            raise LimitReached(f"{opened} group channels are open, the most this network allows",
                               platform=self.name, action="create group")
        base, n = name, 2
        while name in self._group_names(community) or name in self.communities[community].channels:
            name, n = f"{base}-{n}", n + 1
        self.groups[name] = {"community": community, "name": name, "members": [m.id for m in members],
                             "topic": topic, "open": True}
        extra: dict[str, Any] = {"expires": expires} if expires else {}
        if within is not None:  # a private thread in that channel
            extra["within"] = within.name or within.id
        self._record(community, "create_group", channel=name, members=[m.id for m in members],
                     private=private, topic=topic, **extra)
        return Channel(platform=self.name, id=name, name=name)

    def _room(self, community: str, channel: Channel) -> list[str]:
        """The members let into a group, or into a channel of the community (a council)."""
        group = self.groups.get(channel.id)
        if group is not None and group["open"]:
            members: list[str] = group["members"]
            return members
        if channel.id in self.communities[community].channels:
            return self.channel_members.setdefault((community, channel.id), [])
        raise NotFound(f"no open group or channel {channel.id!r}")

    async def invite(self, community: str, channel: Channel, member: Member) -> None:
        await self._network("invite")
        members = self._room(community, channel)
        if member.id not in members:
            members.append(member.id)
        self._record(community, "invite", channel=channel.id, member=member.id)

    async def remove_from_group(self, community: str, channel: Channel, member: Member) -> None:
        await self._network("remove_from_group")
        members = self._room(community, channel)
        if member.id in members:
            members.remove(member.id)
        self._record(community, "remove_from_group", channel=channel.id, member=member.id)

    async def dissolve_group(self, community: str, channel: Channel, mode: DissolveMode) -> None:
        await self._network("dissolve_group")
        group = self.groups.get(channel.id)
        if group is None or not group["open"]:
            raise NotFound(f"no open group {channel.id!r}")
        group["open"] = False
        group["mode"] = mode
        self._record(community, "dissolve_group", channel=channel.id, mode=mode)

    async def pin(self, community: str | None, channel: Channel, message_id: str) -> None:
        await self._network("pin")
        self._record(community, "pin", channel=channel.name or channel.id, message=message_id)

    async def unpin(self, community: str | None, channel: Channel, message_id: str) -> None:
        await self._network("unpin")
        self._record(community, "unpin", channel=channel.name or channel.id, message=message_id)


_NETWORKS: dict[str, type[TestingAdapter]] = {}


def network(name: str) -> type[TestingAdapter]:
    """The testing adapter as the network ``name`` (``discord``, ``matrix``).

    Its members, channels and messages carry that platform, and it imitates
    that network's capabilities, pace and rendering of mentions, so one
    community bound to two networks runs in memory: make the second adapter
    ``along=`` the first.
    """
    if name not in PROFILES or name == PLATFORM:
        raise ValueError(f"unknown network {name!r} (expected one of: discord, matrix, console)")
    cls = _NETWORKS.get(name)
    if cls is None:
        cls = _NETWORKS[name] = type(f"Testing{name.title()}Adapter", (TestingAdapter,), {
            "name": name, "__doc__": f"The in-memory adapter as the {name} network.",
        })
    return cls
