"""The member directory and the activity ledger, on the testing adapter in virtual time."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hearth import Command, PluginConfig, PluginContext, Role, hookimpl
from hearth.adapters.testing import TestBot
from hearth.errors import AdapterError, StorageError
from hearth.models import Channel, Member, Message
from hearth.people.schema import MIGRATIONS, NAMESPACE
from hearth.storage import Database, Store
from hearth.timeutil import to_ms

CONFIG = """
communities:
  tea:
    timezone: Asia/Shanghai
    channels: {general: {}}
    plugins: {roll: {}}
"""
WITHOUT_PLUGIN = """
communities:
  tea:
    timezone: Asia/Shanghai
    channels: {general: {}}
"""
START = "2026-03-02T10:00:00+08:00"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community.yaml"


class Roll:
    """A plugin that lists members (``!roll``) and finds the silent (``!quiet DAYS``)."""

    def __init__(self) -> None:
        self.forgotten: list[tuple[str, str, str]] = []

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def register_commands(self) -> list[Command]:
        async def roll(inv: Any) -> str:
            return " ".join(sorted(r.id for r in inv.ctx.members()))

        async def quiet(inv: Any) -> str:
            since = inv.ctx.now() - timedelta(days=30)
            return " ".join(r.id for r in inv.ctx.members(silent_since=since)) or "nobody"

        return [Command(name="roll", handler=roll, help="list members"),
                Command(name="quiet", handler=quiet, help="members silent for 30 days")]

    @hookimpl
    async def on_forget(self, ctx: PluginContext, platform: str, member_id: str) -> None:
        self.forgotten.append((ctx.key, platform, member_id))


def core(bot: TestBot) -> PluginContext:
    assert bot.app is not None
    return bot.app.contexts[bot.community]["hearth"]


async def make(config: str = CONFIG, roll: Roll | None = None, **options: Any) -> TestBot:
    options.setdefault("start", START)
    options.setdefault("strict", True)
    return await TestBot.create(config, extra_plugins={"roll": roll or Roll()}, **options)


# --------------------------------------------------------------------------- directory


@pytest.mark.asyncio
async def test_a_plugin_lists_every_member_including_those_who_never_spoke() -> None:
    async with await make(members=[{"id": "olivia", "role": "owner"}, {"id": "mute"}]) as bot:
        await bot.join("nina", invited_by="olivia")
        await bot.say("olivia", "general", "!roll")
        assert bot.take()[-1]["text"] == "mute nina olivia"
        nina = core(bot).member("testing:nina")
        assert nina is not None and nina.join_known and nina.invited_by == "olivia"
        assert nina.joined == bot.clock.now() and nina.last_active is None
        mute = core(bot).member(("testing", "mute"))
        assert mute is not None and not mute.join_known  # there before the bot: first seen at start
        owner = core(bot).member("testing:olivia")
        assert owner is not None and owner.role == Role.OWNER and owner.last_active == bot.clock.now()
        assert [r.id for r in core(bot).members(role=Role.OWNER)] == ["olivia"]


@pytest.mark.asyncio
async def test_an_inactivity_check_finds_a_member_there_before_the_plugin(tmp_path: Path) -> None:
    db = tmp_path / "hearth.db"
    people = [{"id": "olivia", "role": "owner"}, {"id": "sleepy"}, {"id": "chatty"}]
    async with await make(WITHOUT_PLUGIN, storage=db, members=people) as before:
        await before.say("chatty", "general", "hello")
    # Six weeks later the operator enables the plugin; the network still has the same members.
    later = "2026-04-13T10:00:00+08:00"
    async with await make(CONFIG, storage=db, members=people, start=later) as bot:
        await bot.say("chatty", "general", "still here")
        await bot.say("olivia", "general", "!quiet")
        assert bot.take()[-1]["text"] == "sleepy"


@pytest.mark.asyncio
async def test_the_directory_survives_a_restart_and_follows_joins_leaves_and_roles(tmp_path: Path) -> None:
    async with await make(members=[{"id": "olivia", "role": "owner"}],
                          storage=tmp_path / "h.db") as bot:
        await bot.join("nina", invited_by="olivia")
        await bot.join("omar")
        await bot.set_role("nina", "leader")
        await bot.leave("omar")
        joined = bot.clock.now()
        await bot.restart(downtime="2h")
        nina = core(bot).member("testing:nina")
        assert nina is not None and nina.role == Role.LEADER and nina.invited_by == "olivia"
        assert nina.joined == joined and nina.join_known
        assert sorted(r.id for r in core(bot).members()) == ["nina", "olivia"]
        omar = core(bot).member("testing:omar")
        assert omar is not None and not omar.present
        # a role changed by the bot itself: the directory follows
        await core(bot).revoke_role(nina.member, Role.LEADER)
        await bot.settle()
        assert core(bot).member("testing:nina").role == Role.MEMBER


@pytest.mark.asyncio
async def test_start_up_compares_with_the_network_and_a_failed_listing_keeps_the_last_state(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with await make(members=[{"id": "olivia", "role": "owner"}, {"id": "ann"}, {"id": "bo"}],
                          storage=tmp_path / "h.db") as bot:
        await bot.stop()
        bot.adapter.people["tea"]["ann"].present = False  # left while the bot was down
        bot.add_member("cy", "Cy")  # joined while the bot was down
        await bot.start()
        assert sorted(r.id for r in core(bot).members()) == ["bo", "cy", "olivia"]
        ann = core(bot).member("testing:ann")
        assert ann is not None and not ann.present

        await bot.stop()
        bot.adapter.people["tea"]["bo"].present = False
        bot.adapter.listing_error = AdapterError("the network is down")
        with caplog.at_level(logging.WARNING):
            await bot.start()
            await bot.restart()
        assert sorted(r.id for r in core(bot).members()) == ["bo", "cy", "olivia"]
        warnings = [r for r in caplog.records if "could not list the members" in r.getMessage()]
        assert len(warnings) == 2  # once per start: each process logs it once


@pytest.mark.asyncio
async def test_the_directory_records_when_people_leave_and_counts_joins_and_leaves_a_day(
    storage_url: str,
) -> None:
    async with await make(members=[{"id": "olivia", "role": "owner"}, {"id": "ann"}, {"id": "bo"}],
                          storage=storage_url) as bot:
        await bot.join("nina")
        await bot.join("omar")
        await bot.leave("omar")
        left = bot.clock.now()
        await bot.leave("omar")  # the same leave told twice keeps its time
        await bot.wait("1d")
        await bot.leave("nina")
        await bot.join("nina")  # back the same day: her leave still counts
        await bot.restart()
        omar, nina = core(bot).member("testing:omar"), core(bot).member("testing:nina")
        assert omar is not None and not omar.present and omar.left == left
        assert nina is not None and nina.present and nina.left == bot.clock.now()
        await bot.wait("1d")
        await bot.stop()
        bot.adapter.people["tea"]["bo"].present = False  # left while the bot was down
        await bot.start()
        bo = core(bot).member("testing:bo")
        assert bo is not None and bo.left == bot.clock.now()  # when the listing noticed it
        totals = await core(bot).daily_totals(bot.clock.now() - timedelta(days=3))
        assert [(str(t.day), t.joins, t.leaves) for t in totals] == [
            ("2026-03-01", 0, 0), ("2026-03-02", 1, 1),
            ("2026-03-03", 1, 1), ("2026-03-04", 0, 1)]


@pytest.mark.asyncio
async def test_members_stored_before_leave_times_keep_their_rows(storage_url: str) -> None:
    """A directory written by the schema without ``left_ms`` migrates without loss."""
    db = await Database.open(storage_url)
    try:
        await db.migrate(Store(db, NAMESPACE), MIGRATIONS[:2])
        await db.executemany(
            "INSERT INTO hearth_members (community, platform, member_id, name, role, is_bot, joined_ms,"
            " join_known, invited_by, last_active_ms, present, updated_ms)"
            " VALUES ('tea', 'testing', ?, ?, 1, 0, ?, 1, NULL, NULL, ?, 0)",
            [("ann", "Ann", to_ms(datetime(2026, 3, 1, tzinfo=UTC)), 1),
             ("gus", "Gus", to_ms(datetime(2026, 2, 1, tzinfo=UTC)), 0)])
    finally:
        await db.close()
    async with await make(storage=storage_url, members=[{"id": "ann", "name": "Ann"}]) as bot:
        ann, gus = core(bot).member("testing:ann"), core(bot).member("testing:gus")
        assert ann is not None and ann.name == "Ann" and ann.present and ann.left is None
        assert gus is not None and gus.name == "Gus" and not gus.present and gus.left is None
        await bot.leave("ann")
        await bot.restart()
        ann = core(bot).member("testing:ann")
        assert ann is not None and not ann.present and ann.left == bot.clock.now()


@pytest.mark.asyncio
async def test_the_console_keeps_its_members_between_runs(tmp_path: Path) -> None:
    from hearth.adapters.console.repl import Console
    from hearth.bootstrap import load

    loaded = load(WITHOUT_PLUGIN, text=True)
    lines = iter(["/join alice Alice", "/role alice leader", "/quit", ""])
    first = Console(loaded, f"sqlite:///{tmp_path / 'c.db'}", out=io.StringIO())
    await first.run(lambda: next(lines))
    out = io.StringIO()
    second = Console(loaded, f"sqlite:///{tmp_path / 'c.db'}", out=out)
    again = iter(["/members", "/quit", ""])
    await second.run(lambda: next(again))
    assert "@alice Alice — leader" in out.getvalue()


# --------------------------------------------------------------------------- ledger


@pytest.mark.asyncio
async def test_activity_is_written_in_batches_not_per_message(monkeypatch: pytest.MonkeyPatch) -> None:
    async with await make(members=[{"id": "ann"}, {"id": "bo"}]) as bot:
        assert bot.app is not None
        bot.app.people.ledger.batch_size = 100  # rows: 250 messages of two members are not 100
        opened = []
        db = bot.app.db
        real = db.transaction

        def counting() -> Any:
            opened.append(1)
            return real()

        monkeypatch.setattr(db, "transaction", counting)
        for n in range(250):  # each handled before the next (a batch would be written between)
            await bot.say("ann" if n % 2 else "bo", "general", "hi")
        activity = await core(bot).activity("testing:ann", bot.clock.now())
        assert activity.messages == 125
        assert len(opened) == 1  # two rows of counts, written before the read


@pytest.mark.asyncio
async def test_a_batch_is_written_once_it_holds_batch_size_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    people = [{"id": f"p{n}"} for n in range(150)]
    async with await make(members=people) as bot:
        assert bot.app is not None and bot.app.db is not None
        ledger, db = bot.app.people.ledger, bot.app.db
        ledger.batch_size = 100
        written: list[int] = []
        real = ledger.flush

        async def flush(**kwargs: Any) -> None:
            written.append(ledger.pending)
            await real(**kwargs)

        monkeypatch.setattr(ledger, "flush", flush)
        query = "SELECT COUNT(*), SUM(messages) FROM hearth_activity"
        for n in range(99):  # a row of counts per member
            await bot.say(f"p{n}", "general", "hi")
        assert written == [] and ledger.pending == 99
        await bot.say("p99", "general", "hi")
        for _ in range(50):  # the batch is written in its own task
            stored = await db.fetch(query)
            if stored[0][0]:
                break
        assert written == [100] and list(stored[0]) == [100, 100]
        for n in range(100, 150):
            await bot.say(f"p{n}", "general", "hi")
        assert written == [100] and ledger.pending == 50  # held until a read, the timer, the end


@pytest.mark.asyncio
async def test_counts_go_on_across_a_failed_write_a_written_batch_and_a_new_day(
        monkeypatch: pytest.MonkeyPatch) -> None:
    async with await make(members=[{"id": "ann"}, {"id": "bo"}]) as bot:
        assert bot.app is not None and bot.app.db is not None
        ledger, db = bot.app.people.ledger, bot.app.db
        real = db.transaction
        for n in range(3):
            await bot.say("ann", "general", f"one {n}")
        await bot.say("ann", "general", "!roll")

        def failing() -> Any:
            raise StorageError("disk full")

        monkeypatch.setattr(db, "transaction", failing)
        with pytest.raises(StorageError):
            await ledger.flush()
        await bot.say("ann", "general", "after the failure")  # counted with the batch kept
        monkeypatch.setattr(db, "transaction", real)
        await ledger.flush()
        await bot.say("ann", "general", "after the write")
        await bot.say("bo", "general", "hello")
        first_day = bot.clock.now()
        await bot.wait(timedelta(days=1))
        await bot.say("ann", "general", "the next day")
        ann = await core(bot).activity("testing:ann", first_day, first_day)
        assert (ann.messages, ann.commands) == (5, 1)
        bo = await core(bot).activity("testing:bo", first_day, first_day)
        assert bo.messages == 1
        next_day = await core(bot).activity("testing:ann", bot.clock.now(), bot.clock.now())
        assert (next_day.messages, next_day.active_days) == (1, 1)
        both = await core(bot).activity("testing:ann", first_day)
        assert (both.messages, both.active_days) == (6, 2)


@pytest.mark.asyncio
async def test_a_message_from_an_earlier_day_counts_on_that_day() -> None:
    """Messages handled late (after downtime) carry their own time: each counts on its day,
    whichever day the member's previous message counted on."""
    async with await make(members=[{"id": "ann"}]) as bot:
        assert bot.app is not None
        ledger, now = bot.app.people.ledger, bot.clock.now()
        yesterday = now - timedelta(days=1)
        ann = Member(platform="testing", id="ann", name="Ann")
        general = Channel(platform="testing", id="general", name="general")
        for n, when in enumerate((now, yesterday, now, yesterday - timedelta(days=1), now)):
            ledger.message("tea", Message(platform="testing", id=f"late{n}", channel=general,
                                          author=ann, text="hello", time_ms=to_ms(when)))
        for day, count in ((now, 3), (yesterday, 1), (yesterday - timedelta(days=1), 1)):
            counted = await core(bot).activity("testing:ann", day, day)
            assert counted.messages == count, day


