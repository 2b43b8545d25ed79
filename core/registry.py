"""Finding plugins and adapters, and collecting what plugins declare.

Built-in plugins and adapters are registered under the same entry-point
groups third-party packages use (``hearth.plugins``, ``hearth.adapters``).
:data:`BUILTIN_PLUGINS` and :data:`BUILTIN_ADAPTERS` list the built-ins by
import path so tests do not depend on installed metadata; a test checks they
agree with the entry points.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points, version
from typing import Any

import pluggy
from pydantic import BaseModel

from hearth import hookspecs
from hearth.commands import Command
from hearth.declarations import Need
from hearth.errors import StartupError
from hearth.ports import Adapter, AdapterInfo
from hearth.storage import Migration

log = logging.getLogger(__name__)

#: Every hook a plugin may implement, from the hookspecs (the one source).
HOOKS: tuple[str, ...] = tuple(
    name for name, spec in vars(hookspecs).items() if hasattr(spec, f"{hookspecs.PROJECT}_spec")
)

BUILTIN_PLUGINS: dict[str, str] = {
    "welcome": "hearth.plugins.welcome.plugin",
    "ad_window": "hearth.plugins.ad_window.plugin",
    "flash": "hearth.plugins.flash.plugin",
    "guard": "hearth.plugins.guard.plugin",
    "pulse": "hearth.plugins.pulse.plugin",
    "breakout": "hearth.plugins.breakout.plugin",
    "leaders": "hearth.plugins.leaders.plugin",
}
BUILTIN_ADAPTERS: dict[str, str] = {
    "testing": "hearth.adapters.testing:TestingAdapter",
    "console": "hearth.adapters.console:ConsoleAdapter",
    "discord": "hearth.adapters.discord.adapter:DiscordAdapter",
    "matrix": "hearth.adapters.matrix.adapter:MatrixAdapter",
}


def _load(target: str) -> Any:
    module, _, attr = target.partition(":")
    obj = importlib.import_module(module)
    return getattr(obj, attr) if attr else obj


def _dist_version(obj: Any) -> str:
    top = str(getattr(obj, "__module__", None) or getattr(obj, "__name__", "")).split(".")[0]
    for dist in (top, "hearthbot"):
        try:
            return version(dist)
        except Exception:
            continue
    return "?"


def discover(group: str, builtins: Mapping[str, str], use_entry_points: bool) -> dict[str, str]:
    """Entry-point name -> import target, built-ins first, installed ones added.

    Two different targets under one name (a package reusing a built-in's
    name, or two packages the same name) are a :class:`StartupError`.
    """
    found = dict(builtins)
    if use_entry_points:
        for ep in entry_points(group=group):
            other = found.setdefault(ep.name, ep.value)
            if other != ep.value:
                source = f" (from {ep.dist.name})" if ep.dist is not None else ""
                kind = "a built-in's" if ep.name in builtins else "another package's"
                raise StartupError(
                    f"{group} entry point {ep.name!r} = {ep.value!r}{source} has {kind} name "
                    f"(already {other!r}); rename the entry point"
                )
    return found


@dataclass(slots=True)
class ImplRef:
    """One hook implementation, ready to call."""

    plugin: str
    function: Any
    argnames: tuple[str, ...]
    is_async: bool
    hook: str


@dataclass
class PluginSet:
    """The loaded plugins: a pluggy manager and what each plugin declared."""

    pm: pluggy.PluginManager
    names: list[str]
    schemas: dict[str, type[BaseModel] | None] = field(default_factory=dict)
    commands: dict[str, list[Command]] = field(default_factory=dict)
    migrations: dict[str, list[Migration]] = field(default_factory=dict)
    needs: dict[str, list[Need]] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    #: every plugin installed (or given), loaded or not (see ``only`` in :func:`load_plugins`)
    available: list[str] = field(default_factory=list)
    _arguments: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def arguments(self, hook: str) -> tuple[str, ...]:
        """The arguments the hookspec of ``hook`` passes besides ``ctx``."""
        found = self._arguments.get(hook)
        if found is None:
            spec = getattr(self.pm.hook, hook).spec
            found = self._arguments[hook] = tuple(a for a in spec.argnames if a != "ctx")
        return found

    def impls(self, hook: str, enabled: Iterable[str] | None = None) -> list[ImplRef]:
        """``hook``'s implementations in call order, limited to ``enabled`` plugins."""
        allowed = None if enabled is None else set(enabled)
        caller = getattr(self.pm.hook, hook)
        refs = []
        for impl in reversed(caller.get_hookimpls()):  # pluggy calls the last-registered first
            if allowed is not None and impl.plugin_name not in allowed:
                continue
            refs.append(
                ImplRef(
                    impl.plugin_name,
                    impl.function,
                    tuple(impl.argnames),
                    inspect.iscoroutinefunction(impl.function),
                    hook,
                )
            )
        return refs


