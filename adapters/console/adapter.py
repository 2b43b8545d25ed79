"""The console adapter: the in-memory platform, printed to a terminal as it acts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hearth.adapters.testing.adapter import TestingAdapter
from hearth.ports import CommunityBinding


class ConsoleAdapter(TestingAdapter):
    """Like the testing adapter, but every action is shown as it happens."""

    name = "console"

    def __init__(self, *, account: Any = None, communities: Mapping[str, CommunityBinding],
                 show: Callable[[dict[str, Any]], None] | None = None) -> None:
        super().__init__(account=account, communities=communities, imitate="console")
        self.show = show or (lambda action: None)

    def _record(self, community: str | None, action: str, **fields: Any) -> None:
        super()._record(community, action, **fields)
        self.show(self.actions[-1])