@pytest.mark.asyncio
async def test_a_reply_counts_for_the_author_of_that_message_on_its_own_network() -> None:
    """Message ids are remembered by their hash alone; the author's network must match."""
    async with await make(members=[{"id": "ann"}, {"id": "bo"}]) as bot:
        assert bot.app is not None
        ledger, ms = bot.app.people.ledger, to_ms(bot.clock.now())

        def post(platform: str, author: str, id_: str, reply_to: str | None = None) -> None:
            ledger.message("tea", Message(
                platform=platform, id=id_, channel=Channel(platform=platform, id="general"),
                author=Member(platform=platform, id=author, name=author), text="hi",
                time_ms=ms, reply_to=reply_to))

        post("testing", "ann", "m1")
        post("testing", "bo", "r1", reply_to="m1")
        post("elsewhere", "cy", "m1")  # the same id on another network: remembered instead
        post("elsewhere", "bo", "r2", reply_to="m1")
        post("testing", "bo", "r3", reply_to="m1")  # ann's, no longer known: given, not received
        now = bot.clock.now()
        assert (await core(bot).activity("testing:ann", now)).replies_received == 1
        assert (await core(bot).activity("elsewhere:cy", now)).replies_received == 1
        assert (await core(bot).activity("testing:cy", now)).replies_received == 0
        assert (await core(bot).activity("testing:bo", now)).replies_given == 2


