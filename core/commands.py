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


@dataclass(slots=True, kw_only=True)
class Invocation:
    """A command being run: who ran it, where, with which parsed arguments.

    ``native``: invoked through the network's own command UI (a slash command
    or a context menu), so there is no message of the member's to remove, and
    the answer goes back through that UI.
    """

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


class _Tokens:
    """An argument line read one token at a time, so a ``rest`` parameter can take the
    remainder as it was written (apostrophes, quotes and line breaks included)."""

    __slots__ = ("_next", "_words", "line", "pos")

    def __init__(self, line: str) -> None:
        self.line = line
        self.pos = 0  # tokens taken (a plain line) or where the next one starts
        self._next: tuple[str, int] | None = None
        # most lines quote nothing: split once instead of matching token by token
        self._words = line.split() if _QUOTES.isdisjoint(line) else None

    def peek(self) -> str | None:
        """The next token, or None at the end; ValueError for a quote that is not closed."""
        words = self._words
        if words is not None:
            return words[self.pos] if self.pos < len(words) else None
        if self._next is None:
            found = _TOKEN.match(self.line, self.pos)
            if found is None:  # only whitespace left
                return None
            if found.group(3) is not None:
                raise ValueError("a quote is not closed")
            token = next(g for g in (found.group(1), found.group(2), found.group(4)) if g is not None)
            self._next = token, found.end()
        return self._next[0]

    def take(self) -> None:
        """Step past the token :meth:`peek` returned."""
        if self._words is not None:
            self.pos += 1
            return
        assert self._next is not None
        self.pos = self._next[1]
        self._next = None

    def rest(self) -> str:
        """Everything after the tokens taken, as written (outer whitespace stripped)."""
        if self._words is not None:
            parts = self.line.split(None, self.pos)
            return parts[self.pos].strip() if len(parts) > self.pos else ""
        return self.line[self.pos:].strip()


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
    tokens, found = _Tokens(text), []
    while (token := tokens.peek()) is not None:
        found.append(token)
        tokens.take()
    return found


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


def _convert(param: Param, token: str) -> Any:
    if param.kind in ("word", "text"):
        return token
    if param.kind == "int":
        if not _INT_RE.fullmatch(token):
            raise ValueError
        low, high = param.bounds
        digits = token.lstrip("+-").lstrip("0")
        if len(digits) > 18 or not low <= int(token) <= high:
            raise _OutOfBounds(f"{param.name.upper()} is a whole number from {low:,} to {high:,} "
                               f"(got {_shown(token)})")
        return int(token)
    if param.kind == "duration":
        try:
            return parse_duration(token, longest=param.longest)
        except DurationTooLong as exc:
            raise _OutOfBounds(f"{param.name.upper()} is at most {format_duration(param.longest)} "
                               f"(got {_shown(token)})") from exc
    if param.kind == "member":
        found = mention_id(token)
        if found is None:
            raise ValueError
        return found
    raise AssertionError(param.kind)


def parse_args(command: Command, line: str) -> dict[str, Any]:
    """Parse ``line`` against ``command.params``; :class:`UsageError` says what is wrong.

    A command whose only parameter is ``rest`` (``announce TEXT``) takes the line as it
    was written: quotes and apostrophes ("don't") are part of the text, not syntax.
    """
    if len(command.params) == 1 and command.params[0].kind == "rest":
        param, text = command.params[0], line.strip()
        if not text and not param.optional:
            raise UsageError(f"missing {param.usage}", command.usage)
        return {param.name: text or None}
    try:
        return _parse_tokens(command, _Tokens(line))
    except ValueError as exc:  # a quote not closed
        raise UsageError(str(exc), command.usage) from exc
    except _OutOfBounds as exc:
        raise UsageError(str(exc), command.usage) from exc


def _parse_tokens(command: Command, tokens: _Tokens) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for param in command.params:
        if param.kind == "rest":  # the rest as written: a quote or apostrophe in it is text
            rest = tokens.rest()
            if not rest and not param.optional:
                raise UsageError(f"missing {param.usage}", command.usage)
            args[param.name] = rest or None
            return args
        if param.variadic:
            values = []
            while (token := tokens.peek()) is not None:
                try:
                    values.append(_convert(param, token))
                except ValueError:
                    break
                tokens.take()
            args[param.name] = values
            continue
        token = tokens.peek()
        if token is None:
            if not param.optional:
                raise UsageError(f"missing {param.usage}", command.usage)
            args[param.name] = None
            continue
        try:
            args[param.name] = _convert(param, token)
            tokens.take()
        except ValueError as exc:
            if param.optional:
                args[param.name] = None
                continue
            hint = _HINTS.get(param.kind, "")
            raise UsageError(
                f"{token!r} is not {hint or 'valid'} for {param.usage}", command.usage
            ) from exc
    bad = tokens.peek()
    if bad is not None:
        raise UsageError(f"unexpected {bad!r}", command.usage)
    return args


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
        parts = line.strip().split(None, 2)
        if not parts:
            return None, "", ""
        first = parts[0].lower()
        if len(parts) > 1:
            two = f"{first} {parts[1].lower()}"
            if two in self._by_name:
                return self._by_name[two], two, parts[2] if len(parts) > 2 else ""
        rest = line.strip()[len(parts[0]) :].strip()
        return self._by_name.get(first), first, rest


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

