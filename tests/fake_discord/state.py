"""In-memory model of the Discord objects the fake serves, and their JSON payloads.

Every object renders itself the way Discord API v10 does (ids and permission
bitsets as strings, ISO-8601 timestamps, ...), so discord.py parses it unchanged.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

JSON = dict[str, Any]

# Channel types (https://discord.com/developers/docs/resources/channel#channel-object-channel-types)
GUILD_TEXT = 0
DM = 1
GUILD_CATEGORY = 4
PRIVATE_THREAD = 12

# Overwrite target types.
OVERWRITE_ROLE = 0
OVERWRITE_MEMBER = 1

# Message types.
MESSAGE_DEFAULT = 0
MESSAGE_REPLY = 19
MESSAGE_CHAT_INPUT_COMMAND = 20

# Message flags.
FLAG_EPHEMERAL = 1 << 6

ADMINISTRATOR = 1 << 3
ALL_PERMISSIONS = (1 << 51) - 1
# Roughly Discord's default, without the moderator bits Discord never gives @everyone
# (KICK_MEMBERS 1<<1, MANAGE_ROLES 1<<28, MANAGE_WEBHOOKS 1<<29).
DEFAULT_EVERYONE_PERMISSIONS = 0x0000_0000_0006_3584_0E43 & ~((1 << 1) | (1 << 28) | (1 << 29))


class SnowflakeGenerator:
    """Produce unique, time-ordered Discord snowflakes (discord.py reads their age)."""

    def __init__(self, worker: int = 1) -> None:
        self._worker = worker & 0x1F
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._last = 0

    def __call__(self) -> int:
        with self._lock:
            ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
            increment = next(self._counter) & 0xFFF
            value = (ms << 22) | (self._worker << 17) | increment
            if value <= self._last:  # counter wrapped within one millisecond
                value = self._last + 1
            self._last = value
            return value


def iso(moment: dt.datetime | None = None) -> str:
    """Render a datetime as Discord does (UTC, ISO-8601 with offset)."""
    moment = moment or dt.datetime.now(dt.UTC)
    return moment.astimezone(dt.UTC).isoformat()


def snowflake_time(snowflake: int) -> dt.datetime:
    """The creation time encoded in a snowflake."""
    return dt.datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, dt.UTC)


#: Discord's limits on channels (categories count as channels in the guild)
GUILD_CHANNEL_LIMIT = 500
CATEGORY_CHANNEL_LIMIT = 50


class LimitError(Exception):
    """A Discord limit was reached: ``code`` and ``message`` as the API answers."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class User:
    """A Discord user (a human or a bot)."""

    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    avatar: str | None = None

    def to_payload(self) -> JSON:
        payload: JSON = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": self.avatar,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
        }
        if self.bot:
            payload["bot"] = True
        return payload

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass
class Role:
    """A guild role. The @everyone role has the guild's id."""

    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None

    def to_payload(self) -> JSON:
        payload: JSON = {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": self.hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.bot_id is not None:
            payload["tags"] = {"bot_id": str(self.bot_id)}
        return payload

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"


@dataclass
class Overwrite:
    """A permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def to_payload(self) -> JSON:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}

    @classmethod
    def from_payload(cls, data: JSON) -> Overwrite:
        return cls(
            id=int(data["id"]),
            type=int(data.get("type", OVERWRITE_ROLE)),
            allow=int(data.get("allow", 0) or 0),
            deny=int(data.get("deny", 0) or 0),
        )


@dataclass
class Channel:
    """A guild text channel, a category, a DM channel, or a private thread in a text channel."""

    id: int
    type: int
    name: str | None = None
    guild_id: int | None = None
    parent_id: int | None = None
    position: int = 0
    topic: str | None = None
    nsfw: bool = False
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    recipients: list[User] = field(default_factory=list)
    last_message_id: int | None = None
    pins: list[int] = field(default_factory=list)
    #: a thread's creator, members (user ids) and state
    owner_id: int | None = None
    thread_members: set[int] = field(default_factory=set)
    archived: bool = False
    locked: bool = False

    def to_payload(self) -> JSON:
        if self.type == PRIVATE_THREAD:
            return {
                "id": str(self.id), "type": PRIVATE_THREAD, "guild_id": _opt_str(self.guild_id),
                "parent_id": _opt_str(self.parent_id), "owner_id": _opt_str(self.owner_id),
                "name": self.name, "last_message_id": _opt_str(self.last_message_id),
                "rate_limit_per_user": 0, "message_count": 0,
                "member_count": len(self.thread_members), "flags": 0,
                "thread_metadata": {"archived": self.archived, "auto_archive_duration": 10080,
                                    "archive_timestamp": iso(), "locked": self.locked,
                                    "invitable": False},
            }
        if self.type == DM:
            return {
                "id": str(self.id),
                "type": DM,
                "last_message_id": _opt_str(self.last_message_id),
                "recipients": [u.to_payload() for u in self.recipients],
                "flags": 0,
            }
        payload: JSON = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": _opt_str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "parent_id": _opt_str(self.parent_id),
            "permission_overwrites": [o.to_payload() for o in self.overwrites.values()],
            "nsfw": self.nsfw,
            "flags": 0,
        }
        if self.type == GUILD_TEXT:
            payload.update(
                topic=self.topic,
                last_message_id=_opt_str(self.last_message_id),
                rate_limit_per_user=0,
                default_thread_rate_limit_per_user=0,
            )
        return payload

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"


@dataclass
class Member:
    """A user's membership in a guild."""

    user: User
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso)
    communication_disabled_until: str | None = None
    flags: int = 0
    pending: bool = False

    def timed_out(self) -> bool:
        """Discord refuses the member's posts until their timeout ends."""
        until = self.communication_disabled_until
        return bool(until) and dt.datetime.fromisoformat(str(until)) > dt.datetime.now(dt.UTC)

    def to_payload(self, *, with_user: bool = True) -> JSON:
        payload: JSON = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": self.pending,
            "flags": self.flags,
            "communication_disabled_until": self.communication_disabled_until,
        }
        if with_user:
            payload["user"] = self.user.to_payload()
        return payload


