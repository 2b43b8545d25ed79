"""Commands: declarations, argument parsing and the per-community registry.

A plugin declares its commands from the ``register_commands`` hook::

    Command(
        name="flash",
        params=(Param("title", "text"), Param("duration", "duration", optional=True),
                Param("members", "member", variadic=True)),
        min_role=lambda config: config.creators,
        help="Open a temporary group",
        handler=open_flash,
    )

Arguments are split like a shell line (quotes group words, “curly” quotes
too), then converted in order; an optional parameter whose conversion fails is
skipped, as discord.py's ``Optional`` does. A command may have a two-word name
(``flash join``); the longer name wins.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import msgspec

from hearth.errors import PermissionDenied, StartupError, UsageError
from hearth.models import Member, Message, Role
from hearth.timeutil import MAX_DURATION, DurationTooLong, format_duration, parse_duration

if TYPE_CHECKING:
    from hearth.context import PluginContext
    from hearth.people.records import MemberRecord

ParamKind = Literal["word", "text", "int", "duration", "member", "rest"]

_HINTS: dict[str, str] = {
    "int": "a whole number",
    "duration": "a duration such as 90s, 10m, 2h, 1h30m or 7d",
    "member": "a member mention such as @alice",
}
_MENTION_RE = re.compile(r"^(?:<@!?(\d+)>|@(\S+))$")


@dataclass(frozen=True, slots=True)
class Param:
    """One argument of a command.

    ``kind``: ``word`` (one token), ``text`` (one token; quote several words),
    ``int``, ``duration``, ``member`` (a mention), ``rest`` (everything left).
    An ``int`` must lie within ``bounds``, a ``duration`` be at most ``longest``:
    a number outside them is a usage error, never a crash deeper in. A
    ``member`` with ``present=False`` may be someone who left or was banned
    (the directory's last record of them), for commands such as ``unban``.
    """

    name: str
    kind: ParamKind = "word"
    optional: bool = False
    variadic: bool = False
    help: str = ""
    bounds: tuple[int, int] = (0, 1_000_000)
    longest: timedelta = MAX_DURATION
    present: bool = True

    @property
    def usage(self) -> str:
        label = "@member" if self.kind == "member" else self.name.upper()
        if self.variadic:
            label += " …"
        return f"[{label}]" if self.optional or self.variadic else label


#: a handler returns its reply (a :class:`~hearth.Text` keeps its mentions), or None
Handler: TypeAlias = Callable[["Invocation"], Awaitable[str | None]]
RoleRule: TypeAlias = Role | Callable[[Any], Role]


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """A command a plugin offers.

    ``min_role`` is the lowest role allowed (or a function of the plugin's
    config returning it). With ``power``, leaders may run it only when the
    community grants leaders that power (admins and owners always may).
    The handler may return a reply, or reply itself through the invocation.
    ``menu``: the label of a message context-menu entry where the network has
    them (Discord): choosing it on a message runs the command, without
    arguments, as a reply to that message.

    Who the command is *for*, so that ``help`` lists it only to them:
    ``max_role``, the highest role it is meant for (``agree`` is for
    newcomers), and ``available``, ``async (ctx, member) -> bool``, whether it
    is meant for this member now (``agree``: not yet agreed). Neither stops
    anyone from running it.
    """

    name: str
    handler: Handler
    params: tuple[Param, ...] = ()
    min_role: RoleRule = Role.MEMBER
    power: str | None = None
    help: str = ""
    plugin: str = ""
    max_role: Role | None = None
    available: Callable[[PluginContext, Member], Awaitable[bool]] | None = None
    menu: str | None = None

    @property
    def usage(self) -> str:
        return " ".join([self.name, *(p.usage for p in self.params)])

    def lowest_role(self, config: Any) -> Role:
        return self.min_role if isinstance(self.min_role, Role) else self.min_role(config)


class Invocation(msgspec.Struct, kw_only=True):
    """A command being run: who ran it, where, with which parsed arguments.

    ``native``: invoked through the network's own command UI (a slash command
    or a context menu), so there is no message of the member's to remove, and
    the answer goes back through that UI.
    """

    # A msgspec Struct rather than a dataclass: one is made for every command, and a
    # Struct is built in C (a few times cheaper). Its fields stay attributes to read and set.

    command: Command
    member: Member
    message: Message
    args: dict[str, Any]
    ctx: PluginContext
    prefix: str = "!"
    native: bool = False

    async def reply(self, text: str) -> None:
        """Answer where the command was run (the channel, or the DM)."""
        await self.ctx.reply(self.message, text)


#: one token: a quoted group (straight or typographic quotes; the quote marks dropped),
#: a quote mark that is never closed (an error), or a word (an apostrophe inside is a letter)
_TOKEN = re.compile(r"""\s*(?:["“]([^"“”]*)["”]|['‘]([^'‘’]*)['’]|(["“'‘])|(\S+))""")


#: characters that may open a quoted group (a line without any is split on whitespace)
_QUOTES = frozenset("\"“'‘")


def quote_arg(text: str) -> str:
    """``text`` as one argument of a command line (quoted when it has to be)."""
    if text and not any(c.isspace() for c in text) and text[0] not in "\"“'‘":
        return text
    if '"' not in text and "”" not in text:
        return f'"{text}"'
    if "'" not in text and "’" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "'").replace("”", "’") + '"'


