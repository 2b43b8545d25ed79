"""What the adapter remembers across restarts, in the host's key/value store.

Per guild: the categories it created (``categories:<guild>``), its group
channels by name (``groups:<guild>``). The roles it created for Hearth's roles
are kept by the core (``AdapterHost.role_ids``); those it remembered here
before (``roles:<guild>``) are handed over at start (:func:`take_legacy_roles`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from hearth.models import Role
from hearth.ports import KeyValue


@dataclass
class GuildMemory:
    """One guild's remembered ids, loaded at start-up and saved on change."""

    guild_id: int
    categories: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)  # group name -> channel id

    @classmethod
    async def load(cls, kv: KeyValue, guild_id: int) -> GuildMemory:
        mem = cls(guild_id)
        mem.categories = {k: int(v) for k, v in (await _get(kv, f"categories:{guild_id}")).items()}
        mem.groups = {k: int(v) for k, v in (await _get(kv, f"groups:{guild_id}")).items()}
        return mem

    async def save_categories(self, kv: KeyValue) -> None:
        await _set(kv, f"categories:{self.guild_id}",
                   {k: str(v) for k, v in self.categories.items()})

    async def save_groups(self, kv: KeyValue) -> None:
        await _set(kv, f"groups:{self.guild_id}", {k: str(v) for k, v in self.groups.items()})

    def group_name(self, channel_id: int) -> str | None:
        return next((n for n, cid in self.groups.items() if cid == channel_id), None)


async def take_legacy_roles(kv: KeyValue, guild_id: int) -> dict[Role, int]:
    """The roles created for Hearth's roles that an older version remembered here; the
    record is emptied (the caller hands them to the core)."""
    key = f"roles:{guild_id}"
    found = await _get(kv, key)
    if found:
        await kv.set(key, "")
    roles = {}
    for label, role_id in found.items():
        try:
            roles[Role.parse(label)] = int(role_id)
        except ValueError:
            continue
    return roles


async def _get(kv: KeyValue, key: str) -> dict[str, str]:
    raw = await kv.get(key)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


async def _set(kv: KeyValue, key: str, value: dict[str, str]) -> None:
    await kv.set(key, json.dumps(value, sort_keys=True))
