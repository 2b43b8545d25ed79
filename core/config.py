"""Loading and validating the YAML configuration (the reference is docs/configuration.md).

The whole file (or folder of files) is validated before anything connects.
Every problem is reported, each naming the file, line and key, the bad value
and what was expected. Unknown keys are errors. ``${NAME}`` (or
``${NAME:-default}``) in a value is replaced from the environment.

Plugins and adapters declare their own schemas as pydantic models; the types
below (:data:`Duration`, :data:`TimeOfDay`, :data:`Day`, :data:`ChannelName`,
:data:`RoleName`, :data:`Timezone`) give their errors the same wording.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from hearth.errors import ConfigError, ConfigIssue
from hearth.models import Role
from hearth.timeutil import (
    MAX_DURATION,
    format_duration,
    get_zone,
    parse_day,
    parse_duration,
    parse_time_of_day,
)
from hearth.yamlfile import YamlProblem, parse, read_text


def _duration(value: Any, longest: timedelta = MAX_DURATION) -> timedelta:
    if isinstance(value, timedelta):  # already checked (by a tighter or looser `longest`)
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("expected a duration such as 90s, 10m, 2h, 1h30m or 7d")
    if isinstance(value, int):
        raise ValueError(f"{value!r} has no unit (write e.g. {value}s, {value}m or {value}h)")
    return parse_duration(value, longest=longest)


def _time_of_day(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int):  # YAML 1.1 reads 20:00 unquoted as a sexagesimal int
        value = f"{value // 60:02d}:{value % 60:02d}"
    if not isinstance(value, str):
        raise ValueError("expected a time of day like 20:00")
    return parse_time_of_day(value)


def _day(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= 6:
            raise ValueError("a day number is 0 (Monday) to 6 (Sunday); or write mon … sun")
        return value
    if not isinstance(value, str):
        raise ValueError("expected a day: mon, tue, wed, thu, fri, sat or sun")
    return parse_day(value)


def _zone(value: Any) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    if not isinstance(value, str):
        raise ValueError("expected an IANA timezone name such as Europe/Paris")
    return get_zone(value)


def _channel(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a channel name from this community's `channels`")
    channels = (info.context or {}).get("channels")
    if channels is not None and value not in channels:
        known = ", ".join(sorted(channels)) or "none are defined"
        raise ValueError(f"unknown channel {value!r} (channels of this community: {known})")
    return value


def _role(value: Any) -> Role:
    if isinstance(value, Role):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a role: owner, admin, leader, member or newcomer")
    return Role.parse(value)


def longest(bound: timedelta) -> BeforeValidator:
    """Bound a :data:`Duration` key to ``bound`` instead of :data:`MAX_DURATION`::

        burst: Annotated[Duration, longest(timedelta(days=1))] = timedelta(seconds=60)
    """
    return BeforeValidator(lambda value: _duration(value, bound))


def shortest(bound: timedelta) -> AfterValidator:
    """Refuse a :data:`Duration` shorter than ``bound``::

        every: Annotated[Duration, shortest(timedelta(hours=1))] = timedelta(days=7)
    """
    def check(value: timedelta) -> timedelta:
        if value < bound:
            raise ValueError(f"{format_duration(value)} is too short: at least {format_duration(bound)}")
        return value
    return AfterValidator(check)


Duration = Annotated[
    timedelta, longest(MAX_DURATION), PlainSerializer(lambda d: f"{int(d.total_seconds())}s")
]
"""A duration written ``90s``, ``10m``, ``2h``, ``1h30m`` or ``7d``; at most 366 days
unless the key says otherwise with :func:`longest`."""
TimeOfDay = Annotated[time, BeforeValidator(_time_of_day)]
"""A wall-clock time ``HH:MM`` in the community's timezone."""
Day = Annotated[int, BeforeValidator(_day)]
"""A weekday ``mon`` … ``sun`` (Monday is 0)."""
Timezone = Annotated[ZoneInfo, BeforeValidator(_zone), PlainSerializer(str)]
"""An IANA timezone name."""
ChannelName = Annotated[str, BeforeValidator(_channel)]
"""A neutral channel name that must exist in the community's ``channels``."""
RoleName = Annotated[Role, BeforeValidator(_role)]
"""A neutral role: owner, admin, leader, member or newcomer."""


