"""Dialogs on the testing adapter: ctx.ask, answers as on_answer, one open question a member."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hearth import Answer, mention
from hearth.adapters.testing import TestBot
from hearth.events import ChoiceMadeEvent
from hearth.models import Member
from hearth.people.dialogs import Question, check_question
from tests.questionnaire import Questionnaire

START = datetime.fromisoformat("2026-11-20T19:00:00+00:00")
CONFIG = """
communities:
  tea:
    discord: {guild: "1"}
    channels: {general: {discord: "11"}}
    plugins: {survey: {}, quiz: {}}
"""


async def bot_for(*plugins: Questionnaire, config: str = CONFIG, **kwargs: object) -> TestBot:
    bot = await TestBot.create(config, extra_plugins={p.name: p for p in plugins},
                               members=[{"id": "alice"}, {"id": "bob"}], start=START, **kwargs)
    bot.take()
    return bot


def dms(bot: TestBot, member: str = "alice") -> list[dict[str, object]]:
    return [a for a in bot.take() if a["action"] == "dm" and a["member"] == member]


@pytest.mark.asyncio
async def test_a_questionnaire_is_asked_one_question_at_a_time_and_answered() -> None:
    survey = Questionnaire()
    bot = await bot_for(survey, Questionnaire("quiz"))
    try:
        await bot.say("alice", "general", "!survey")
        [first] = dms(bot)
        assert first["text"] == "[tea] What do you do for a living?"
        assert "choices" not in first
        await bot.dm("alice", "  I grow tea  ")
        [second] = dms(bot)
        assert second["choices"] == ["Green", "Black", "Oolong"]
        assert second["text"] == ("[tea] Which tea do you drink most?\n1. Green\n2. Black\n3. Oolong\n"
                                  "Answer with one number from 1 to 3.")
        await bot.dm("alice", "2")
        [third] = dms(bot)
        assert third["choices"] == ["Hiking", "Reading", "Cooking", "Music"]
        assert third["text"].endswith("Answer with one or more numbers from 1 to 4, e.g. 1 3.")
        await bot.dm("alice", "1 3")
        assert dms(bot) == []
        assert survey.answers == [
            ("tea", "alice", "work", Answer(text="I grow tea")),
            ("tea", "alice", "tea", Answer(text="Black", picked=(2,), labels=("Black",))),
            ("tea", "alice", "hobbies", Answer(text="Hiking, Cooking", picked=(1, 3),
                                              labels=("Hiking", "Cooking"))),
        ]
        # With no question open, a DM is an ordinary DM again (here: not a command, so ignored).
        await bot.dm("alice", "3")
        assert len(survey.answers) == 3
    finally:
        await bot.close()


@pytest.mark.asyncio
@pytest.mark.parametrize(("reply", "hint"), [
    ("4", "[tea] Answer with one number from 1 to 3."),
    ("1 2", "[tea] Answer with one number from 1 to 3."),
    ("black", "[tea] Answer with one number from 1 to 3."),
    ("0", "[tea] Answer with one number from 1 to 3."),
])
async def test_a_malformed_answer_gets_a_short_reask_and_the_question_stays_open(
        reply: str, hint: str) -> None:
    survey = Questionnaire()
    bot = await bot_for(survey, Questionnaire("quiz"))
    try:
        await bot.say("alice", "general", "!survey")
        await bot.dm("alice", "I grow tea")
        bot.take()
        await bot.dm("alice", reply)
        assert [a["text"] for a in dms(bot)] == [hint]
        await bot.dm("alice", "3")
        assert survey.answers[-1][2:] == ("tea", Answer(text="Oolong", picked=(3,), labels=("Oolong",)))
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_multiple_choice_answer_takes_commas_and_ignores_repeats_but_not_strangers() -> None:
    survey = Questionnaire()
    bot = await bot_for(survey, Questionnaire("quiz"))
    try:
        await bot.say("alice", "general", "!survey")
        await bot.dm("alice", "tea")
        await bot.dm("alice", "1")
        bot.take()
        await bot.dm("alice", "2 5")
        assert [a["text"] for a in dms(bot)] == [
            "[tea] Answer with one or more numbers from 1 to 4, e.g. 1 3."]
        await bot.dm("alice", "4, 2,4")
        assert survey.answers[-1][3].picked == (4, 2)
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_two_plugins_asking_one_member_take_turns() -> None:
    survey, quiz = Questionnaire(), Questionnaire("quiz")
    bot = await bot_for(survey, quiz)
    try:
        await bot.say("alice", "general", "!quiz")
        await bot.say("alice", "general", "!survey")
        assert [a["text"] for a in dms(bot)] == ["[tea] What do you do for a living?"]
        for reply in ("quiz work", "1", "2"):
            await bot.dm("alice", reply)
        assert [a[2] for a in quiz.answers] == ["work", "tea", "hobbies"]
        assert survey.answers == []
        # The survey's first question came right after the quiz's last answer.
        assert dms(bot)[-1]["text"] == "[tea] What do you do for a living?"
        await bot.dm("alice", "survey work")
        assert survey.answers == [("tea", "alice", "work", Answer(text="survey work"))]
        assert quiz.answers[0][3] == Answer(text="quiz work")
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_another_member_and_commands_are_not_taken_as_answers() -> None:
    survey = Questionnaire()
    bot = await bot_for(survey, Questionnaire("quiz"))
    try:
        await bot.say("alice", "general", "!survey")
        await bot.dm("bob", "I am bob")
        await bot.dm("alice", "!help")
        assert survey.answers == []
        assert any("survey" in a["text"] for a in dms(bot))  # !help answered
        await bot.dm("alice", "tea farmer")
        assert survey.answers == [("tea", "alice", "work", Answer(text="tea farmer"))]
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_pending_questions_survive_a_restart_mid_way() -> None:
    survey = Questionnaire()
    bot = await bot_for(survey, Questionnaire("quiz"))
    try:
        await bot.say("alice", "general", "!survey")
        await bot.dm("alice", "I grow tea")
        bot.take()
        await bot.restart("1h")
        assert dms(bot) == []  # the open question is not sent again
        await bot.dm("alice", "1")
        [third] = dms(bot)
        assert third["text"].startswith("[tea] What do you enjoy?")
        await bot.restart()
        await bot.dm("alice", "2 4")
        assert [a[2:] for a in survey.answers] == [
            ("work", Answer(text="I grow tea")),
            ("tea", Answer(text="Green", picked=(1,), labels=("Green",))),
            ("hobbies", Answer(text="Reading, Music", picked=(2, 4), labels=("Reading", "Music"))),
        ]
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_cancelled_question_makes_way_for_the_next() -> None:
    survey, quiz = Questionnaire(), Questionnaire("quiz")
    bot = await bot_for(survey, quiz)
    try:
        await bot.say("alice", "general", "!survey")
        await bot.say("alice", "general", "!quiz")
        bot.take()
        await bot.say("alice", "general", "!unsurvey")
        assert any(a["text"].endswith("withdrew 3") for a in bot.sent("send"))
        assert [a["text"] for a in dms(bot)] == ["[tea] What do you do for a living?"]
        await bot.dm("alice", "for the quiz")
        assert survey.answers == [] and quiz.answers[0][3] == Answer(text="for the quiz")
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_the_questions_of_a_member_who_left_are_dropped() -> None:
    survey, quiz = Questionnaire(), Questionnaire("quiz")
    bot = await bot_for(survey, quiz)
    try:
        await bot.say("alice", "general", "!survey")
        await bot.say("bob", "general", "!survey")
        await bot.leave("alice")
        assert bot.app is not None
        assert [q.member_id for q in await bot.app.dialogs.pending("tea", "survey")] == ["bob"] * 3
        assert bot.app.dialogs.asking("testing", "alice") is None
    finally:
        await bot.close()


TWO = """
communities:
  tea:
    discord: {guild: "1"}
    channels: {general: {discord: "11"}}
    plugins: {survey: {}}
  chess:
    discord: {guild: "2"}
    channels: {general: {discord: "21"}}
    plugins: {survey: {}}
