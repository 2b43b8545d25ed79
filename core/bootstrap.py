"""From a config path to validated config, loaded plugins and installed adapters."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hearth.config import HearthConfig, load_config, load_source, validate
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
    plugins = load_plugins(extra_plugins)
    adapters = load_adapters()
    schemas: dict[str, Any] = {
        "plugin_schemas": plugins.schemas,
        "binding_schemas": AdapterSchemas(adapters, "binding_schema"),
        "account_schemas": AdapterSchemas(adapters, "account_schema"),
    }
    if text:
        src = load_source("<config>", text=str(source))
        if any(not i.warning for i in src.issues):
            raise ConfigError(src.issues)
        config = validate(src, **schemas, strict_accounts=strict_accounts)
        warnings = [i for i in src.issues if i.warning]
    else:
        config, warnings = load_config(source, **schemas, strict_accounts=strict_accounts)
    return Loaded(config, warnings, plugins, adapters)