@pytest.mark.asyncio
async def test_pending_activity_is_written_at_shutdown(tmp_path: Path) -> None:
    async with await make(members=[{"id": "ann"}], storage=tmp_path / "h.db") as bot:
        await bot.say("ann", "general", "one")
        await bot.say("ann", "general", "!roll")
        # two rows of counts: ann's day (a message, a command) and the bot's (its answer)
        assert bot.app is not None and bot.app.people.ledger.pending == 2
        await bot.restart()
        activity = await core(bot).activity("testing:ann", bot.clock.now())
        assert (activity.messages, activity.commands, activity.active_days) == (1, 1, 1)


@pytest.mark.asyncio
async def test_replies_reactions_mentions_and_the_bots_share() -> None:
    async with await make(members=[{"id": "ann"}, {"id": "bo"}, {"id": "cy"}]) as bot:
        first = await bot.say("ann", "general", "good morning")
        await bot.say("bo", "general", "morning!", reply_to=first)
        await bot.say("cy", "general", "hi @ann and @bo")
        await bot.react("cy", first, "👍", in_="general")
        await bot.react("ann", first, "😀", in_="general")  # to oneself: given, not received
        await bot.say("bo", "general", "!roll")  # a command, answered by the bot
        ctx = core(bot)
        today = bot.clock.now()
        ann = await ctx.activity("testing:ann", today)
        assert (ann.messages, ann.replies_received, ann.reactions_received) == (1, 1, 1)
        assert ann.reactions_given == 1
        bo = await ctx.activity("testing:bo", today)
        assert (bo.messages, bo.replies_given, bo.commands) == (1, 1, 1)
        graph = await ctx.interactions(today - timedelta(days=1), half_life=None)
        assert graph.weight("testing:bo", "testing:ann") == 1.0
        assert graph.weight("testing:cy", "testing:ann") == 1.0 + 0.5  # a mention and a reaction
        assert graph.weight("testing:cy", "testing:bo") == 1.0
        assert graph.reached("testing:ann") == {("testing", "bo"), ("testing", "cy")}
        [day] = await ctx.daily_totals(today)
        assert (day.messages, day.active_members, day.interactions, day.bot_messages) == (3, 3, 4, 1)
        assert day.bot_share == 0.25