"""


@pytest.mark.asyncio
async def test_a_member_of_two_communities_answers_the_community_that_asked() -> None:
    survey = Questionnaire()
    bot = await TestBot.create(TWO, extra_plugins={"survey": survey}, start=START, community="tea")
    try:
        for key in ("tea", "chess"):
            bot.adapter.add_person(key, "alice", "Alice")
        await bot.adapter.inject_message("chess", "alice", "general", "!survey", "c1", None)
        await bot.settle()
        [asked] = [a for a in bot.take() if a["action"] == "dm"]
        assert asked["text"] == "[chess] What do you do for a living?"
        assert asked["community"] == "chess"
        # The DM arrives attributed to "tea" (the testing adapter's community): the question wins.
        await bot.dm("alice", "I teach chess")
        assert survey.answers == [("chess", "alice", "work", Answer(text="I teach chess"))]
        await bot.say("alice", "general", "!survey")  # tea asks too: it waits behind chess
        assert [a["text"] for a in bot.take() if a["action"] == "dm"] == [
            "[chess] Which tea do you drink most?\n1. Green\n2. Black\n3. Oolong\n"
            "Answer with one number from 1 to 3."]
    finally:
        await bot.close()


def test_questions_that_cannot_be_asked_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="needs choices"):
        check_question("Which?", None, True)
    with pytest.raises(ValueError, match="2 to 100 choices"):
        check_question("Which?", ["only"], False)
    with pytest.raises(ValueError, match="same label"):
        check_question("Which?", ["a", "a "], False)
    with pytest.raises(ValueError, match="not one string"):
        check_question("Which?", "ab", False)
    with pytest.raises(ValueError, match="needs a text"):
        check_question("  ", None, False)


def test_a_question_parses_numbers_only_within_its_choices() -> None:
    q = Question(id=1, community="tea", plugin="p", platform="discord", member_id="a",
                 member_name="A", key="k", text="?", choices=("x", "y"), multiple=False)
    assert q.parse(" 2 ") == Answer(text="y", picked=(2,), labels=("y",))
    assert q.parse("2 2") == Answer(text="y", picked=(2,), labels=("y",))
    assert q.parse("") is None and q.parse("-1") is None and q.parse("2.") is None


@pytest.mark.asyncio
async def test_a_question_that_cannot_be_delivered_is_dropped_and_blocks_no_other() -> None:
    survey = Questionnaire()
    bot = await bot_for(survey, Questionnaire("quiz"))
    try:
        bot.refuse_dms("alice")
        await bot.say("alice", "general", "!survey")
        assert bot.app is not None
        assert await bot.app.dialogs.pending("tea", "survey") == []
        bot.refuse_dms("alice", False)
        await bot.say("alice", "general", "!quiz")
        assert [a["text"] for a in dms(bot)] == ["[tea] What do you do for a living?"]
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_without_direct_messages_a_question_is_dropped() -> None:
    survey = Questionnaire()
    bot = await bot_for(survey, Questionnaire("quiz"), without=["dm"])
    try:
        await bot.say("alice", "general", "!survey")
        assert bot.app is not None
        assert await bot.app.dialogs.pending("tea", "survey") == []
        assert bot.app.dialogs.asking("testing", "alice") is None
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_questions_of_a_plugin_no_longer_enabled_are_dropped_at_start(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    survey, quiz = Questionnaire(), Questionnaire("quiz")
    bot = await bot_for(survey, quiz, storage=db)
    await bot.say("alice", "general", "!survey")
    await bot.say("alice", "general", "!quiz")
    await bot.close()
    without_survey = CONFIG.replace("{survey: {}, quiz: {}}", "{quiz: {}}")
    bot = await bot_for(survey, quiz, config=without_survey, storage=db)
    try:
        # The quiz's first question, queued behind the survey's, is sent now.
        assert [a["text"] for a in bot.sent("dm")] == ["[tea] What do you do for a living?"]
        await bot.dm("alice", "quizzed")
        assert survey.answers == [] and quiz.answers[0][3] == Answer(text="quizzed")
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_question_never_delivered_is_sent_after_a_restart() -> None:
    survey = Questionnaire()
    bot = await bot_for(survey, Questionnaire("quiz"))
    try:
        bot.adapter.go_down(until=bot.clock.now() + timedelta(hours=30))
        await bot.say("alice", "general", "!survey")  # retried for a day, then given up
        assert dms(bot) == []
        await bot.restart("7h")
        assert [a["text"] for a in dms(bot)] == ["[tea] What do you do for a living?"]
        await bot.dm("alice", "tea")
        assert survey.answers == [("tea", "alice", "work", Answer(text="tea"))]
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_picks_made_natively_answer_only_the_open_question_of_the_member_asked() -> None:
    survey = Questionnaire()
    bot = await bot_for(survey, Questionnaire("quiz"))
    app = bot.app
    assert app is not None

    async def pick(member: str, question: int, *numbers: int) -> None:
        who = Member(platform="testing", id=member, name=member)
        await app.submit(ChoiceMadeEvent(platform="testing", id=bot.next_id(), community=None,
                                         time=bot.clock.now(), member=who, question=question,
                                         picked=numbers))
        await bot.settle()

    try:
        await bot.say("alice", "general", "!survey")
        await bot.dm("alice", "tea")
        tea = app.dialogs.asking("testing", "alice")
        assert tea is not None and tea.key == "tea"
        await pick("bob", tea.id, 1)  # not the member asked: ignored
        await pick("alice", tea.id - 1, 1)  # answered already: ignored
        assert len(survey.answers) == 1
        bot.take()
        await pick("alice", tea.id, 4)  # no such choice: re-asked
        assert [a["text"] for a in dms(bot)] == ["[tea] Answer with one number from 1 to 3."]
        await pick("alice", tea.id, 3)
        assert survey.answers[-1][2:] == ("tea", Answer(text="Oolong", picked=(3,), labels=("Oolong",)))
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_question_mentioning_a_member_keeps_the_mention_across_a_restart() -> None:
    bot = await bot_for(Questionnaire(), Questionnaire("quiz"))
    try:
        assert bot.app is not None
        ctx = bot.app.contexts["tea"]["survey"]
        alice = bot.adapter.person("tea", "alice").member()
        bob = bot.adapter.person("tea", "bob").member()
        await ctx.ask(alice, "Do you know tea?", key="first")
        await ctx.ask(alice, "Do you vouch for " + mention(bob) + "?", ["yes", "no"], key="vouch")
        await bot.settle()
        bot.take()
        await bot.restart()  # the second question waits in the database
        await bot.dm("alice", "a little")
        [vouch] = dms(bot)
        assert vouch["text"].startswith("[tea] Do you vouch for @bob?")  # a mention, not the plain "@Bob"
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_questions_asked_at_once_get_their_ids_from_the_database(storage_url: str) -> None:
    """Ids come from the database: asks running at once (on PostgreSQL, each on its own
    connection, as in several processes) never take the same id."""
    plugins = {"survey": Questionnaire(), "quiz": Questionnaire("quiz")}
    bot = await TestBot.create(CONFIG, extra_plugins=plugins,
                               members=[{"id": f"m{i}"} for i in range(6)], start=START,
                               storage=storage_url)
    try:
        assert bot.app is not None
        dialogs = bot.app.dialogs
        members = [Member(platform=bot.adapter.name, id=f"m{i}", name=f"M{i}") for i in range(6)]
        ids = await asyncio.gather(*(
            dialogs.ask("tea", "survey", m, "Which tea?", choices=None, multiple=False, key="q",
                        data=None) for m in members))
        assert len(set(ids)) == 6
        await bot.settle()
        asked = sorted(a["member"] for a in bot.take() if a["action"] == "dm")
        assert asked == [m.id for m in members]
    finally:
        await bot.close()
