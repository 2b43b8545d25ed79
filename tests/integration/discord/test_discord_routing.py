"""Two Hearth processes on one PostgreSQL sharing a bot's shards (in one event loop, real
discord.py against the fake Discord): a slash command received by the process that does not
act for its guild is answered by the one that does, through the interaction; a DM (which
Discord sends on shard 0) goes to the community of its sender, on the other shard's holder;
and the two processes' IDENTIFYs of one bucket are spaced out."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from discord_host import eventually, hearth_app, holders

from fake_discord import FakeDiscord, Guild, InteractionRecord, Op, Recorded, User
from hearth import Command, Invocation, PluginConfig, Role, hookimpl
from hearth.app import App
from hearth.storage import Database
from tests.questionnaire import Questionnaire

#: seconds between two IDENTIFYs of a bucket here (Discord's 5 s, longer: the test acts
#: while the second process waits for its turn)
INTERVAL = 10.0
EPHEMERAL = 1 << 6
LONG = 2500  # an answer longer than a Discord message: the edit and a follow-up


class Who:
    """``who`` (also the message menu entry "Who answers") names the process answering."""

    def __init__(self, process: str) -> None:
        self.process = process

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def register_commands(self) -> list[Command]:
        async def who(inv: Invocation) -> str:
            return f"answered by {self.process} " + "." * (LONG if inv.native else 0)

        return [Command(name="who", handler=who, min_role=Role.NEWCOMER, menu="Who answers",
                        help="which process answers")]


def config(fake: FakeDiscord, tea: Guild, cake: Guild, shards: str = "{count: 2, per_process: 2}"
           ) -> str:
    def community(guild: Guild) -> str:
        return f"""
    discord: {{guild: "{guild.id}"}}
    channels: {{general: {{discord: "{guild.channel_named('general').id}"}}}}
    plugins: {{who: {{}}, survey: {{}}}}
"""
    return f"""
accounts:
  discord:
    token: "{fake.token}"
    api_url: {fake.api_url}
    shards: {shards}
communities:
  tea:{community(tea)}
  cake:{community(cake)}
"""


async def community_holders(db: Database) -> dict[str, str]:
    rows = await db.fetch("SELECT community, holder FROM hearth_leases"
                          " WHERE community IN ('tea', 'cake')")
    return {r["community"]: r["holder"] for r in rows}


def sessions(fake: FakeDiscord) -> list[list[int]]:
    return sorted(s.shard for s in fake.gateway.live_sessions()
                  if s.connection is not None and s.shard is not None)


def identified(fake: FakeDiscord, shard: int) -> list[float]:
    """When the fake received each IDENTIFY of ``shard`` (its own clock)."""
    return [f.at for f in fake.gateway_frames
            if f.direction == "recv" and f.op == Op.IDENTIFY and f.d["shard"][0] == shard]


async def answer_of(fake: FakeDiscord, interaction: InteractionRecord) -> Recorded:
    """The edit of the interaction's deferred response (its answer)."""
    return await fake.wait_for_request(
        "PATCH", f"/webhooks/{fake.application_id}/{interaction.token}/messages/@original", 20)


async def bot_dm(fake: FakeDiscord, user: User, text: str) -> list[str]:
    """The bot's DMs to ``user`` containing ``text`` (waiting for one)."""
    async def found() -> bool:
        return bool(dms())

    def dms() -> list[str]:
        return [m.content for m in fake.messages_in(fake.dm_channel(user))
                if m.author.id == fake.bot_user.id and text in m.content]

    await eventually(found, f"a DM to {user.username} with {text!r}", 20)
    return dms()