def split_args(text: str) -> list[str]:
    """Split an argument line into tokens; quotes group words."""
    if _QUOTES.isdisjoint(text):
        return text.split()
    tokens, _, unclosed = _tokenize(text)
    if unclosed:
        raise ValueError(_UNCLOSED)
    return tokens


def mention_id(token: str) -> str | None:
    """The member id in a mention token (``@alice``, ``<@123>``), or None."""
    m = _MENTION_RE.match(token)
    return (m.group(1) or m.group(2)) if m else None


async def resolve_members(ctx: PluginContext, command: Command, message: Message,
                          args: dict[str, Any]) -> None:
    """Replace each ``member`` argument (an id from a mention) with the :class:`Member`.

    Members are looked up on the network the command came from. A mention of
    someone who is not a member there is a :class:`UsageError` saying so: one
    who left (the member directory remembers them) is told apart from an
    unknown name. Every command taking a member argument goes through here.
    """
    for param in command.params:
        if param.kind != "member" or args.get(param.name) is None:
            continue
        ids = args[param.name] if param.variadic else [args[param.name]]
        found = []
        for member_id in ids:
            member = await ctx.get_member(message.platform, member_id)
            if member is None:
                former = _former(ctx, message.platform, member_id)
                if former is None or param.present:
                    raise UsageError(_not_a_member(former, member_id), command.usage)
                member = former.member  # someone who left or was banned (``unban``)
            found.append(member)
        args[param.name] = found if param.variadic else found[0]


def _former(ctx: PluginContext, platform: str, member_id: str) -> MemberRecord | None:
    """The directory's record of someone no longer a member here, or None."""
    # a network whose ids start with "@" (Matrix) keeps it in the directory
    for account in ((platform, member_id), (platform, f"@{member_id}")):
        record = ctx.member(account)
        if record is not None and not record.present:
            return record
    return None


def _not_a_member(former: MemberRecord | None, member_id: str) -> str:
    shown = _shown(member_id if member_id.startswith("@") else f"@{member_id}")
    if former is not None:
        return f"{shown} is no longer a member here (they left)"
    return f"there is no member {shown} here"


def _shown(token: str) -> str:
    return token if len(token) <= 24 else token[:20] + "…"


class _OutOfBounds(Exception):
    """A token of the right kind whose value is outside the parameter's bounds."""


_INT_RE = re.compile(r"[+-]?\d+")


def _convert_int(param: Param, token: str) -> int:
    low, high = param.bounds
    # the common case: plain digits, short enough that int() is cheap and exact
    # (str.isdecimal is exactly the \d of _INT_RE: Unicode category Nd)
    if len(token) <= 18 and token.isdecimal():
        value = int(token)
        if low <= value <= high:
            return value
    if not _INT_RE.fullmatch(token):
        raise ValueError
    digits = token.lstrip("+-").lstrip("0")
    if len(digits) > 18 or not low <= int(token) <= high:
        raise _OutOfBounds(f"{param.name.upper()} is a whole number from {low:,} to {high:,} "
                           f"(got {_shown(token)})")
    return int(token)


def _convert_duration(param: Param, token: str) -> timedelta:
    try:
        return parse_duration(token, longest=param.longest)
    except DurationTooLong as exc:
        raise _OutOfBounds(f"{param.name.upper()} is at most {format_duration(param.longest)} "
                           f"(got {_shown(token)})") from exc


def _convert_member(param: Param, token: str) -> str:
    found = mention_id(token)
    if found is None:
        raise ValueError
    return found


#: how a token becomes a parameter's value (None: the token as it is); ValueError when it
#: is not of the kind, _OutOfBounds when it is but its value is not allowed
_CONVERTERS: dict[str, Callable[[Param, str], Any] | None] = {
    "word": None, "text": None, "int": _convert_int,
    "duration": _convert_duration, "member": _convert_member,
}


def _convert(param: Param, token: str) -> Any:
    if param.kind not in _CONVERTERS:
        raise AssertionError(param.kind)
    convert = _CONVERTERS[param.kind]
    return token if convert is None else convert(param, token)