@pytest.mark.asyncio
async def test_the_interaction_graph_decays_with_age(storage_url: str) -> None:
    async with await make(members=[{"id": "ann"}, {"id": "bo"}], storage=storage_url) as bot:
        old = await bot.say("ann", "general", "a question")
        await bot.say("bo", "general", "an answer", reply_to=old)
        await bot.say("bo", "general", "and more", reply_to=old)
        await bot.wait("7d")
        await bot.say("bo", "general", "one more thing", reply_to=old)
        await bot.react("bo", old, "🙏", in_="general")
        await bot.wait("7d")
        new = await bot.say("bo", "general", "news")
        await bot.say("ann", "general", "thanks", reply_to=new)
        ctx = core(bot)
        month = bot.clock.now() - timedelta(days=30)
        graph = await ctx.interactions(month, half_life=timedelta(days=14))
        # one edge per pair: each day's count decayed by its own age, then summed
        assert graph.weight("testing:bo", "testing:ann") == pytest.approx(2 * 0.5 + 1.5 * 0.5 ** 0.5)
        assert graph.weight("testing:ann", "testing:bo") == pytest.approx(1.0)
        weighted = await ctx.interactions(month, half_life=None, weights={"replies": 3.0})
        assert weighted.weight("testing:bo", "testing:ann") == 9.0
        recent = await ctx.interactions(bot.clock.now() - timedelta(days=6))
        assert list(recent) == [(("testing", "ann"), ("testing", "bo"))]
        with pytest.raises(ValueError, match="unknown interaction kinds"):
            await ctx.interactions(month, weights={"likes": 1.0})