def _refuse_wrappers(pm: pluggy.PluginManager, obj: Any, name: str) -> None:
    """Hearth calls each implementation itself (async, isolated): a wrapper would never wrap."""
    for caller in pm.get_hookcallers(obj) or ():
        for impl in caller.get_hookimpls():
            if impl.plugin is obj and (impl.hookwrapper or impl.wrapper):
                pm.unregister(obj)
                raise StartupError(
                    f"plugin {name!r}: {caller.name} is a hook wrapper (hookwrapper/wrapper=True), "
                    "which Hearth does not support; implement the hook plainly"
                )


def _declared(plugins: PluginSet, hook: str) -> dict[str, Any]:
    out = {}
    for ref in plugins.impls(hook):
        try:
            out[ref.plugin] = ref.function()
        except Exception as exc:
            raise StartupError(f"plugin {ref.plugin!r} failed in {hook}: {exc}") from exc
    return out


def load_plugins(
    extra: Mapping[str, Any] | None = None, *, use_entry_points: bool = True,
    only: Collection[str] | None = None,
) -> PluginSet:
    """Load every installed plugin (plus ``extra`` objects, by name) and its declarations.

    ``only``: import just these of the installed plugins (those a config
    enables), so a plugin no community uses costs no import and no memory;
    the others are still listed in ``available``.

    A plugin that fails to import is logged and left out (in ``broken``, with
    the error: a community that enables it is a config error saying so); a
    bad declaration (duplicate hook, unknown hook name, a wrapper, a name
    clash) is a :class:`StartupError`.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    plugins = PluginSet(pm, [])
    targets: dict[str, Any] = dict(discover("hearth.plugins", BUILTIN_PLUGINS, use_entry_points))
    targets.update(extra or {})
    plugins.available = list(targets)
    if only is not None:
        targets = {n: t for n, t in targets.items() if n in only or not isinstance(t, str)}
    for name, target in targets.items():
        try:
            obj = _load(target) if isinstance(target, str) else target
        except Exception as exc:
            log.error("plugin %r cannot be loaded: %s: %s", name, type(exc).__name__, exc)
            plugins.broken[name] = f"{type(exc).__name__}: {exc}"
            continue
        try:
            pm.register(obj, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise StartupError(f"plugin {name!r} cannot be registered: {exc}") from exc
        _refuse_wrappers(pm, obj, name)
        plugins.names.append(name)
        plugins.versions[name] = _dist_version(obj)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise StartupError(f"unknown hook: {exc}") from exc

    plugins.schemas = {n: None for n in plugins.names}
    plugins.schemas.update(_declared(plugins, "register_config_schema"))
    for name, commands in _declared(plugins, "register_commands").items():
        plugins.commands[name] = [replace(c, plugin=name) for c in commands or ()]
    for name, migrations in _declared(plugins, "register_migrations").items():
        plugins.migrations[name] = list(migrations or ())
    for name, needs in _declared(plugins, "register_capabilities").items():
        plugins.needs[name] = list(needs or ())
    return plugins


def load_adapters(*, use_entry_points: bool = True) -> dict[str, AdapterInfo]:
    """Every installed adapter by name; each is imported only when its class is first used."""
    return {
        name: AdapterInfo(name, functools.partial(_adapter_class, name, target), _dist_version)
        for name, target in discover("hearth.adapters", BUILTIN_ADAPTERS, use_entry_points).items()
    }


def _adapter_class(name: str, target: str) -> type[Adapter]:
    try:
        cls = _load(target)
    except Exception as exc:
        raise StartupError(f"adapter {name!r} ({target}) cannot be loaded: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise StartupError(f"adapter {name!r} ({target}) is not a hearth Adapter")
    return cls
