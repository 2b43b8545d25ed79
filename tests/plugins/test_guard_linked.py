"""guard for a person with accounts on two networks: their dismissed reports count together."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from hearth import Role
from hearth.adapters import testing
from hearth.adapters.testing import TestBot
from hearth.app import App, bindings_for
from hearth.bootstrap import load

ANN_M = "@ann:example.org"


class TwoNetworks(TestBot):
    """The community on an imitated Discord and an imitated Matrix at once."""

    __test__ = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.adapter.name = "discord"
        self.matrix = testing.TestingAdapter(
            communities=bindings_for(self.config, testing.TestingAdapter), imitate="matrix")
        self.matrix.name = "matrix"

    async def start(self) -> None:
        self.app = App(self.config, self.loaded.plugins, [self.adapter, self.matrix], clock=self.clock,
                       storage=self.storage, on_plugin_error=self._plugin_failed)
        await self.app.start()
        await self.settle()

    async def on_matrix(self, member_id: str, text: str, *, reply_to: str | None = None,
                        dm: bool = False) -> str:
        message_id = self.next_id()
        if dm:
            await self.matrix.inject_dm(self.community, member_id, text, message_id)
        else:
            await self.matrix.inject_message(self.community, member_id, "general", text, message_id,
                                             reply_to)
        await self.settle()
        return message_id


async def linked_ann(throttle: int = 1) -> TwoNetworks:
    guard = {"reports": {"channel": "mods", "throttle": {"dismissed": throttle, "within": "7d"}}}
    community = {"timezone": "UTC", "channels": {"general": {}, "mods": {}}, "plugins": {"guard": guard}}
    bot = TwoNetworks(load(yaml.safe_dump({"communities": {"tea": community}}), text=True),
                      start="2026-11-20T19:00:00+00:00", strict=True)
    for member, role in (("olivia", "owner"), ("ann", "member"), ("bo", "member")):
        bot.add_member(member, role=role)
    for member in (ANN_M, "@bo:example.org"):
        bot.matrix.add_person(bot.community, member, member, Role.MEMBER)
    await bot.start()
    await bot.say("ann", "general", "!link")
    dm = next(a["text"] for a in bot.take() if a["action"] == "dm")
    code = re.search(r"link ([A-Z0-9]{4}-[A-Z0-9]{4})", dm)
    assert code is not None
    await bot.on_matrix(ANN_M, f"!link {code.group(1)}", dm=True)
    assert bot.matrix.actions[-1]["text"].startswith("Linked:")
    bot.take()
    return bot


@pytest.mark.asyncio
async def test_dismissed_reports_of_a_persons_accounts_count_together() -> None:
    bot = await linked_ann(throttle=1)
    try:
        await bot.say("bo", "general", "fine message", ref="m1")
        await bot.say("ann", "general", "!report", reply_to="m1")
        await bot.say("olivia", "mods", "!dismiss 1")
        bot.take()
        bo_m = await bot.on_matrix("@bo:example.org", "another fine message")
        await bot.on_matrix(ANN_M, "!report", reply_to=bo_m)
        told = [a["text"] for a in bot.matrix.actions if a["action"] == "dm" and a["member"] == ANN_M]
        assert told[-1].startswith("1 of your reports were dismissed in the last 7d")
    finally:
        await bot.close()