@pytest.mark.asyncio
async def test_rows_past_the_retention_are_rolled_up_into_daily_totals() -> None:
    config = CONFIG + "activity: {retention: 3d}\n"
    async with await make(config, members=[{"id": "ann"}, {"id": "bo"}]) as bot:
        first = await bot.say("ann", "general", "day one")
        await bot.say("bo", "general", "yes", reply_to=first)
        day_one = bot.clock.now()
        await bot.wait("5d")
        await bot.say("ann", "general", "day six")
        ctx = core(bot)
        gone = await ctx.activity("testing:ann", day_one, day_one)
        assert gone.messages == 0
        assert len(await ctx.interactions(day_one - timedelta(days=1), half_life=None)) == 0
        totals = await ctx.daily_totals(day_one)
        assert len(totals) == 6
        assert (totals[0].messages, totals[0].active_members, totals[0].interactions) == (2, 2, 1)
        assert [t.messages for t in totals[1:]] == [0, 0, 0, 0, 1]
        assert bot.app is not None and bot.app.db is not None
        rows = await bot.app.db.fetch("SELECT day_ms FROM hearth_activity")
        assert len(rows) == 1  # only day six is kept per member


@pytest.mark.asyncio
async def test_days_are_the_communitys_local_days() -> None:
    # 23:30 and 00:30 in Shanghai are two days, though the same UTC day
    async with await make(members=[{"id": "ann"}], start="2026-03-02T23:30:00+08:00") as bot:
        await bot.say("ann", "general", "late")
        await bot.wait("1h")
        await bot.say("ann", "general", "early")
        totals = await core(bot).daily_totals(bot.clock.now() - timedelta(hours=2))
        assert [(str(t.day), t.messages) for t in totals] == [("2026-03-02", 1), ("2026-03-03", 1)]