@dataclass
class Reaction:
    """The users who reacted to a message with one emoji."""

    emoji: str
    user_ids: list[int] = field(default_factory=list)


@dataclass
class Message:
    """A message in a guild channel or DM channel."""

    id: int
    channel_id: int
    author: User
    content: str
    guild_id: int | None = None
    mentions: list[User] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    reference_id: int | None = None
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    #: files uploaded with the message (id, filename, size, content_type, url, proxy_url)
    attachments: list[JSON] = field(default_factory=list)
    flags: int = 0
    type: int = MESSAGE_DEFAULT
    pinned: bool = False
    edited_timestamp: str | None = None
    reactions: dict[str, Reaction] = field(default_factory=dict)
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: JSON | None = None
    nonce: str | int | None = None
    deleted: bool = False

    @property
    def timestamp(self) -> str:
        return iso(snowflake_time(self.id))


@dataclass
class AppCommand:
    """A registered application command (global when guild_id is None)."""

    id: int
    application_id: int
    name: str
    data: JSON
    guild_id: int | None = None
    version: int = 1

    def to_payload(self) -> JSON:
        payload: JSON = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "nsfw": False,
            "name_localizations": None,
            "description_localizations": None,
        }
        payload.update(self.data)
        payload.update(
            id=str(self.id),
            application_id=str(self.application_id),
            version=str(self.version),
            name=self.name,
        )
        if self.guild_id is not None:
            payload["guild_id"] = str(self.guild_id)
        else:
            payload.setdefault("dm_permission", True)
        return payload

    def option_type(self, name: str) -> int | None:
        for option in self.data.get("options") or []:
            if option.get("name") == name:
                return int(option["type"])
        return None


