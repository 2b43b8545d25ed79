"""The testing adapter's own mechanisms on the hot path: a person's cached Member, the
bounded message store, plain text parsed without its helpers, and the lean record of a send."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
import pytest

from hearth import Command, Invocation, PluginConfig, hookimpl
from hearth.adapters.testing import TestBot
from hearth.adapters.testing.adapter import _MENTION, FORGET_AT_ONCE, MESSAGES_KEPT
from hearth.errors import NotFound
from hearth.models import Message, Role, extract_links

CONFIG = """
communities:
  tea:
    channels: {general: {}}
    plugins: {heard: {}}
"""


class Heard:
    """Keeps every message the plugins are given; answers ``!echo``."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def register_commands(self) -> list[Command]:
        async def echo(inv: Invocation) -> str:
            return "echo"

        return [Command(name="echo", handler=echo)]

    @hookimpl
    async def on_message(self, ctx: Any, message: Message) -> None:
        self.messages.append(message)


async def _bot() -> tuple[TestBot, Heard]:
    heard = Heard()
    bot = await TestBot.create(CONFIG, extra_plugins={"heard": heard}, platform="testing",
                               members=[{"id": "ann"}, {"id": "bo", "name": "Bo"}])
    return bot, heard


@pytest.mark.asyncio
async def test_a_person_gives_the_same_member_until_a_field_of_it_changes() -> None:
    bot, heard = await _bot()
    try:
        ann = bot.adapter.person("tea", "ann")
        first = ann.member()
        assert ann.member() is first
        ann.present = ann.present  # not a field of the Member: kept
        ann.muted_until = None
        assert ann.member() is first

        ann.roles = {Role.LEADER}  # a set given is made a frozenset
        assert ann.roles == frozenset({Role.LEADER}) and isinstance(ann.roles, frozenset)
        assert ann.member() is not first and ann.member().role is Role.LEADER
        ann.name = "Annie"
        assert (ann.member().name, ann.member().role) == ("Annie", Role.LEADER)
        ann.is_bot = True
        assert ann.member().is_bot

        # the network changes roles too: the next message carries them
        await bot.set_role("bo", "admin")
        await bot.say("bo", "general", "hello there")
        assert heard.messages[-1].author.role is Role.ADMIN
        await bot.adapter.revoke_role("tea", bot.adapter.person("tea", "bo").member(), Role.ADMIN)
        await bot.say("bo", "general", "hello again")
        assert heard.messages[-1].author.role is Role.MEMBER
        await bot.adapter.grant_role("tea", bot.adapter.person("tea", "bo").member(), Role.LEADER)
        await bot.say("bo", "general", "and again")
        assert heard.messages[-1].author.role is Role.LEADER
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_the_network_forgets_its_oldest_messages_a_few_hundred_at_a_time() -> None:
    bot, _ = await _bot()
    adapter = bot.adapter
    try:
        general = adapter.channel("tea", "general")
        for i in range(MESSAGES_KEPT + FORGET_AT_ONCE):
            await adapter.inject_message("tea", "ann", "general", f"message {i}", f"m{i}")
        assert len(adapter.messages) == MESSAGES_KEPT + FORGET_AT_ONCE  # not yet past the bound
        assert await adapter.fetch_message("tea", general, "m0") is not None

        await adapter.inject_message("tea", "ann", "general", "one more", "last")
        await bot.settle()
        assert len(adapter.messages) == MESSAGES_KEPT  # the oldest forgotten at once
        assert await adapter.fetch_message("tea", general, f"m{FORGET_AT_ONCE}") is None
        kept = await adapter.fetch_message("tea", general, f"m{FORGET_AT_ONCE + 1}")
        assert kept is not None and kept.text == f"message {FORGET_AT_ONCE + 1}"
        assert list(adapter.messages)[-1] == "last"
        with pytest.raises(NotFound):
            await adapter.inject_edit("tea", "ann", "m0", "changed")
    finally:
        await bot.close()


TEXTS = [
    "message number 12 about tea",  # plain: none of @ . :
    "tea at five, pm",
    "hi @ann and <@bo>, not @nobody",
    "see www.Example.org/tea.",
    "WWW.EXAMPLE.ORG and https://tea.example/x?y=1)",
    "ratio 1:2, nothing linked",
    "a sentence. another one",
    "mail ann@example.org",
]


@pytest.mark.asyncio
async def test_plain_and_rich_text_give_the_same_message() -> None:
    bot, heard = await _bot()
    try:
        for i, text in enumerate(TEXTS):
            plain = await bot.adapter.inject_message("tea", "ann", "general", text, f"p{i}")
            replying = await bot.adapter.inject_message("tea", "ann", "general", text, f"r{i}",
                                                        reply_to=f"p{i}")
            assert plain is not None and replying is not None
            known = bot.adapter.people["tea"]
            mentions = tuple(m for pair in _MENTION.findall(text) for m in pair if m in known)
            assert (plain.mentions, plain.links) == (mentions, extract_links(text))
            fields = msgspec.structs.asdict(plain)
            assert {**msgspec.structs.asdict(replying), "id": f"p{i}", "reply_to": None} == fields
        await bot.settle()
        assert [m.text for m in heard.messages] == [t for t in TEXTS for _ in (1, 2)]
        assert heard.messages[4].mentions == ("ann", "bo")
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_plain_send_is_recorded_as_the_mapping_of_its_fields() -> None:
    bot, _ = await _bot()
    try:
        await bot.say("ann", "general", "!echo")
        [recorded] = [a for a in bot.adapter.actions if a["action"] == "send"]
        assert isinstance(recorded, Mapping) and not isinstance(recorded, dict)  # the lean record
        expected = {"time": bot.clock.now(), "community": "tea", "action": "send",
                    "channel": "general", "text": "echo"}
        reply_to = recorded.get("reply_to")
        if reply_to is not None:
            expected["reply_to"] = reply_to
        assert dict(recorded) == expected and recorded == expected and len(recorded) == len(expected)
        assert list(recorded) == list(expected) and "text" in recorded and "member" not in recorded
        assert recorded.get("member") is None
        with pytest.raises(KeyError):
            recorded["member"]
        assert [{k: v for k, v in a.items() if k != "time"} for a in bot.sent("send")] == [
            {k: v for k, v in expected.items() if k not in ("time", "community")}]
    finally:
        await bot.close()