# --------------------------------------------------------------------------- forget


@pytest.mark.asyncio
async def test_forget_erases_one_account_and_tells_plugins(tmp_path: Path) -> None:
    roll = Roll()
    async with await make(roll=roll, members=[{"id": "ann"}, {"id": "bo"}]) as bot:
        first = await bot.say("ann", "general", "hello")
        await bot.say("bo", "general", "hi ann", reply_to=first)
        assert bot.app is not None
        known = await bot.app.forget(("testing", "ann"))
        assert known == ["tea"]
        ctx = core(bot)
        assert ctx.member("testing:ann") is None
        assert (await ctx.activity("testing:ann", bot.clock.now())).messages == 0
        assert len(await ctx.interactions(bot.clock.now(), half_life=None)) == 0
        assert (await ctx.activity("testing:bo", bot.clock.now())).messages == 1
        assert roll.forgotten == [("tea", "testing", "ann")]
        assert bot.app.db is not None
        for table, column in (("hearth_members", "member_id"), ("hearth_activity", "member_id"),
                              ("hearth_interactions", "source_id"), ("hearth_interactions", "target_id")):
            assert not await bot.app.db.fetch(f"SELECT 1 FROM {table} WHERE {column} = 'ann'")


def test_hearth_forget_erases_an_account_from_the_stored_state(tmp_path: Path) -> None:
    import asyncio

    from click.testing import CliRunner

    from hearth.cli import main

    db = tmp_path / "hearth.db"
    config = tmp_path / "hearth.yaml"
    config.write_text(f"storage: sqlite:///{db}\n" + WITHOUT_PLUGIN)
    today = datetime.now(UTC)  # the command runs on the real clock: chat within the retention

    async def chat() -> None:
        async with await make(WITHOUT_PLUGIN, storage=db, members=[{"id": "ann"}, {"id": "bo"}],
                              start=today) as bot:
            await bot.say("ann", "general", "hello")
            await bot.say("bo", "general", "hello")
            await core(bot).strikes.add(("testing", "ann"), "spam")
            await bot.dm("ann", "!link")

    asyncio.run(chat())
    result = CliRunner().invoke(main, ["forget", str(config), "testing:ann"])
    assert result.exit_code == 0, result.output
    assert "forgot testing:ann (a member of tea)" in result.stdout

    async def left() -> list[str]:
        opened = await Database.open(f"sqlite:///{db}")
        try:
            rows = await opened.fetch("SELECT member_id FROM hearth_members UNION ALL "
                                      "SELECT member_id FROM hearth_activity UNION ALL "
                                      "SELECT member_id FROM hearth_accounts UNION ALL "
                                      "SELECT member_id FROM hearth_strikes UNION ALL "
                                      "SELECT member_id FROM hearth_link_codes")
            return sorted(r[0] for r in rows)
        finally:
            await opened.close()

    assert asyncio.run(left()) == ["bo", "bo", "bo"]  # directory, activity, person
    bad = CliRunner().invoke(main, ["forget", str(config), "ann"])
    assert bad.exit_code == 2 and "expected PLATFORM:ID" in bad.stderr
    unknown = CliRunner().invoke(main, ["forget", str(config), "irc:ann"])
    assert unknown.exit_code == 2 and "unknown network 'irc'" in unknown.stderr


@pytest.mark.asyncio
async def test_a_quiet_spell_does_not_hold_counts_back() -> None:
    import asyncio

    async with await make(members=[{"id": "ann"}]) as bot:
        await bot.say("ann", "general", "just one message, then silence")
        assert bot.app is not None and bot.app.db is not None
        ledger = bot.app.people.ledger
        assert ledger.pending == 1
        # what `hearth run` runs on the real clock, here on the virtual one
        writer = asyncio.create_task(ledger.write_periodically())
        await asyncio.sleep(0)
        bot.clock.set(bot.clock.now() + timedelta(seconds=10))
        query = "SELECT messages FROM hearth_activity WHERE member_id = 'ann'"
        for _ in range(50):
            rows = await bot.app.db.fetch(query)
            if rows:
                break
        writer.cancel()  # as stopping does: a batch in flight is finished, not cut
        await asyncio.gather(writer, return_exceptions=True)
        assert [r[0] for r in rows] == [1]