@pytest.mark.asyncio
async def test_the_process_acting_for_a_guild_answers_what_the_other_received(
        fake: FakeDiscord, postgres_url: str, database: Database,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(App, "lease_ttl", timedelta(seconds=3))  # renewed every second
    fake.state.max_concurrency = 2  # shards 0 and 1 are two buckets: IDENTIFY at once
    dave = fake.add_user("dave")
    tea = fake.add_guild("Tea", channels=("general",), shard=(0, 2))
    cake = fake.add_guild("Cake", members=[dave], channels=("general",), shard=(1, 2))
    general = cake.channel_named("general")
    text = config(fake, tea, cake)
    survey_a, survey_b = Questionnaire(), Questionnaire()
    async with hearth_app(fake, text, postgres_url, {"who": Who("A"), "survey": survey_a},
                          identify_interval=INTERVAL) as a:
        name_a = a.app.leases.name
        await eventually(lambda: _is(holders(database), {"discord shard 0/2": name_a,
                                                         "discord shard 1/2": name_a}),
                         "the first process holds both shards")
        await eventually(lambda: _is_now(sessions(fake), [[0, 2], [1, 2]]), "A runs both")
        # When A gives shard 1 up, its client runs it until replaced: here not before told.
        replace = asyncio.Event()
        connection: Any = a.adapter._connection
        reconnect = connection._reconnect

        async def slow_reconnect() -> None:
            await replace.wait()
            await reconnect()

        monkeypatch.setattr(connection, "_reconnect", slow_reconnect)
        async with hearth_app(fake, text, postgres_url, {"who": Who("B"), "survey": survey_b},
                              identify_interval=INTERVAL) as b:
            name_b = b.app.leases.name
            await eventually(lambda: _is(holders(database), {"discord shard 0/2": name_a,
                                                             "discord shard 1/2": name_b}),
                             "B holds cake's shard")
            # B acts for cake but waits for its bucket's turn to IDENTIFY; A's client alone
            # receives cake's events.
            assert sessions(fake) == [[0, 2], [1, 2]] and len(identified(fake, 1)) == 1
            slash = await fake.invoke_slash(cake, general, dave, "who")
            said = await fake.user_says(general, dave, "a message to ask about")
            menu = await fake.use_message_command(said, dave, "Who answers")
            for interaction in (slash, menu):
                # A acknowledged it ("thinking…"); B answered through its webhook.
                answer = await answer_of(fake, interaction)
                assert answer.json["content"].startswith("answered by B ")
                assert [c["type"] for c in interaction.callbacks] == [5]
                await fake.wait_for_request(
                    "POST", f"/webhooks/{fake.application_id}/{interaction.token}", 20)
            # The menu's answer is for dave only, its follow-up too; the slash one for all.
            assert [_ephemeral(fake, i.response_message_id) for i in (slash, menu)] == [0, EPHEMERAL]
            assert [f.get("flags", 0) & EPHEMERAL for f in slash.followups] == [0]
            assert [f.get("flags", 0) & EPHEMERAL for f in menu.followups] == [EPHEMERAL]
            assert len(identified(fake, 1)) == 1, "B connected: the test was too slow"

            # B's IDENTIFY of shard 1 waits for A's to be INTERVAL old; then A's client is
            # replaced (with shard 0 alone: its IDENTIFY waits its bucket's turn too).
            await eventually(lambda: _count(identified(fake, 1), 2), "B connects", 30)
            replace.set()
            await eventually(lambda: _count(identified(fake, 0), 2), "A connects anew", 30)
            await eventually(lambda: _is_now(sessions(fake), [[0, 2], [1, 2]]),
                             "each runs its shard", 30)
            for times in (identified(fake, 0), identified(fake, 1)):
                assert times[1] - times[0] >= INTERVAL

            # A DM reaches A (shard 0's holder); dave is a member of cake alone: B handles it.
            await fake.user_dms(dave, "!who")
            assert await bot_dm(fake, dave, "answered by") == ["answered by B "]
            # A question B asks by DM is answered by DM, through A, to B's plugin once.
            await fake.user_says(general, dave, "!survey")
            await bot_dm(fake, dave, "What do you do for a living?")
            await fake.user_dms(dave, "I bake")
            await eventually(lambda: _count(survey_b.answers, 1), "B has the answer", 20)
            await b.app.settle()
            await a.app.settle()
            assert [(c, q, ans.text) for c, _, q, ans in survey_b.answers] == [
                ("cake", "work", "I bake")]
            assert survey_a.answers == []
            assert await bot_dm(fake, dave, "answered by") == ["answered by B "]
            # Nothing was posted in the channel but through the interactions' webhooks.
            assert not [m for m in fake.messages_in(general)
                        if m.author.id == fake.bot_user.id and m.webhook_id is None]


def _ephemeral(fake: FakeDiscord, message_id: int | None) -> int:
    assert message_id is not None
    return fake.message(message_id).flags & EPHEMERAL


async def _is(found: Any, wanted: dict[str, str]) -> bool:
    return bool(await found == wanted)


async def _is_now(found: Any, wanted: Any) -> bool:
    return bool(found == wanted)


async def _count(items: list[Any], count: int) -> bool:
    return len(items) >= count


@pytest.mark.asyncio
async def test_without_shard_claiming_a_slash_command_both_processes_receive_is_answered_once(
        fake: FakeDiscord, postgres_url: str, database: Database,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every process runs the whole gateway and receives every slash command; the one
    acting for the guild answers it, once, whichever acknowledged it."""
    monkeypatch.setattr(App, "lease_ttl", timedelta(seconds=3))
    dave = fake.add_user("dave")
    tea = fake.add_guild("Tea", members=[dave], channels=("general",))
    cake = fake.add_guild("Cake", members=[dave], channels=("general",))
    text = config(fake, tea, cake, shards="{count: 1}")
    async with hearth_app(fake, text, postgres_url, {"who": Who("A"), "survey": Questionnaire()}
                          ) as a, \
            hearth_app(fake, text, postgres_url, {"who": Who("B"), "survey": Questionnaire()}
                       ) as b:
        names = {a.app.leases.name: "A", b.app.leases.name: "B"}

        async def split() -> bool:
            held = await community_holders(database)
            return len(held) == 2 and len(set(held.values())) == 2

        await eventually(split, "the processes act for one community each")
        await eventually(lambda: _is_now(len([s for s in fake.gateway.live_sessions()
                                               if s.connection is not None]), 2),
                         "both run the gateway")
        for guild in (tea, cake):
            owner = names[(await community_holders(database))[
                "tea" if guild is tea else "cake"]]
            slash = await fake.invoke_slash(guild, guild.channel_named("general"), dave, "who")
            answer = await answer_of(fake, slash)
            assert answer.json["content"].startswith(f"answered by {owner} ")

            async def stored_handled() -> bool:
                return not await database.fetchval("SELECT COUNT(*) FROM hearth_inbox")

            await eventually(stored_handled, "the stored copy is handled")
            await a.app.settle()
            await b.app.settle()
            # One acknowledgement (the other process's was refused), one answer.
            assert [c["type"] for c in slash.callbacks] == [5]
            assert len(slash.edits) == 1 and len(slash.followups) == 1