@dataclass(frozen=True, slots=True)
class Deprecated:
    """Marks a plugin setting as deprecated: ``Annotated[str | None, Deprecated("…")]``.

    Where a config sets it, validation adds a warning (``hearth check`` prints
    it) saying ``why``. With ``community_key``, the setting has moved to that
    key of the community: its value is used there unless the community sets
    the key itself. With ``replaced_by`` (a dotted path inside the community,
    such as ``plugins.pulse.rules_reminder``), another setting took its place:
    where the community sets that one, this one is ignored (it keeps its
    default), so the new setting wins.
    """

    why: str
    community_key: str | None = None
    replaced_by: str | None = None


class PluginConfig(BaseModel):
    """Base of every plugin's config schema: frozen, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class _CommunityCore(_Strict):
    """The keys of a community the core itself validates."""

    timezone: Timezone = ZoneInfo("UTC")
    language: Literal["en", "zh"] = "en"
    channels: dict[str, dict[str, str]] = Field(default_factory=dict)
    roles: dict[RoleName, dict[str, str]] = Field(default_factory=dict)
    rules: str | None = None


class CommunityConfig(_CommunityCore):
    """One community: its timezone, language, channels, roles and plugins.

    Platform bindings (``discord:``, ``matrix:``) are in ``bindings``, keyed by
    adapter name; enabled plugins' validated configs are in ``plugins``.
    """

    key: str = ""
    bindings: dict[str, Any] = Field(default_factory=dict)
    plugins: dict[str, Any] = Field(default_factory=dict)

    def platforms(self) -> list[str]:
        """The networks this community is bound to, in config order."""
        return list(self.bindings)


class CatchUpConfig(_Strict):
    """How far adapters catch up on what happened while the bot was down."""

    #: events replayed per community after downtime; past it, the rest are skipped and reported
    max_events: int = Field(default=10_000, ge=0, le=1_000_000)
    #: neutral channel told how many events were skipped (when the community has it)
    report_to: str = "mods"


class ActivityConfig(_Strict):
    """The activity ledger."""

    #: per-member activity rows (days, interactions) are kept this long, then rolled up
    retention: Duration = timedelta(days=90)


class CommandFloodConfig(_Strict):
    """Per-member command flood control: past ``max`` commands ``within``, one notice, then ignored."""

    max: int = Field(default=5, ge=1, le=1000)
    within: Duration = timedelta(seconds=10)
    ignore_for: Duration = timedelta(minutes=1)


class WebConfig(_Strict):
    """The web dashboard, served by ``hearth run`` when ``web:`` is configured."""

    #: host:port the dashboard binds (put a reverse proxy with TLS in front of it)
    listen: str = "127.0.0.1:8470"
    #: the address people open, used in login links; default http://<listen>
    public_url: str | None = None

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError(f"{value!r} is not HOST:PORT (expected e.g. 127.0.0.1:8470)")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not a web address (expected e.g. https://hearth.example.org)")
        return value.rstrip("/") if value else value

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])

    @property
    def base_url(self) -> str:
        """Where login links point."""
        return self.public_url or f"http://{self.listen}"


def _flood(value: Any) -> Any:
    # YAML 1.1 reads an unquoted `off` as False
    return None if value is False or value == "off" else value


class HearthConfig(_Strict):
    """The whole validated configuration."""

    storage: str = "sqlite:///hearth.db"
    command_prefix: str = "!"
    #: None when written ``command_flood: off``
    command_flood: Annotated[CommandFloodConfig | None, BeforeValidator(_flood)] = Field(
        default_factory=CommandFloodConfig)
    catch_up: CatchUpConfig = Field(default_factory=CatchUpConfig)
    activity: ActivityConfig = Field(default_factory=ActivityConfig)
    accounts: dict[str, Any] = Field(default_factory=dict)
    communities: dict[str, CommunityConfig] = Field(default_factory=dict)
    #: None when the dashboard is not configured
    web: WebConfig | None = None


# --------------------------------------------------------------------------- loading

_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
Path_ = tuple[str | int, ...]


@dataclass
class _Source:
    """Loaded YAML data with where each key came from."""

    data: dict[str, Any] = field(default_factory=dict)
    where: dict[Path_, tuple[str, int | None]] = field(default_factory=dict)
    issues: list[ConfigIssue] = field(default_factory=list)

    def locate(self, path: Path_) -> tuple[str, int | None]:
        for n in range(len(path), -1, -1):
            hit = self.where.get(tuple(path[:n]))
            if hit:
                return hit
        return next(iter(self.where.values()), ("?", 0))


def _record_lines(node: yaml.Node, path: Path_, file: str, src: _Source) -> None:
    """Map every key path under ``node`` to the line it is written on; refuse duplicate keys."""
    where = src.where
    where.setdefault(path, (file, node.start_mark.line + 1))
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key: str = key_node.value
            child = (*path, key)
            if isinstance(key_node, yaml.ScalarNode) and key != "<<":
                first = seen.setdefault(key, line)
                if first != line:
                    src.issues.append(ConfigIssue(
                        file, line, _dotted(child), f"duplicate key (first written on line {first})"
                    ))
                    continue
            where[child] = (file, line)
            _record_lines(value_node, child, file, src)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _record_lines(item, (*path, i), file, src)


def _load_file(path: Path, src: _Source, text: str | None = None) -> dict[str, Any]:
    name = str(path)
    src.where.setdefault((), (name, None))  # an empty file is still named in errors
    try:
        node, data = parse(read_text(path) if text is None else text)
    except YamlProblem as exc:
        src.issues.append(ConfigIssue(name, exc.line, "", exc.problem))
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        src.issues.append(ConfigIssue(name, 1, "", "expected a mapping of settings at the top"))
        return {}
    assert node is not None
    _record_lines(node, (), name, src)
    return data


def _merge(into: dict[str, Any], data: dict[str, Any], file: str, src: _Source,
           where: dict[Path_, tuple[str, int | None]]) -> None:
    """Merge one file's ``data`` into ``into``; ``where`` holds the lines of earlier files."""
    for key, value in data.items():
        if key not in into:
            into[key] = value
            continue
        nested = isinstance(into[key], dict) and isinstance(value, dict)
        clashes = [(key, sub) for sub in value if sub in into[key]] if nested else [(key,)]
        for path in clashes:
            first_file, first_line = where.get(path, (None, None))
            line = src.where.get(path, (file, None))[1]
            first = f"{first_file}:{first_line}" if first_line else str(first_file)
            src.issues.append(
                ConfigIssue(file, line, _dotted(path), f"defined in more than one file (also in {first})")
            )
        if nested:
            into[key].update(value)