@pytest.mark.asyncio
async def test_the_built_in_plugins_erase_what_they_keep_about_a_forgotten_account() -> None:
    people = [{"id": "olivia", "role": "owner"}, {"id": "lea", "role": "leader"}]
    async with await TestBot.create(EXAMPLE, members=people, strict=True,
                                    start="2026-11-18T10:00:00+08:00") as bot:
        await bot.join("ann")  # welcome: a newcomer record and an acceptance deadline
        await bot.say("ann", "general", "join my server discord.gg/teaparty")  # ad_window: a strike
        assert bot.app is not None and bot.app.db is not None
        db = bot.app.db
        account = "member_id = 'ann'"
        queries = [f"SELECT 1 FROM welcome_newcomers WHERE {account}",
                   f"SELECT 1 FROM hearth_strikes WHERE {account}",
                   "SELECT 1 FROM hearth_jobs WHERE key = 'deadline:testing:ann'"]
        assert all([await db.fetch(q) for q in queries])
        await bot.app.forget(("testing", "ann"))
        assert [await db.fetch(q) for q in queries] == [[], [], []]


@pytest.mark.asyncio
async def test_mentions_of_bots_and_strangers_are_not_interactions() -> None:
    async with await make(members=[{"id": "ann"}, {"id": "bo"}]) as bot:
        bot.adapter.add_person("tea", "helper", "Helper Bot").is_bot = True
        await bot.say("helper", "general", "I am a bot")  # the directory learns it is a bot
        await bot.say("ann", "general", "hi @bo, @helper and @nobody")
        graph = await core(bot).interactions(bot.clock.now(), half_life=None)
        assert dict(graph.edges) == {(("testing", "ann"), ("testing", "bo")): 1.0}


@pytest.mark.asyncio
async def test_people_schema_v4_keeps_the_interactions(storage_url: str) -> None:
    from hearth.people.schema import MIGRATIONS, NAMESPACE
    from hearth.storage import CORE_MIGRATIONS, Store

    db = await Database.open(storage_url)
    try:
        await db.migrate(Store(db, "hearth"), CORE_MIGRATIONS)
        await db.migrate(Store(db, NAMESPACE), MIGRATIONS[:2])
        row = ("c", "testing", "ann", "bo", 86_400_000, 2, 1, 4)
        await db.execute(
            "INSERT INTO hearth_interactions (community, platform, source_id, target_id, day_ms,"
            " replies, mentions, reactions) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
        await db.migrate(Store(db, NAMESPACE), MIGRATIONS)
        assert [tuple(r) for r in await db.fetch(
            "SELECT community, platform, source_id, target_id, day_ms, replies, mentions, reactions"
            " FROM hearth_interactions")] == [row]
        if db.dialect == "sqlite":  # clustered on its key: no rowid
            ddl = await db.fetchval("SELECT sql FROM sqlite_master WHERE name = 'hearth_interactions'")
            assert str(ddl).endswith("WITHOUT ROWID")
    finally:
        await db.close()


@pytest.mark.asyncio
async def test_the_reply_author_table_keeps_one_copy_of_an_authors_id() -> None:
    """A network's payload brings a fresh copy of the author's id with every message."""
    import tracemalloc

    async with await make() as bot:
        assert bot.app is not None
        ledger, now = bot.app.people.ledger, bot.clock.now()
        channel = Channel(platform="testing", id="general")
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            for n in range(10_000):
                author_id = "".join(["1234567890", "12345678"])  # a new string object each time
                ledger.message(bot.community, Message(
                    platform="testing", id=f"m{n}", channel=channel, text="hi", time_ms=to_ms(now),
                    author=Member(platform="testing", id=author_id, name="ann")))
            grown = tracemalloc.get_traced_memory()[0] - base
        finally:
            tracemalloc.stop()
        # about 65 bytes per remembered message; a copy of the id each would double it
        assert grown < 10_000 * 100, grown