def _tokenize(line: str) -> tuple[list[str], list[int], bool]:
    """A line with quotes as tokens, where each ends, and whether a quote that is never
    closed follows the last of them (an error only if the parser gets that far)."""
    tokens: list[str] = []
    ends: list[int] = []
    pos = 0
    while (found := _TOKEN.match(line, pos)) is not None:
        if found.group(3) is not None:
            return tokens, ends, True
        quoted, single, word = found.group(1, 2, 4)
        tokens.append(quoted if quoted is not None else single if single is not None else word)
        pos = found.end()
        ends.append(pos)
    return tokens, ends, False


_UNCLOSED = "a quote is not closed"


class _Plan:
    """How to parse one command's arguments, worked out once when it is registered:
    each parameter with its converter, whether the whole line is one ``rest``, and
    whether any argument is a member (to be looked up after parsing)."""

    __slots__ = ("command", "lowest", "members", "rest_only", "steps")

    def __init__(self, command: Command) -> None:
        self.command = command
        params = command.params
        self.steps = tuple(
            (p, p.name, p.kind, p.optional, p.variadic, _CONVERTERS.get(p.kind, _convert)) for p in params
        )
        self.rest_only = len(params) == 1 and params[0].kind == "rest"
        self.members = any(p.kind == "member" for p in params)
        #: the lowest role allowed when it does not depend on the config, else None
        self.lowest = command.min_role if isinstance(command.min_role, Role) else None

    def parse(self, line: str) -> dict[str, Any]:
        """What :func:`parse_args` does, with the plan made."""
        command = self.command
        if self.rest_only:
            param = command.params[0]
            text = line.strip()
            if not text and not param.optional:
                raise UsageError(f"missing {param.usage}", command.usage)
            return {param.name: text or None}
        # most lines quote nothing: split once instead of matching token by token
        if _QUOTES.isdisjoint(line):
            words, ends, unclosed = line.split(), None, False
        else:
            words, ends, unclosed = _tokenize(line)
        count = len(words)
        i = 0
        args: dict[str, Any] = {}
        for param, name, kind, optional, variadic, convert in self.steps:
            if kind == "rest":  # the rest as written: a quote or apostrophe in it is text
                if ends is not None:
                    rest = line[ends[i - 1] if i else 0:].strip()
                else:
                    parts = line.split(None, i)
                    rest = parts[i].strip() if len(parts) > i else ""
                if not rest and not optional:
                    raise UsageError(f"missing {param.usage}", command.usage)
                args[name] = rest or None
                return args
            if variadic:
                values = []
                while i < count:
                    try:
                        values.append(words[i] if convert is None else convert(param, words[i]))
                    except ValueError:
                        break
                    except _OutOfBounds as exc:
                        raise UsageError(str(exc), command.usage) from exc
                    i += 1
                else:
                    if unclosed:
                        raise UsageError(_UNCLOSED, command.usage) from ValueError(_UNCLOSED)
                args[name] = values
                continue
            if i >= count:
                if unclosed:
                    raise UsageError(_UNCLOSED, command.usage) from ValueError(_UNCLOSED)
                if not optional:
                    raise UsageError(f"missing {param.usage}", command.usage)
                args[name] = None
                continue
            token = words[i]
            if convert is None:
                args[name] = token
                i += 1
                continue
            try:
                args[name] = convert(param, token)
                i += 1
            except ValueError as exc:
                if optional:
                    args[name] = None
                    continue
                hint = _HINTS.get(kind, "")
                raise UsageError(
                    f"{token!r} is not {hint or 'valid'} for {param.usage}", command.usage
                ) from exc
            except _OutOfBounds as exc:
                raise UsageError(str(exc), command.usage) from exc
        if i < count:
            raise UsageError(f"unexpected {words[i]!r}", command.usage)
        if unclosed:
            raise UsageError(_UNCLOSED, command.usage) from ValueError(_UNCLOSED)
        return args


def parse_args(command: Command, line: str) -> dict[str, Any]:
    """Parse ``line`` against ``command.params``; :class:`UsageError` says what is wrong.

    A command whose only parameter is ``rest`` (``announce TEXT``) takes the line as it
    was written: quotes and apostrophes ("don't") are part of the text, not syntax.
    """
    return _Plan(command).parse(line)


class CommandClash(StartupError):
    """Two plugins (or a plugin and the core) offer a command of the same name."""

    def __init__(self, name: str, first: str, second: str) -> None:
        self.name, self.first, self.second = name, first, second
        both = f"by {first!r} twice" if first == second else f"by both {first!r} and {second!r}"
        super().__init__(f"command {name!r} is offered {both}")