def _interpolate(value: Any, path: Path_, src: _Source) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, (*path, k), src) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, (*path, i), src) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:

        def repl(m: re.Match[str]) -> str:
            found = os.environ.get(m.group(1))
            if found is not None:
                return found
            if m.group(2) is not None:
                return m.group(2)
            file, line = src.locate(path)
            src.issues.append(
                ConfigIssue(
                    file,
                    line,
                    _dotted(path),
                    f"environment variable {m.group(1)} is not set",
                    warning=path[:1] == ("accounts",),
                )
            )
            return ""

        return _ENV_RE.sub(repl, value)
    return value


def load_source(path: str | Path, *, text: str | None = None) -> _Source:
    """Read a config file, or every ``*.yaml``/``*.yml`` in a folder, with line numbers.

    With ``text``, that YAML is read instead and ``path`` only names it in errors.
    """
    root = Path(path)
    src = _Source()
    if text is not None:
        src.data = _load_file(root, src, text)
    elif root.is_dir():
        files = sorted([*root.glob("*.yaml"), *root.glob("*.yml")])
        if not files:
            src.issues.append(ConfigIssue(str(root), None, "", "folder holds no .yaml files"))
        for f in files:
            earlier = dict(src.where)
            _merge(src.data, _load_file(f, src), str(f), src, earlier)
    elif not root.exists():
        src.issues.append(ConfigIssue(str(root), None, "", "no such file"))
    else:
        src.data = _load_file(root, src)
    src.data = _interpolate(src.data, (), src)
    return src


