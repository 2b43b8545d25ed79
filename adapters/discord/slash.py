"""The core's command registry as Discord application (slash) commands.

Each command becomes a guild command; a two-word name (``flash join``) becomes
``/flash-join``, because Discord does not let ``/flash`` take options and have
subcommands at once. Parameters map to options: ``int`` -> integer, ``member``
-> user, everything else (words, quoted text, durations, several members, the
rest of the line) -> string. An invocation is turned back into the command line
the core parses (``flash "Night talk" 2h <@1> <@2>``), so permission checks and
argument errors are the same as for text commands. A command with a ``menu``
label is also a message context-menu command (type 3) of that name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hearth.commands import Command, Param, quote_arg

STRING, INTEGER, USER = 3, 4, 6
CHAT_INPUT, MESSAGE_MENU = 1, 3  # application command types
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
_NAME_OK = re.compile(r"[^a-z0-9_-]+")
_HINT = {
    "duration": "a duration such as 90s, 10m, 2h or 7d",
    "member": "a member",
    "int": "a whole number",
}


def slash_name(name: str) -> str:
    """Discord's name for a core command (lower case, ``-`` for spaces, at most 32)."""
    return _NAME_OK.sub("-", name.lower().strip().replace(" ", "-")).strip("-")[:32] or "cmd"


def _option_name(param: Param) -> str:
    return _NAME_OK.sub("_", param.name.lower())[:32] or "arg"


def _describe(text: str, fallback: str) -> str:
    text = " ".join((text or fallback).split())
    return (text[:97] + "...") if len(text) > 100 else text or fallback


def _option(param: Param) -> dict[str, Any]:
    kind = STRING
    if param.kind == "int" and not param.variadic:
        kind = INTEGER
    elif param.kind == "member" and not param.variadic:
        kind = USER
    hint = _HINT.get(param.kind, param.name)
    if param.variadic:
        hint = "mentions, separated by spaces" if param.kind == "member" else f"{hint}, several"
    return {
        "type": kind,
        "name": _option_name(param),
        "description": _describe(param.help, hint),
        "required": not (param.optional or param.variadic),
    }


def command_payload(command: Command) -> dict[str, Any]:
    options = [_option(p) for p in command.params]
    # Discord wants required options first; the command line is rebuilt in the core's order.
    options.sort(key=lambda o: not o["required"])
    return {
        "type": 1,
        "name": slash_name(command.name),
        "description": _describe(command.help, command.name),
        "options": options,
        "dm_permission": False,
    }


@dataclass(frozen=True)
class SlashSet:
    """The slash commands of one guild and how to turn an invocation back into a line."""

    payload: list[dict[str, Any]]
    commands: Mapping[str, Command]
    menus: Mapping[str, Command]

    def command_line(self, data: Mapping[str, Any]) -> str | None:
        """The core command line for an interaction's ``data``, or None if not ours."""
        if data.get("type") == MESSAGE_MENU:
            menu = self.menus.get(str(data.get("name", "")))
            return None if menu is None else menu.name
        command = self.commands.get(str(data.get("name", "")))
        if command is None:
            return None
        options = list(data.get("options") or [])
        while options and options[0].get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
            options = list(options[0].get("options") or [])
        values = {o.get("name"): o.get("value") for o in options}
        parts = [command.name]
        for param in command.params:
            value = values.get(_option_name(param))
            if value is None or value == "":
                continue
            parts.append(_token(param, value))
        return " ".join(parts)


def _token(param: Param, value: Any) -> str:
    if param.kind == "member" and not param.variadic:
        return f"<@{value}>"
    text = str(value)
    if param.kind == "rest" or param.variadic:
        return text
    return quote_arg(text)


def build(commands: Iterable[Command]) -> SlashSet:
    payload: list[dict[str, Any]] = []
    by_name: dict[str, Command] = {}
    menus: dict[str, Command] = {}
    for command in commands:
        entry = command_payload(command)
        if entry["name"] in by_name:
            continue
        by_name[entry["name"]] = command
        payload.append(entry)
        if command.menu and command.menu[:32] not in menus:
            menus[command.menu[:32]] = command
            payload.append({"type": MESSAGE_MENU, "name": command.menu[:32], "dm_permission": False})
    return SlashSet(payload, by_name, menus)

