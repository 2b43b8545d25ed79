"""The console adapter: the in-memory platform, printed to a terminal as it acts.

Its members are kept between runs (in the adapter's key/value state in the
console's database), as a real network keeps its members while the bot is
down.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from hearth.adapters.testing.adapter import Person, TestingAdapter
from hearth.models import Role
from hearth.ports import AdapterHost, CommunityBinding, KeyValue

PEOPLE_KEY = "people"


class ConsoleAdapter(TestingAdapter):
    """Like the testing adapter, but every action is shown as it happens."""

    name = "console"

    def __init__(self, *, account: Any = None, communities: Mapping[str, CommunityBinding],
                 show: Callable[[dict[str, Any]], None] | None = None) -> None:
        super().__init__(account=account, communities=communities, imitate="console")
        self.show = show or (lambda action: None)
        self._kv: KeyValue | None = None

    def _file_fields(self, filename: str, data: bytes) -> dict[str, Any]:
        """A file the bot posts is saved in the temporary folder; the console prints its path."""
        folder = Path(tempfile.gettempdir()) / "hearth-console"
        folder.mkdir(exist_ok=True)
        path = folder / f"{self._now():%Y%m%d-%H%M%S}-{Path(filename).name}"
        path.write_bytes(data)
        return {"path": str(path)}

    def _record(self, community: str | None, action: str, **fields: Any) -> None:
        super()._record(community, action, **fields)
        self.show(self.actions[-1])

    async def start(self, host: AdapterHost) -> None:
        stored = await host.kv.get(PEOPLE_KEY)
        for community, people in (json.loads(stored) if stored else {}).items():
            known = self.people.setdefault(community, {})
            for p in people:
                if p["id"] not in known:
                    known[p["id"]] = Person(
                        p["id"], p["name"], frozenset(Role(r) for r in p["roles"]), present=p["present"],
                        banned=p["banned"], platform=self.name, invited_by=p["invited_by"],
                        joined=datetime.fromisoformat(p["joined"]) if p["joined"] else None,
                    )
        self._kv = host.kv
        await super().start(host)

    async def stop(self) -> None:
        people = {
            community: [{"id": p.id, "name": p.name, "roles": sorted(int(r) for r in p.roles),
                         "present": p.present, "banned": p.banned, "invited_by": p.invited_by,
                         "joined": p.joined.isoformat() if p.joined else None}
                        for p in members.values()]
            for community, members in self.people.items()
        }
        if self._kv is not None:
            await self._kv.set(PEOPLE_KEY, json.dumps(people))
        await super().stop()
