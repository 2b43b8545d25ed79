"""From a config path to validated config, loaded plugins and installed adapters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hearth.config import HearthConfig, load_config, load_source, validate
from hearth.errors import ConfigError, ConfigIssue
from hearth.ports import AdapterInfo
from hearth.registry import PluginSet, load_adapters, load_plugins


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
        "broken_plugins": plugins.broken,
        "binding_schemas": {n: a.cls.binding_schema for n, a in adapters.items() if not a.cls.virtual},
        "account_schemas": {n: a.cls.account_schema for n, a in adapters.items() if not a.cls.virtual},
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