@dataclass
class Guild:
    """A guild with its roles, channels, members and bans.

    The helpers here change state *silently* (no gateway event): use them to set
    the scene before the bot connects. To simulate something happening while the
    bot is connected, use the injection methods of ``FakeDiscord``.
    """

    id: int
    name: str
    owner_id: int
    _new_id: SnowflakeGenerator = field(repr=False)
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    bans: dict[int, str | None] = field(default_factory=dict)
    joined_at: str = field(default_factory=iso)
    #: private threads (they count against no channel limit and are not listed with the channels)
    threads: dict[int, Channel] = field(default_factory=dict)

    @property
    def everyone(self) -> Role:
        """The @everyone role (same id as the guild)."""
        return self.roles[self.id]

    def add_role(
        self,
        name: str,
        permissions: int = 0,
        *,
        position: int | None = None,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        managed: bool = False,
        bot_id: int | None = None,
    ) -> Role:
        """Create a role (silently). Its position defaults to just above the highest."""
        if position is None:
            position = max((r.position for r in self.roles.values()), default=0) + 1
        role = Role(
            id=self._new_id(),
            guild_id=self.id,
            name=name,
            permissions=permissions,
            position=position,
            color=color,
            hoist=hoist,
            mentionable=mentionable,
            managed=managed,
            bot_id=bot_id,
        )
        self.roles[role.id] = role
        return role

    def add_channel(
        self,
        name: str,
        *,
        type: int = GUILD_TEXT,
        category: Channel | int | None = None,
        overwrites: list[Overwrite] | None = None,
        topic: str | None = None,
        position: int | None = None,
    ) -> Channel:
        """Create a text channel or (type=4) a category, silently."""
        if position is None:
            position = len(self.channels)
        parent_id = category.id if isinstance(category, Channel) else category
        channel = Channel(
            id=self._new_id(),
            type=type,
            name=name,
            guild_id=self.id,
            parent_id=parent_id,
            position=position,
            topic=topic,
            overwrites={o.id: o for o in overwrites or []},
        )
        self.channels[channel.id] = channel
        return channel

    def add_text_channel(self, name: str, **kwargs: Any) -> Channel:
        """Create a text channel, silently."""
        return self.add_channel(name, type=GUILD_TEXT, **kwargs)

    def add_category(self, name: str, **kwargs: Any) -> Channel:
        """Create a category, silently."""
        return self.add_channel(name, type=GUILD_CATEGORY, **kwargs)

    def add_member(self, user: User, roles: list[Role | int] | None = None) -> Member:
        """Make ``user`` a member of this guild, silently."""
        member = Member(user=user, guild_id=self.id, roles=[_id(r) for r in roles or []])
        self.members[user.id] = member
        return member

    def member(self, user: User | int) -> Member:
        """The member for a user (KeyError if not a member)."""
        return self.members[_id(user)]

    def check_room(self, parent_id: int | None, *, moving: Channel | None = None) -> None:
        """Discord's limits: 500 channels in a guild, 50 in a category (raises ``LimitError``)."""
        if moving is None and len(self.channels) >= GUILD_CHANNEL_LIMIT:
            raise LimitError(30013, f"Maximum number of guild channels reached ({GUILD_CHANNEL_LIMIT})")
        if parent_id is not None and (moving is None or moving.parent_id != parent_id):
            inside = sum(1 for c in self.channels.values() if c.parent_id == parent_id)
            if inside >= CATEGORY_CHANNEL_LIMIT:
                raise LimitError(50035, "Invalid Form Body (parent_id: Maximum number of channels "
                                        f"in category reached ({CATEGORY_CHANNEL_LIMIT}))")

    def channel_named(self, name: str) -> Channel:
        """The first channel with this name (KeyError if none)."""
        for channel in self.channels.values():
            if channel.name == name:
                return channel
        raise KeyError(name)

    def role_named(self, name: str) -> Role:
        """The first role with this name (KeyError if none)."""
        for role in self.roles.values():
            if role.name == name:
                return role
        raise KeyError(name)

    def to_payload(self, *, full: bool = False) -> JSON:
        """The guild object; ``full`` adds the GUILD_CREATE-only fields."""
        payload: JSON = {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "features": [],
            "roles": [r.to_payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
            "premium_progress_bar_enabled": False,
        }
        if full:
            payload.update(
                joined_at=self.joined_at,
                large=False,
                unavailable=False,
                member_count=len(self.members),
                members=[m.to_payload() for m in self.members.values()],
                channels=[c.to_payload() for c in self.channels.values()],
                threads=[],
                voice_states=[],
                presences=[],
                stage_instances=[],
                guild_scheduled_events=[],
                soundboard_sounds=[],
            )
        return payload


def _id(obj: Any) -> int:
    return int(getattr(obj, "id", obj))


def _opt_str(value: int | None) -> str | None:
    return None if value is None else str(value)


_MENTION_RE = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION_RE = re.compile(r"<@&(\d+)>")


def parse_mentions(content: str) -> tuple[list[int], list[int]]:
    """User ids and role ids mentioned in message content."""
    users = [int(m) for m in _MENTION_RE.findall(content)]
    roles = [int(m) for m in _ROLE_MENTION_RE.findall(content)]
    return list(dict.fromkeys(users)), list(dict.fromkeys(roles))


@dataclass
class InteractionRecord:
    """An interaction the fake sent, and what the bot answered.

    ``callbacks`` holds the JSON bodies of ``POST /interactions/{id}/{token}/callback``;
    ``followups`` those of the followup webhook (``POST /webhooks/{app_id}/{token}``);
    ``edits`` those of ``PATCH /webhooks/{app_id}/{token}/messages/...``.
    """

    id: int
    token: str
    type: int
    payload: JSON
    channel_id: int
    guild_id: int | None
    user: User
    callbacks: list[JSON] = field(default_factory=list)
    followups: list[JSON] = field(default_factory=list)
    edits: list[JSON] = field(default_factory=list)
    response_message_id: int | None = None
    #: a component interaction's message (the one whose button or menu was used)
    message_id: int | None = None
    #: ``time.monotonic()`` when the interaction was sent
    created: float = field(default_factory=time.monotonic)

    @property
    def responded(self) -> bool:
        return bool(self.callbacks)


class State:
    """Everything the fake knows: the bot application, users, guilds, DMs, messages."""

    def __init__(self, *, bot_name: str = "HearthTest") -> None:
        self.new_id = SnowflakeGenerator()
        self.owner = User(id=self.new_id(), username="app-owner")
        self.bot = User(id=self.new_id(), username=bot_name, bot=True)
        self.application_id = self.bot.id
        self.users: dict[int, User] = {self.owner.id: self.owner, self.bot.id: self.bot}
        self.guilds: dict[int, Guild] = {}
        self.dm_channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.global_commands: dict[str, AppCommand] = {}
        self.guild_commands: dict[int, dict[str, AppCommand]] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.interactions_by_token: dict[str, InteractionRecord] = {}
        #: Discord's limits: the first response within 3 s, the token usable for 15 minutes
        self.interaction_ack_seconds = 3.0
        self.interaction_token_seconds = 15 * 60.0
        #: what GET /gateway/bot says: the shards Discord recommends, how many shards may
        #: IDENTIFY at once, and the session starts left today (each IDENTIFY takes one)
        self.recommended_shards = 1
        self.max_concurrency = 1
        self.session_starts_remaining = 1000

    # -- lookups -----------------------------------------------------------------------

    def channel(self, channel_id: int) -> Channel | None:
        if channel_id in self.dm_channels:
            return self.dm_channels[channel_id]
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
            if channel_id in guild.threads:
                return guild.threads[channel_id]
        return None

    def guild_of(self, channel: Channel) -> Guild | None:
        return None if channel.guild_id is None else self.guilds.get(channel.guild_id)

    def dm_with(self, user: User) -> Channel:
        """The DM channel between the bot and ``user`` (created on first use)."""
        for channel in self.dm_channels.values():
            if any(r.id == user.id for r in channel.recipients):
                return channel
        channel = Channel(id=self.new_id(), type=DM, recipients=[user])
        self.dm_channels[channel.id] = channel
        return channel

    def new_user(self, username: str, *, bot: bool = False) -> User:
        user = User(id=self.new_id(), username=username, bot=bot, global_name=username)
        self.users[user.id] = user
        return user

    def new_guild(self, name: str, owner_id: int, shard: tuple[int, int] | None = None) -> Guild:
        """A new guild; with ``shard`` (id, count), one whose events come on that shard."""
        guild_id = self.new_id()
        if shard is not None:  # move its time part back at most count - 1 ms onto the shard
            shard_id, count = shard
            ms = guild_id >> 22
            guild_id = ((ms - (ms - shard_id) % count) << 22) | (guild_id & ((1 << 22) - 1))
        guild = Guild(id=guild_id, name=name, owner_id=owner_id, _new_id=self.new_id)
        guild.roles[guild_id] = Role(
            id=guild_id, guild_id=guild_id, name="@everyone",
            permissions=DEFAULT_EVERYONE_PERMISSIONS, position=0,
        )
        self.guilds[guild_id] = guild
        return guild

    def create_message(
        self,
        channel: Channel,
        author: User,
        content: str,
        *,
        mentions: list[User] | None = None,
        reply_to: Message | int | None = None,
        embeds: list[JSON] | None = None,
        components: list[JSON] | None = None,
        flags: int = 0,
        nonce: str | int | None = None,
        parse_content_mentions: bool = True,
        store: bool = True,
    ) -> Message:
        """Build (and store) a message; mentions default to those written in ``content``."""
        mentioned: list[User] = list(mentions or [])
        role_ids: list[int] = []
        if parse_content_mentions:
            user_ids, role_ids = parse_mentions(content)
            for uid in user_ids:
                if uid in self.users and all(u.id != uid for u in mentioned):
                    mentioned.append(self.users[uid])
        reference_id = None if reply_to is None else _id(reply_to)
        message = Message(
            id=self.new_id(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            content=content,
            mentions=mentioned,
            mention_roles=role_ids,
            mention_everyone="@everyone" in content or "@here" in content,
            reference_id=reference_id,
            embeds=list(embeds or []),
            components=list(components or []),
            flags=flags,
            nonce=nonce,
            type=MESSAGE_REPLY if reference_id is not None else MESSAGE_DEFAULT,
        )
        if store:
            self.messages[message.id] = message
            channel.last_message_id = message.id
        return message

    def permissions(self, guild: Guild, user_id: int) -> int:
        """Guild-level permissions of a member (owner and administrators get all)."""
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        perms = guild.everyone.permissions
        for role_id in member.roles if member else []:
            role = guild.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    # -- payloads ------------------------------------------------------------------------

    def message_payload(self, message: Message) -> JSON:
        guild = self.guilds.get(message.guild_id) if message.guild_id else None
        payload: JSON = {
            "id": str(message.id),
            "type": message.type,
            "channel_id": str(message.channel_id),
            "author": message.author.to_payload(),
            "content": message.content,
            "timestamp": message.timestamp,
            "edited_timestamp": message.edited_timestamp,
            "tts": False,
            "mention_everyone": message.mention_everyone,
            "mentions": [self._mention_payload(u, guild) for u in message.mentions],
            "mention_roles": [str(r) for r in message.mention_roles],
            "attachments": message.attachments,
            "embeds": message.embeds,
            "components": message.components,
            "pinned": message.pinned,
            "flags": message.flags,
        }
        if message.reactions:
            payload["reactions"] = [
                {
                    "emoji": emoji_payload(r.emoji),
                    "count": len(r.user_ids),
                    "count_details": {"burst": 0, "normal": len(r.user_ids)},
                    "me": self.bot.id in r.user_ids,
                    "me_burst": False,
                    "burst_colors": [],
                }
                for r in message.reactions.values()
                if r.user_ids
            ]
        if guild is not None:
            payload["guild_id"] = str(guild.id)
            author_member = guild.members.get(message.author.id)
            if author_member is not None and message.webhook_id is None:
                payload["member"] = author_member.to_payload(with_user=False)
        if message.nonce is not None:
            payload["nonce"] = message.nonce
        if message.webhook_id is not None:
            payload["webhook_id"] = str(message.webhook_id)
        if message.application_id is not None:
            payload["application_id"] = str(message.application_id)
        if message.interaction_metadata is not None:
            payload["interaction_metadata"] = message.interaction_metadata
        if message.reference_id is not None:
            payload["message_reference"] = {
                "type": 0,
                "message_id": str(message.reference_id),
                "channel_id": str(message.channel_id),
                **({"guild_id": str(guild.id)} if guild else {}),
            }
            referenced = self.messages.get(message.reference_id)
            if referenced is not None and not referenced.deleted:
                inner = self.message_payload(referenced)
                inner.pop("member", None)
                payload["referenced_message"] = inner
            else:
                payload["referenced_message"] = None
        return payload

    def _mention_payload(self, user: User, guild: Guild | None) -> JSON:
        payload = user.to_payload()
        if guild is not None and user.id in guild.members:
            payload["member"] = guild.members[user.id].to_payload(with_user=False)
        return payload


def emoji_payload(emoji: str) -> JSON:
    """Emoji object for a unicode emoji or a custom emoji written ``name:id``."""
    if ":" in emoji:
        name, _, emoji_id = emoji.rpartition(":")
        return {"id": emoji_id, "name": name, "animated": False}
    return {"id": None, "name": emoji}