class CommandRegistry:
    """The commands enabled in one community, by name."""

    def __init__(self, commands: Iterable[Command]) -> None:
        self._by_name: dict[str, Command] = {}
        for command in commands:
            other = self._by_name.get(command.name)
            if other is not None:
                raise CommandClash(command.name, other.plugin, command.plugin)
            self._by_name[command.name] = command
        self._plans = {name: _Plan(command) for name, command in self._by_name.items()}
        #: the first words of two-word names (only these make a line's second word worth a look)
        self._firsts = frozenset(name.split(" ", 1)[0] for name in self._by_name if " " in name)

    def __iter__(self) -> Any:
        return iter(sorted(self._by_name.values(), key=lambda c: c.name))

    def __len__(self) -> int:
        return len(self._by_name)

    def get(self, name: str) -> Command | None:
        return self._by_name.get(name)

    def suggest(self, line: str) -> str | None:
        """The command name nearest to what ``line`` starts with (one or two words), or None."""
        words = line.lower().split()[:2]
        typed = [" ".join(words), words[0]] if len(words) == 2 else words
        import difflib  # here: only a mistake needs it (it costs memory on every start)
        for attempt in typed:
            found = difflib.get_close_matches(attempt, list(self._by_name), n=1, cutoff=0.7)
            if found and found[0] != attempt:
                return found[0]
        return None

    def sub_command(self, command: Command, rest: str) -> str | None:
        """The sub-command of ``command`` nearest to the first word of ``rest`` (a near miss), or None."""
        first = rest.split(None, 1)[0].lower() if rest.strip() else ""
        subs = [n for n in self._by_name if n.startswith(f"{command.name} ")]
        if not first or not subs:
            return None
        import difflib  # here: only a mistake needs it (it costs memory on every start)
        found = difflib.get_close_matches(f"{command.name} {first}", subs, n=1, cutoff=0.7)
        return found[0] if found else None

    def resolve(self, line: str) -> tuple[Command | None, str, str]:
        """Split ``line`` into (command, its name as typed, the argument text)."""
        plan, name, rest = self.find(line)
        return (None if plan is None else plan.command), name, rest

    def find(self, line: str) -> tuple[_Plan | None, str, str]:
        """:meth:`resolve`, with the command's parsing plan in place of the command."""
        parts = line.split(None, 1)
        if not parts:
            return None, "", ""
        first = parts[0].lower()
        rest = parts[1].rstrip() if len(parts) > 1 else ""  # split dropped its leading space
        if rest and first in self._firsts:
            words = rest.split(None, 1)
            two = f"{first} {words[0].lower()}"
            plan = self._plans.get(two)
            if plan is not None:
                return plan, two, words[1] if len(words) > 1 else ""
        return self._plans.get(first), first, rest


def check_permission(
    command: Command, member: Member, config: Any, leader_powers: frozenset[str], prefix: str
) -> None:
    """Raise :class:`PermissionDenied` unless ``member`` may run ``command``."""
    lowest = command.lowest_role(config)
    if member.role < lowest:
        raise PermissionDenied(
            f"{prefix}{command.name} is for {lowest.label}s and above; you are a {member.role.label}."
        )
    if (
        command.power
        and member.role == Role.LEADER
        and lowest <= Role.LEADER
        and command.power not in leader_powers
    ):
        raise PermissionDenied(
            f"{prefix}{command.name} needs the {command.power!r} power, "
            "which leaders do not have in this community."
        )


def may_run(command: Command, member: Member, config: Any, leader_powers: frozenset[str]) -> bool:
    try:
        check_permission(command, member, config, leader_powers, "")
    except PermissionDenied:
        return False
    return True


async def is_for(
    command: Command, member: Member, ctx: PluginContext, leader_powers: frozenset[str]
) -> bool:
    """Whether ``help`` lists ``command`` to ``member`` now: they may run it, and it is meant for them."""
    if not may_run(command, member, ctx.config, leader_powers):
        return False
    if command.max_role is not None and member.role > command.max_role:
        return False
    return command.available is None or await command.available(ctx, member)


def help_text(
    registry: CommandRegistry,
    listed: Iterable[Command],
    configs: Mapping[str, Any],
    prefix: str,
    name: str | None,
) -> str:
    """The reply to ``help``: the ``listed`` commands (those for the member), or one command's usage."""
    if name:
        command, _, rest = registry.resolve(name)
        near = registry.sub_command(command, rest) if command is not None else None
        if command is None or near is not None:
            guess = near or registry.suggest(name)
            hint = f" Did you mean {prefix}{guess}?" if guess else ""
            return f"There is no command {prefix}{name}.{hint} Try {prefix}help."
        lines = [f"{prefix}{command.usage}", command.help]
        lowest = command.lowest_role(configs.get(command.plugin))
        lines.append(f"For {lowest.label}s and above.")
        return "\n".join(line for line in lines if line)
    lines = ["Commands you can use:"]
    for command in listed:
        lines.append(f"{prefix}{command.usage} — {command.help}".rstrip(" —"))
    lines.append(f"Type {prefix}help COMMAND for details.")
    return "\n".join(lines)

