"""Build INTERACTION_CREATE payloads: slash commands and message context-menu commands
(type 2) and message components (type 3)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from .state import (
    JSON,
    AppCommand,
    Channel,
    Guild,
    InteractionRecord,
    Member,
    Message,
    Role,
    State,
    User,
)

# Application command option types.
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING = 3
INTEGER = 4
BOOLEAN = 5
USER = 6
CHANNEL = 7
ROLE = 8
MENTIONABLE = 9
NUMBER = 10

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


def find_command(state: State, guild: Guild | None, name: str) -> AppCommand | None:
    """The registered command called ``name`` (guild commands shadow global ones)."""
    if guild is not None:
        command = state.guild_commands.get(guild.id, {}).get(name)
        if command is not None:
            return command
    return state.global_commands.get(name)


def _declared_options(command: AppCommand | None, path: list[str]) -> list[JSON]:
    """The option declarations under a subcommand path of a registered command."""
    options: list[JSON] = list((command.data.get("options") or []) if command else [])
    for part in path:
        nested = next((o for o in options if o.get("name") == part), None)
        options = list(nested.get("options") or []) if nested else []
    return options


class _Resolver:
    """Turns option values into (type, value) and fills ``data.resolved``."""

    def __init__(self, state: State, guild: Guild | None) -> None:
        self.state = state
        self.guild = guild
        self.resolved: dict[str, dict[str, JSON]] = {}

    def _add(self, kind: str, key: int, payload: JSON) -> None:
        self.resolved.setdefault(kind, {})[str(key)] = payload

    def _user(self, user: User) -> None:
        self._add("users", user.id, user.to_payload())
        if self.guild is not None and user.id in self.guild.members:
            member = self.guild.members[user.id].to_payload(with_user=False)
            member["permissions"] = str(self.state.permissions(self.guild, user.id))
            self._add("members", user.id, member)

    def _channel(self, channel: Channel) -> None:
        payload = channel.to_payload()
        payload["permissions"] = str(
            self.state.permissions(self.guild, self.state.bot.id) if self.guild else 0
        )
        self._add("channels", channel.id, payload)

    def option(self, name: str, value: Any, declared: int | None) -> JSON:
        if isinstance(value, Member):
            value = value.user
        if declared in (USER, CHANNEL, ROLE, MENTIONABLE) and isinstance(value, int | str):
            value = self._lookup(int(value), declared)
        if isinstance(value, User):
            self._user(value)
            return {"name": name, "type": declared or USER, "value": str(value.id)}
        if isinstance(value, Role):
            self._add("roles", value.id, value.to_payload())
            return {"name": name, "type": declared or ROLE, "value": str(value.id)}
        if isinstance(value, Channel):
            self._channel(value)
            return {"name": name, "type": CHANNEL, "value": str(value.id)}
        if isinstance(value, bool):
            kind = BOOLEAN
        elif isinstance(value, int):
            kind = INTEGER
        elif isinstance(value, float):
            kind = NUMBER
        else:
            kind, value = STRING, str(value)
        return {"name": name, "type": declared or kind, "value": value}

    def _lookup(self, key: int, declared: int) -> Any:
        if declared in (USER, MENTIONABLE) and key in self.state.users:
            return self.state.users[key]
        if declared in (ROLE, MENTIONABLE) and self.guild and key in self.guild.roles:
            return self.guild.roles[key]
        if declared == CHANNEL:
            channel = self.state.channel(key)
            if channel is not None:
                return channel
        return key


# Message component types.
ACTION_ROW = 1
BUTTON = 2
STRING_SELECT = 3


def find_component(message: Message, custom_id: str) -> JSON | None:
    """The interactive component called ``custom_id`` on ``message``, if it has one."""
    for row in message.components:
        for component in row.get("components") or []:
            if component.get("custom_id") == custom_id:
                return dict(component)
    return None


def build_component(
    state: State, message: Message, user: User, custom_id: str, values: list[str] | None = None,
) -> InteractionRecord:
    """A message-component interaction (type 3, MESSAGE_COMPONENT) as Discord sends it.

    ``user`` pressed the button ``custom_id`` on ``message``, or chose ``values``
    in its select menu ``custom_id``. As on Discord, only a component the
    message shows can be used, and a menu's choice must be within its options
    and its ``min_values``..``max_values`` (``ValueError`` otherwise).
    """
    component = find_component(message, custom_id)
    if component is None or component.get("disabled"):
        raise ValueError(f"message {message.id} has no usable component {custom_id!r}")
    kind = int(component["type"])
    data: JSON = {"custom_id": custom_id, "component_type": kind}
    if kind == STRING_SELECT:
        allowed = {str(o["value"]) for o in component.get("options") or []}
        chosen = [str(v) for v in values or []]
        low, high = int(component.get("min_values", 1)), int(component.get("max_values", 1))
        if not set(chosen) <= allowed or not low <= len(chosen) <= high:
            raise ValueError(f"{chosen} is not a valid choice in menu {custom_id!r}")
        data["values"] = chosen
    elif values:
        raise ValueError("a button takes no values")
    channel = state.channel(message.channel_id)
    assert channel is not None
    guild = state.guild_of(channel)
    record = _interaction(state, guild, channel, user, 3, data)
    record.payload["message"] = state.message_payload(message)
    record.message_id = message.id
    return record


def build_slash(
    state: State,
    guild: Guild | None,
    channel: Channel,
    user: User,
    name: str,
    options: Mapping[str, Any] | list[JSON] | None = None,
) -> InteractionRecord:
    """An application-command interaction (type 2) as Discord sends it.

    ``name`` may be ``"cmd"``, ``"cmd sub"`` or ``"cmd group sub"``. ``options`` is
    either a mapping of option name to value (users, members, roles and channels are
    put in ``data.resolved``) or a raw list of option payloads.
    """
    parts = name.split()
    command = find_command(state, guild, parts[0])
    resolver = _Resolver(state, guild)
    if isinstance(options, list):
        leaf: list[JSON] = options
    else:
        declared = {o.get("name"): o.get("type") for o in _declared_options(command, parts[1:])}
        leaf = [resolver.option(k, v, declared.get(k)) for k, v in (options or {}).items()]
    for depth, part in reversed(list(enumerate(parts[1:], start=1))):
        kind = SUB_COMMAND if depth == len(parts) - 1 else SUB_COMMAND_GROUP
        leaf = [{"name": part, "type": kind, "options": leaf}]

    data: JSON = {
        "id": str(command.id if command else state.new_id()),
        "name": parts[0],
        "type": 1,
        "options": leaf,
    }
    if resolver.resolved:
        data["resolved"] = resolver.resolved
    if command is not None and command.guild_id is not None:
        data["guild_id"] = str(command.guild_id)

    return _interaction(state, guild, channel, user, 2, data)


MESSAGE_COMMAND = 3  # application command type of a message context-menu entry


def build_message_command(state: State, message: Message, user: User, name: str) -> InteractionRecord:
    """A message context-menu interaction (type 2, command type 3) as Discord sends it.

    ``user`` chose the entry ``name`` on ``message``. As on Discord, the entry must be a
    registered message command (``ValueError`` otherwise); ``data.target_id`` names the
    message and ``data.resolved.messages`` carries it.
    """
    channel = state.channel(message.channel_id)
    assert channel is not None
    guild = state.guild_of(channel)
    command = find_command(state, guild, name)
    if command is None or command.data.get("type") != MESSAGE_COMMAND:
        raise ValueError(f"no message command {name!r} is registered")
    data: JSON = {
        "id": str(command.id),
        "name": name,
        "type": MESSAGE_COMMAND,
        "target_id": str(message.id),
        "resolved": {"messages": {str(message.id): state.message_payload(message)}},
    }
    if command.guild_id is not None:
        data["guild_id"] = str(command.guild_id)
    return _interaction(state, guild, channel, user, 2, data)


def _interaction(state: State, guild: Guild | None, channel: Channel, user: User, kind: int,
                 data: JSON) -> InteractionRecord:
    """An interaction of type ``kind`` from ``user`` in ``channel``, remembered in ``state``."""
    interaction_id = state.new_id()
    token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
    payload: JSON = {
        "id": str(interaction_id),
        "application_id": str(state.application_id),
        "type": kind,
        "data": data,
        "channel_id": str(channel.id),
        "channel": channel.to_payload(),
        "token": token,
        "version": 1,
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    if guild is not None:
        member = guild.members[user.id].to_payload()
        member["permissions"] = str(state.permissions(guild, user.id))
        payload.update(
            guild_id=str(guild.id),
            guild={"id": str(guild.id), "locale": "en-US", "features": []},
            guild_locale="en-US",
            member=member,
            app_permissions=str(state.permissions(guild, state.bot.id)),
            authorizing_integration_owners={"0": str(guild.id)},
            context=0,
        )
    else:
        payload.update(
            user=user.to_payload(),
            app_permissions="0",
            authorizing_integration_owners={"0": "0"},
            context=1,
        )
    record = InteractionRecord(
        id=interaction_id,
        token=token,
        type=kind,
        payload=payload,
        channel_id=channel.id,
        guild_id=guild.id if guild else None,
        user=user,
    )
    state.interactions[interaction_id] = record
    state.interactions_by_token[token] = record
    return record
