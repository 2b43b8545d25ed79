"""Shared config builder for the welcome plugin's tests."""

from __future__ import annotations

from typing import Any

import yaml

START = "2026-11-20T19:00:00+08:00"
STAFF = [{"id": "olivia", "role": "owner"}, {"id": "lee", "role": "leader"}, {"id": "carol"}]


def config(timezone: str = "Asia/Shanghai", language: str = "en", rules: str | None = None,
           **welcome: Any) -> str:
    """A one-community config with ``welcome:`` set to ``welcome`` (channel general by default)."""
    welcome.setdefault("channel", "general")
    data = {
        "communities": {
            "tea-house": {
                "timezone": timezone,
                "language": language,
                "discord": {"guild": "1"},
                "channels": {
                    "general": {"discord": "11"},
                    "intro": {"discord": "33"},
                    "mods": {"discord": "44"},
                },
                "plugins": {"welcome": welcome},
            }
        }
    }
    if rules is not None:
        data["communities"]["tea-house"]["rules"] = rules
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def texts_of(actions: list[dict[str, Any]], action: str, **match: Any) -> list[str]:
    return [a["text"] for a in actions
            if a["action"] == action and all(a.get(k) == v for k, v in match.items())]