# --------------------------------------------------------------------------- validation


def _dotted(path: Path_) -> str:
    """``communities.tea.channels[0]``: keys joined by dots, list indices in brackets."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" if i else str(p)
                   for i, p in enumerate(path))


def _fields_at(model: Any, loc: Path_) -> list[str] | None:
    """The field names allowed at ``loc`` inside ``model`` (for 'did you mean')."""
    for part in loc:
        model = _unwrap(model)
        if isinstance(model, type) and issubclass(model, BaseModel):
            info = model.model_fields.get(str(part))
            if info is None:
                return None
            model = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        elif get_origin(model) in (dict, list):
            model = get_args(model)[-1]
        else:
            return None
    model = _unwrap(model)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return None


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            # A marker may name the model it validates as (``Annotated[TextOverrides, TEXTS]``).
            named = [m.model for m in get_args(tp)[1:] if isinstance(getattr(m, "model", None), type)]
            tp = named[0] if named else get_args(tp)[0]
        elif origin is not None and type(None) in get_args(tp):  # Optional[X]
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp


#: a step pydantic adds to an error's location (``function-after[_check(), Binding]``,
#: ``tagged-union[…]``): not a key the user wrote, which may hold a ``[`` itself
_VALIDATOR_STEP = re.compile(r"[a-z][a-z-]*\[.*\]\Z")


def _issue_from(err: Mapping[str, Any], prefix: Path_, model: Any, src: _Source) -> ConfigIssue:
    loc: Path_ = tuple(p for p in err["loc"] if not (isinstance(p, str) and _VALIDATOR_STEP.match(p)))
    path = (*prefix, *loc)
    file, line = src.locate(path)
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1]) or []
        import difflib  # here: only a mistake needs it (it costs memory on every start)
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        expected = f" (expected one of: {', '.join(allowed)})" if allowed else ""
        problem = f"unknown key {loc[-1]!r}{expected}{hint}"
    elif kind == "missing":
        problem = _MISSING
    else:
        msg = str(err["msg"]).removeprefix("Value error, ")
        bad = err.get("input")
        shown = "" if isinstance(bad, dict | list) or repr(bad) in msg else f" (got {bad!r})"
        problem = f"{msg}{shown}"
    return ConfigIssue(file, line, _dotted(path), problem)


def _validate(
    model: type[BaseModel], data: Any, prefix: Path_, src: _Source, context: dict | None = None
) -> BaseModel | None:
    try:
        return model.model_validate(data if data is not None else {}, context=context)
    except ValidationError as exc:
        src.issues.extend(_issue_from(e, prefix, model, src) for e in exc.errors())
        return None


_MISSING = "required key is missing"
_TOP_KEYS = tuple(HearthConfig.model_fields)
_COMMUNITY_KEYS = (*_CommunityCore.model_fields, "plugins")


def _unknown(key: str, allowed: list[str], path: Path_, src: _Source, what: str = "key") -> None:
    import difflib  # here: only a mistake needs it (it costs memory on every start)
    guess = difflib.get_close_matches(key, allowed, n=1)
    hint = f"; did you mean {guess[0]!r}?" if guess else ""
    file, line = src.locate((*path, key))
    src.issues.append(
        ConfigIssue(
            file,
            line,
            _dotted((*path, key)),
            f"unknown {what} {key!r} (expected one of: {', '.join(allowed)}){hint}",
        )
    )


def _missing(issue: ConfigIssue) -> bool:
    """An account problem of something left out (a key, a credential), not of a wrong value."""
    return issue.problem == _MISSING or issue.key.count(".") < 2 or issue.problem.startswith("unknown")


def validate(
    src: _Source,
    *,
    plugin_schemas: Mapping[str, type[BaseModel] | None],
    binding_schemas: Mapping[str, type[BaseModel] | None],
    account_schemas: Mapping[str, type[BaseModel] | None],
    strict_accounts: bool = False,
    broken_plugins: Mapping[str, str] | None = None,
) -> HearthConfig:
    """Validate loaded data against the core's, the adapters' and the plugins' schemas.

    ``broken_plugins``: installed plugins that failed to import, with the error.

    Raises :class:`ConfigError` listing every error (warnings are kept in
    ``ConfigError.issues`` too, flagged, and returned through ``warnings``).
    """
    data = src.data
    for key in data:
        if key not in _TOP_KEYS:
            _unknown(str(key), list(_TOP_KEYS), (), src)

    accounts: dict[str, Any] = {}
    raw_accounts = data.get("accounts") or {}
    if not isinstance(raw_accounts, dict):
        file, line = src.locate(("accounts",))
        src.issues.append(ConfigIssue(file, line, "accounts", "expected a mapping of networks"))
        raw_accounts = {}
    env_issues = [i for i in src.issues if i.key.startswith("accounts.")]
    before = len(src.issues)
    for name, value in raw_accounts.items():
        if name not in account_schemas:
            _unknown(str(name), list(account_schemas), ("accounts",), src, "network")
            continue
        schema = account_schemas[name]
        unset = any(i.key.startswith(f"accounts.{name}.") for i in env_issues)
        if schema is not None and not unset:  # an unset secret was reported already
            account = _validate(schema, value, ("accounts", name), src)
            if account is not None:
                accounts[name] = account
    if not strict_accounts:
        # Accounts matter only to `hearth run`; elsewhere what is missing is a warning,
        # but a value given in the wrong form (a homeserver that is no URL) is an error.
        src.issues[before:] = [
            replace(i, warning=True) if _missing(i) else i for i in src.issues[before:]
        ]
    else:
        src.issues[:] = [replace(i, warning=False) if i.key.startswith("accounts") else i
                         for i in src.issues]

    communities: dict[str, CommunityConfig] = {}
    raw_communities = data.get("communities")
    if not isinstance(raw_communities, dict) or not raw_communities:
        file, line = src.locate(("communities",))
        src.issues.append(
            ConfigIssue(file, line, "communities", "expected at least one community")
        )
        raw_communities = {}
    for key, raw in raw_communities.items():
        community = _validate_community(
            str(key), raw, src, plugin_schemas, binding_schemas, broken_plugins or {}
        )
        if community is not None:
            communities[str(key)] = community

    storage = data.get("storage", "sqlite:///hearth.db")
    if isinstance(storage, str) and storage.startswith("sqlite:///") and (
        storage.removeprefix("sqlite:///") in ("", ":memory:") or storage.endswith("/")
    ):
        file, line = src.locate(("storage",))
        src.issues.append(ConfigIssue(
            file, line, "storage", f"{storage!r} names no database file, so everything would be "
            "lost at each restart (expected sqlite:///path/to/file.db)"
        ))
    elif not isinstance(storage, str) or not re.match(r"^(sqlite:///|postgres(ql)?://)", storage):
        file, line = src.locate(("storage",))
        src.issues.append(
            ConfigIssue(
                file,
                line,
                "storage",
                f"{storage!r} is not a storage URL "
                "(expected sqlite:///path/to/file.db or postgresql://user@host/db)",
            )
        )
    prefix = data.get("command_prefix", "!")
    if not isinstance(prefix, str) or not prefix or " " in prefix:
        file, line = src.locate(("command_prefix",))
        src.issues.append(
            ConfigIssue(
                file, line, "command_prefix", f"{prefix!r} is not a prefix (expected e.g. \"!\")"
            )
        )

    flood = _flood(data.get("command_flood", {}))
    if flood is not None:
        flood = _validate(CommandFloodConfig, flood, ("command_flood",), src)
    catch_up = _validate(CatchUpConfig, data.get("catch_up"), ("catch_up",), src)
    activity = _validate(ActivityConfig, data.get("activity"), ("activity",), src)
    web = _validate(WebConfig, data["web"], ("web",), src) if "web" in data else None

    errors = [i for i in src.issues if not i.warning]
    if errors:
        raise ConfigError(src.issues)
    assert isinstance(catch_up, CatchUpConfig)
    assert isinstance(activity, ActivityConfig)
    assert web is None or isinstance(web, WebConfig)
    return HearthConfig(
        storage=storage,
        command_prefix=prefix,
        command_flood=flood,
        catch_up=catch_up,
        activity=activity,
        accounts=accounts,
        communities=communities,
        web=web,
    )


def _validate_community(
    key: str,
    raw: Any,
    src: _Source,
    plugin_schemas: Mapping[str, type[BaseModel] | None],
    binding_schemas: Mapping[str, type[BaseModel] | None],
    broken_plugins: Mapping[str, str],
) -> CommunityConfig | None:
    path: Path_ = ("communities", key)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        file, line = src.locate(path)
        src.issues.append(ConfigIssue(file, line, _dotted(path), "expected a mapping"))
        return None
    before = len(src.issues)
    bindings: dict[str, Any] = {}
    for name, value in raw.items():
        if name in _COMMUNITY_KEYS:
            continue
        if name in binding_schemas:
            schema = binding_schemas[name]
            bindings[name] = (
                _validate(schema, value, (*path, name), src) if schema is not None else value
            )
        else:
            _unknown(str(name), [*_COMMUNITY_KEYS, *binding_schemas], path, src)

    base = {k: v for k, v in raw.items() if k in _CommunityCore.model_fields}
    core = _validate(_CommunityCore, base, path, src)
    channels: dict[str, dict[str, str]] = dict(core.channels) if core else {}  # type: ignore[attr-defined]
    for cname, targets in channels.items():
        for platform in targets:
            if platform not in binding_schemas:
                _unknown(platform, list(binding_schemas), (*path, "channels", cname), src, "network")

    plugins: dict[str, Any] = {}
    raw_plugins = raw.get("plugins") or {}
    if not isinstance(raw_plugins, dict):
        file, line = src.locate((*path, "plugins"))
        src.issues.append(ConfigIssue(file, line, _dotted((*path, "plugins")), "expected a mapping"))
        raw_plugins = {}
    # When the community's own keys are invalid (a bad timezone, say), still check channel
    # references against the names written, rather than reporting each one as unknown.
    raw_channels = raw.get("channels")
    names = set(channels) if core else set(raw_channels) if isinstance(raw_channels, dict) else None
    context = {"channels": names, "community": key}
    for name, value in raw_plugins.items():
        if name in broken_plugins:
            file, line = src.locate((*path, "plugins", name))
            src.issues.append(ConfigIssue(file, line, _dotted((*path, "plugins", name)),
                f"plugin {name!r} is installed but cannot be loaded: {broken_plugins[name]}"))  # fmt: skip
            continue
        if name not in plugin_schemas:
            installed = sorted(plugin_schemas)
            _unknown(str(name), installed, (*path, "plugins"), src, "plugin")
            continue
        schema = plugin_schemas[name]
        if schema is None:
            plugins[name] = None
            continue
        plugins[name] = _validate(schema, value, (*path, "plugins", name), src, context)

    if len(src.issues) != before and any(not i.warning for i in src.issues[before:]):
        return None
    assert core is not None
    moved: dict[str, Any] = {}
    for name, settings in plugins.items():
        if isinstance(settings, BaseModel):
            plugins[name] = _deprecations(settings, (*path, "plugins", name), src, raw, moved)
    fields = {f: getattr(core, f) for f in _CommunityCore.model_fields}
    fields.update((k, v) for k, v in moved.items() if k not in raw)
    return CommunityConfig(
        **fields,
        key=key,
        bindings=bindings,
        plugins=plugins,
    )


def _is_set(tree: Any, dotted: str) -> bool:
    """Whether the raw mapping ``tree`` sets the dotted path (to anything but null)."""
    for part in dotted.split("."):
        if not isinstance(tree, Mapping) or tree.get(part) is None:
            return False
        tree = tree[part]
    return True


def _deprecations(
    settings: BaseModel, path: Path_, src: _Source, community: Mapping[str, Any], moved: dict[str, Any]
) -> BaseModel:
    """Warn of every :class:`Deprecated` setting ``settings`` sets; collect moved values.

    Returns ``settings`` with the deprecated settings whose replacement is set reset.
    """
    reset: dict[str, Any] = {}
    for name, info in type(settings).model_fields.items():
        value = getattr(settings, name)
        marks = [m for m in info.metadata if isinstance(m, Deprecated)]
        if marks and name in settings.model_fields_set:
            mark = marks[0]
            problem = f"deprecated: {mark.why}"
            if mark.replaced_by is not None:
                target = _dotted((*path[:2], *mark.replaced_by.split(".")))
                if _is_set(community, mark.replaced_by):
                    problem += f"; ignored, as {target} is set"
                    reset[name] = info.get_default(call_default_factory=True)
                else:
                    problem += f"; use {target} instead"
            elif mark.community_key is not None:
                target = _dotted((*path[:2], mark.community_key))
                if mark.community_key in community:
                    problem += f"; ignored, as {target} is set"
                else:
                    problem += f"; move it to {target}"
                    moved.setdefault(mark.community_key, value)
            file, line = src.locate((*path, name))
            src.issues.append(ConfigIssue(file, line, _dotted((*path, name)), problem, warning=True))
        if isinstance(value, BaseModel) and name not in reset:
            updated = _deprecations(value, (*path, name), src, community, moved)
            if updated is not value:
                reset[name] = updated
    return settings.model_copy(update=reset) if reset else settings


def load_config(
    path: str | Path,
    *,
    plugin_schemas: Mapping[str, type[BaseModel] | None],
    binding_schemas: Mapping[str, type[BaseModel] | None],
    account_schemas: Mapping[str, type[BaseModel] | None],
    strict_accounts: bool = False,
    broken_plugins: Mapping[str, str] | None = None,
) -> tuple[HearthConfig, list[ConfigIssue]]:
    """Load and validate ``path``; return the config and its warnings.

    Raises :class:`ConfigError` with every problem when the config is invalid.
    """
    src = load_source(path)
    if any(not i.warning for i in src.issues):
        raise ConfigError(src.issues)
    config = validate(
        src,
        plugin_schemas=plugin_schemas,
        binding_schemas=binding_schemas,
        account_schemas=account_schemas,
        strict_accounts=strict_accounts,
        broken_plugins=broken_plugins,
    )
    return config, [i for i in src.issues if i.warning]


__all__ = [
    "ChannelName",
    "CommunityConfig",
    "Day",
    "Deprecated",
    "Duration",
    "HearthConfig",
    "PluginConfig",
    "RoleName",
    "TimeOfDay",
    "Timezone",
    "load_config",
    "load_source",
    "longest",
    "shortest",
    "validate",
]
