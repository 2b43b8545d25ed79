"""From a config path to validated config, loaded plugins and installed adapters."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hearth.config import HearthConfig, load_source, validate
from hearth.errors import ConfigError, ConfigIssue
from hearth.ports import AdapterInfo
from hearth.registry import PluginSet, load_adapters, load_plugins


class AdapterSchemas(Mapping[str, "type[BaseModel] | None"]):
    """Each network adapter's account or binding schema, importing an adapter only when looked up.

    Looking up the networks a config names imports just those adapters;
    iterating (only done to list the valid names in an error) imports all.
    """

    def __init__(self, adapters: Mapping[str, AdapterInfo], attr: str) -> None:
        self._adapters = adapters
        self._attr = attr

    def __getitem__(self, name: str) -> type[BaseModel] | None:
        cls = self._adapters[name].cls
        if cls.virtual:  # testing and console serve every community; nothing to bind
            raise KeyError(name)
        schema: type[BaseModel] | None = getattr(cls, self._attr)
        return schema

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._adapters if name in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass
class Loaded:
    """A validated config with the plugins and adapters it was validated against."""

    config: HearthConfig
    warnings: list[ConfigIssue]
    plugins: PluginSet
    adapters: dict[str, AdapterInfo]


def load(
    source: str | Path,
    *,
    extra_plugins: Mapping[str, Any] | None = None,
    text: bool = False,
    strict_accounts: bool = False,
) -> Loaded:
    """Validate the config at ``source`` (or the YAML ``source`` itself when ``text``).

    Problems under ``accounts`` are warnings unless ``strict_accounts`` (``hearth run``).

    Raises :class:`~hearth.errors.ConfigError` listing every problem.
    """
    src = load_source("<config>", text=str(source)) if text else load_source(source)
    if any(not i.warning for i in src.issues):
        raise ConfigError(src.issues)
    # Only the plugins the config names are imported; the others' names still count as
    # installed (listed in the "unknown plugin" error), though never looked up.
    plugins = load_plugins(extra_plugins, only=_named_plugins(src.data))
    adapters = load_adapters()
    schemas: dict[str, Any] = {
        "plugin_schemas": {**dict.fromkeys(plugins.available), **plugins.schemas},
        "broken_plugins": plugins.broken,
        "binding_schemas": AdapterSchemas(adapters, "binding_schema"),
        "account_schemas": AdapterSchemas(adapters, "account_schema"),
    }
    config = validate(src, **schemas, strict_accounts=strict_accounts)
    _refuse_command_clashes(config, plugins, src)
    return Loaded(config, [i for i in src.issues if i.warning], plugins, adapters)


def _named_plugins(data: Any) -> set[str]:
    """The plugins some community of the config data names (enabled or not yet valid)."""
    communities = data.get("communities") if isinstance(data, dict) else None
    names: set[str] = set()
    for community in communities.values() if isinstance(communities, dict) else ():
        found = community.get("plugins") if isinstance(community, dict) else None
        if isinstance(found, dict):
            names.update(str(n) for n in found)
    return names


def _refuse_command_clashes(config: HearthConfig, plugins: PluginSet, src: Any) -> None:
    """A command name offered twice in a community (e.g. ``accept.command: rules``) is an error."""
    from hearth.app import command_clashes  # the app builds the registries; check builds them too

    issues = []
    for key, clash in command_clashes(config, plugins).items():
        path: tuple[str | int, ...] = ("communities", key, "plugins", clash.second)
        path = _path_of_value(src.data, path, clash.name) or path
        file, line = src.locate(path)
        issues.append(ConfigIssue(file, line, ".".join(map(str, path)),
                                  f"{clash}; choose another name"))
    if issues:
        raise ConfigError([*issues, *src.issues])


def _path_of_value(data: Any, path: tuple[str | int, ...], value: str) -> tuple[str | int, ...] | None:
    """The path under ``path`` whose value names command ``value`` (where the operator set it)."""
    node = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    stack = [(path, node)]
    while stack:
        here, node = stack.pop()
        if isinstance(node, str) and node.strip().lstrip("!/").lower() == value:
            return here
        if isinstance(node, dict):
            stack.extend(((*here, k), v) for k, v in node.items())
    return None
