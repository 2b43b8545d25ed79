"""The breakout plugin on the testing adapter (virtual time): questionnaire, rounds, groups."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hearth.cli import main

START = "2026-11-20T19:00:00+08:00"

CONFIG = """
communities:
  tea:
    timezone: Asia/Shanghai
    language: {language}
    discord: {{guild: "1"}}
    channels: {{general: {{discord: "11"}}, mods: {{discord: "12"}}}}
    plugins:
{extra}      breakout:
        questions:
          - {{key: career, ask: "What do you do?", choices: [engineering, design, marketing, student]}}
          - {{key: interests, ask: "Pick what you enjoy", choices: [tea, hiking, books, games],
             multiple: true}}
        group_size: 4
{options}"""

STAFF = [{"id": "olivia", "role": "owner"}]
#: four clusters of four; the first of each is a leader
CLUSTERS = [{"id": f"c{c}m{i}", "role": "leader" if i == 0 else "member"}
            for c in range(4) for i in range(4)]


def config(options: str = "", *, language: str = "en", extra: str = "") -> str:
    lines = "".join(f"        {line}\n" for line in options.strip().splitlines())
    return CONFIG.format(options=lines, language=language, extra=extra)


async def make(hearth_bot: Any, options: str = "", members: list[dict[str, Any]] | None = None,
               **kw: Any) -> Any:
    bot = await hearth_bot(config(options, **{k: kw.pop(k) for k in ("language", "extra") if k in kw}),
                           start=START, members=[*STAFF, *(CLUSTERS if members is None else members)],
                           **kw)
    bot.take()
    return bot


async def answer(bot: Any, member: str, *replies: str) -> None:
    await bot.say(member, "general", "!breakout")
    for reply in replies:
        await bot.dm(member, reply)


async def answer_clusters(bot: Any, skip: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    for c in range(4):
        for i in range(4):
            if f"c{c}m{i}" not in skip:
                await answer(bot, f"c{c}m{i}", str(c + 1), str(c + 1))


def created(acts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for a in acts if a["action"] == "create_group"]


def pairs(groups: list[list[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for g in groups for p in combinations(g, 2)}


# --------------------------------------------------------------------------- the done-when scenario


@pytest.mark.asyncio
async def test_four_clusters_make_four_groups_then_no_pair_meets_again(hearth_bot: Any) -> None:
    bot = await make(hearth_bot, "duration: 7d\non_close: archive",
                     members=[*CLUSTERS, {"id": "quiet"}, {"id": "half"}])
    await answer_clusters(bot)
    await answer(bot, "half", "1")  # stops half-way: incomplete answers never take part
    bot.take()
    await bot.say("olivia", "general", "!breakout preview")
    assert "Each group ends after 7d, then it is archived (read-only)." in bot.take()[-1]["text"]

    await bot.say("olivia", "general", "!breakout run")
    acts = bot.take()
    first = [sorted(g["members"]) for g in created(acts)]
    assert sorted(first) == [[f"c{c}m{i}" for i in range(4)] for c in range(4)]
    assert all(sum(m.endswith("m0") for m in g) == 1 for g in first)  # one leader each
    assert all(g["private"] and datetime.fromisoformat(g["expires"])
               == datetime.fromisoformat(g["time"]) + timedelta(days=7) for g in created(acts))
    [ice] = [a["text"] for a in acts if a["action"] == "send" and a["channel"] == "breakout-1-1"]
    assert "You have in common: " in ice and "(4 of you)" in ice and "A first question" in ice
    report = acts[-1]["text"]
    assert "Breakout round 1: 4 groups, 16 people" in report and "2.00" in report

    # The trial groups dissolve after `duration`, each with a summary first.
    await bot.say("c0m1", created(acts)[0]["channel"], "hello, fellow designers")
    await bot.wait("7d")
    acts = bot.take()
    assert sorted(a["channel"] for a in acts if a["action"] == "dissolve_group") == [
        f"breakout-1-{n}" for n in range(1, 5)]
    assert all(a["mode"] == "archive" for a in acts if a["action"] == "dissolve_group")
    summaries = [a for a in acts if a["action"] == "send" and "closes now" in a["text"]]
    assert len(summaries) == 4 and any("Messages: 1; people who wrote: 1" in a["text"] for a in summaries)

    await bot.say("olivia", "general", "!breakout run")
    second = [sorted(g["members"]) for g in created(bot.take())]
    assert len(second) == 4
    assert not pairs(first) & pairs(second)
    assert all(sum(m.endswith("m0") for m in g) == 1 for g in second)
    grouped = {m for g in first + second for m in g}
    assert "quiet" not in grouped and "half" not in grouped and "olivia" not in grouped


@pytest.mark.asyncio
async def test_preview_shows_the_groups_and_creates_nothing(hearth_bot: Any) -> None:
    bot = await make(hearth_bot, "max_groups: 3")
    await answer_clusters(bot)
    bot.take()
    await bot.say("olivia", "general", "!breakout preview")
    acts = bot.take()
    assert not created(acts)
    text = acts[-1]["text"]
    assert text.startswith("Next breakout round (nothing is created by this preview):")
    assert "3 private group channels for 12 people" in text
    assert "4 people wait for the next round (max_groups is 3)" in text
    assert "The groups stay open (no duration)." in text
    await bot.say("c1m1", "general", "!breakout preview")
    assert "for admins" in bot.take()[-1]["text"]


@pytest.mark.asyncio
async def test_people_left_over_by_max_groups_go_first_next_round(hearth_bot: Any) -> None:
    bot = await make(hearth_bot, "max_groups: 3\navoid_repeat_rounds: 0")
    await answer_clusters(bot)
    bot.take()
    await bot.say("olivia", "general", "!breakout run")
    first = {m for g in created(bot.take()) for m in g["members"]}
    left = {m["id"] for m in CLUSTERS} - first
    assert len(left) == 4
    await bot.say("olivia", "general", "!breakout run")
    second = {m for g in created(bot.take()) for m in g["members"]}
    assert left <= second


# --------------------------------------------------------------------------- the questionnaire


@pytest.mark.asyncio
async def test_the_questionnaire_is_asked_one_by_one_and_a_retake_replaces_the_answers(
        hearth_bot: Any) -> None:
    bot = await make(hearth_bot, members=[{"id": "ann"}, {"id": "bob"}, {"id": "cid"}])
    await bot.say("ann", "general", "!breakout")
    acts = bot.take()
    assert acts[-1]["text"] == "I sent you the breakout questionnaire by DM."
    questions = [a for a in acts if a["action"] == "dm" and a.get("choices")]
    assert [q["choices"] for q in questions] == [["engineering", "design", "marketing", "student"]]
    await bot.dm("ann", "2")
    [second] = [a for a in bot.take() if a.get("choices")]
    assert second["text"].startswith("[tea] Pick what you enjoy")
    await bot.dm("ann", "1 3")
    assert bot.take()[-1]["text"] == "Thank you! You take part in the next breakout round."
    for who in ("bob", "cid"):
        await answer(bot, who, "2", "1 3")

    # A retake left half-way keeps the earlier answers; a finished one replaces them.
    await answer(bot, "ann", "4")
    await bot.say("olivia", "general", "!breakout preview")
    assert "design (3 of you)" in bot.take()[-1]["text"]
    await bot.dm("ann", "4")
    await bot.say("olivia", "general", "!breakout preview")
    text = bot.take()[-1]["text"]
    assert "design (2 of you)" in text and "tea (2 of you)" in text
    assert "Each group ends after" not in text


@pytest.mark.asyncio
async def test_the_questionnaire_survives_a_restart_mid_way(hearth_bot: Any, tmp_path: Path) -> None:
    bot = await make(hearth_bot, members=[{"id": "ann"}], storage=tmp_path / "h.db")
    await bot.say("ann", "general", "!breakout")
    await bot.dm("ann", "3")
    bot.take()
    await bot.restart()
    await bot.dm("ann", "2 4")
    assert bot.take()[-1]["text"] == "Thank you! You take part in the next breakout round."


@pytest.mark.asyncio
async def test_stop_and_back(hearth_bot: Any) -> None:
    bot = await make(hearth_bot)
    await answer_clusters(bot)
    await bot.say("c0m1", "general", "!breakout stop")
    assert "You are out of the breakout rounds" in bot.take()[-1]["text"]
    await bot.say("olivia", "general", "!breakout run")
    assert "c0m1" not in {m for g in created(bot.take()) for m in g["members"]}
    await bot.say("c0m1", "general", "!breakout back")
    assert bot.take()[-1]["text"] == "You are back in the breakout rounds."
    await bot.say("olivia", "general", "!breakout preview")
    assert "C0M1" in bot.take()[-1]["text"].upper()


@pytest.mark.asyncio
async def test_an_answer_to_a_question_never_asked_is_ignored_with_a_short_reply(hearth_bot: Any) -> None:
    bot = await make(hearth_bot, members=[{"id": "ann"}])
    ctx = bot.app.contexts["tea"]["breakout"]
    ann = await bot.adapter.get_member("tea", "ann")
    # A question of an earlier questionnaire, still open when the config changed.
    await ctx.ask(ann, "Which tea?", ["green", "black"], key="tea")
    bot.take()
    await bot.dm("ann", "1")
    assert bot.take()[-1]["text"] == (
        "That question is not part of the questionnaire (any more); the answer was not kept.")
    assert await ctx.store.select("answers") == []


@pytest.mark.asyncio
async def test_newcomers_get_the_questionnaire_when_they_become_members(hearth_bot: Any) -> None:
    bot = await make(hearth_bot, members=[], extra="      welcome: {channel: general}\n")
    await bot.join("nina")
    assert not [a for a in bot.take() if a.get("choices")]  # a newcomer is not asked yet
    await bot.say("nina", "general", "!agree")
    asked = [a for a in bot.take() if a.get("choices")]
    assert [a["member"] for a in asked] == ["nina"]


@pytest.mark.asyncio
async def test_ask_newcomers_off(hearth_bot: Any) -> None:
    bot = await make(hearth_bot, "ask_newcomers: false", members=[],
                     extra="      welcome: {channel: general}\n")
    await bot.join("nina")
    await bot.say("nina", "general", "!agree")
    assert not [a for a in bot.take() if a.get("choices")]


# --------------------------------------------------------------------------- rounds on a cycle


@pytest.mark.asyncio
async def test_rounds_every_cycle_and_too_few_answers_are_a_note_to_the_admins(hearth_bot: Any) -> None:
    bot = await make(hearth_bot, "cycle: 30d\nreport_to: mods", members=[{"id": "ann"}, {"id": "bob"}])
    for who in ("ann", "bob"):
        await answer(bot, who, "1", "1")
    bot.take()
    await bot.wait("30d")
    acts = bot.take()
    assert not created(acts)
    [note] = [a for a in acts if a["action"] == "send" and a["channel"] == "mods"]
    assert note["text"] == ("Breakout round skipped on testing: 2 complete answers, 3 are needed "
                            "for one group.")
    for who in ("cid", "dan"):
        await bot.join(who)
        await answer(bot, who, "1", "1")
    await bot.wait("30d")
    acts = bot.take()
    assert [sorted(g["members"]) for g in created(acts)] == [["ann", "bob", "cid", "dan"]]
    assert any(a["channel"] == "mods" and a["text"].startswith("Breakout round 1:")
               for a in acts if a["action"] == "send")


@pytest.mark.asyncio
async def test_without_report_to_the_admins_get_the_note_by_dm(hearth_bot: Any) -> None:
    bot = await make(hearth_bot, "cycle: 7d", members=[{"id": "adam", "role": "admin"}])
    await bot.wait("7d")
    notes = [a for a in bot.take() if a["action"] == "dm"]
    assert sorted(a["member"] for a in notes) == ["adam", "olivia"]


@pytest.mark.asyncio
async def test_the_most_active_member_of_each_group_is_a_leader_candidate(hearth_bot: Any) -> None:
    bot = await make(hearth_bot, "duration: 3d\nrepresentatives: true")
    await answer_clusters(bot)
    await bot.say("olivia", "general", "!breakout run")
    groups = {tuple(sorted(g["members"])): g["channel"] for g in created(bot.take())}
    channel = groups[tuple(f"c2m{i}" for i in range(4))]
    for text in ("hi", "anyone here?", "I love books"):
        await bot.say("c2m3", channel, text)
    await bot.say("c2m1", channel, "me too")
    ctx = bot.app.contexts["tea"]["breakout"]
    assert await ctx.leader_candidates() == []  # offered when the group ends
    await bot.wait("3d")
    [candidate] = await ctx.leader_candidates()
    assert candidate.person == (await ctx.person(("testing", "c2m3"))).id
    assert candidate.reason == f"most active in breakout group {channel} (3 messages)"
    assert candidate.source == "breakout"


@pytest.mark.asyncio
async def test_texts_in_chinese(hearth_bot: Any) -> None:
    bot = await make(hearth_bot, language="zh", members=[{"id": "ann"}])
    await bot.say("ann", "general", "!breakout")
    assert bot.take()[-1]["text"] == "我已私信你小组问卷。"


# --------------------------------------------------------------------------- bad config


BAD = """communities:
  tea:
    channels: {{general: {{}}}}
    plugins:
      breakout:
{block}"""


@pytest.mark.parametrize(("block", "marker", "key", "problem"), [
    ("group_size: 1", "group_size: 1", "breakout.group_size", "a group needs at least 2 members (got 1)"),
    ("questions:\n  - {key: a, ask: A?, choices: [one]}", "[one]", "breakout.questions[0].choices",
     "a question needs at least two choices (got 1)"),
    ("questions:\n  - {key: a, ask: A?, choices: [x, y]}\n  - {key: a, ask: B?, choices: [x, y]}", "B?",
     "breakout.questions[1].key", "the question key 'a' is used twice (first by question 1)"),
    ("as: threads", "breakout:", "breakout", "as: threads needs thread_channel"),
])
def test_bad_config_is_refused_at_check_with_file_line_and_key(
        tmp_path: Path, block: str, marker: str, key: str, problem: str) -> None:
    text = BAD.format(block="".join(f"        {line}\n" for line in block.splitlines()))
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if marker in row)
    path = tmp_path / "hearth.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    assert f"{path}:{line}: communities.tea.plugins.{key}: {problem}" in result.output


def test_the_example_scenario(tmp_path: Path) -> None:
    """examples/scenarios/breakout.yaml with the shipped config: the done-when, end to end."""
    examples = Path(__file__).resolve().parents[2] / "examples"
    result = CliRunner().invoke(main, ["simulate", str(examples / "community.yaml"),
                                       str(examples / "scenarios" / "breakout.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    acts = [json.loads(line) for line in result.stdout.splitlines()]
    rounds: dict[str, list[list[str]]] = {}
    for g in created(acts):
        rounds.setdefault(g["channel"].split("-")[1], []).append(sorted(g["members"]))
    clusters = [sorted(c) for c in (["ada", "abe", "ari", "ava"], ["bea", "ben", "bo", "bri"],
                                    ["cy", "cal", "cleo", "cora"], ["dee", "dan", "dot", "dov"])]
    assert sorted(rounds["1"]) == sorted(clusters)
    leaders = {"ada", "bea", "cy", "dee"}
    assert all(len(leaders & set(g)) == 1 for r in rounds.values() for g in r)
    assert len(rounds["2"]) == 4 and not pairs(rounds["1"]) & pairs(rounds["2"])
    assert "quinn" not in {m for r in rounds.values() for g in r for m in g}
    dissolved = [a for a in acts if a["action"] == "dissolve_group"]
    opened = {g["channel"]: g for g in created(acts)}
    assert sorted(a["channel"] for a in dissolved) == [f"breakout-1-{n}" for n in range(1, 5)]
    assert all(a["time"] == opened[a["channel"]]["expires"] for a in dissolved)


@pytest.mark.asyncio
async def test_groups_as_private_threads_where_the_network_offers_them(hearth_bot: Any) -> None:
    options = "as: threads\nthread_channel: general"
    bot = await make(hearth_bot, options)
    await answer_clusters(bot)
    await bot.say("olivia", "general", "!breakout preview")
    assert "4 private threads in #general for 16 people" in bot.take()[-1]["text"]
    await bot.say("olivia", "general", "!breakout run")
    assert [g["within"] for g in created(bot.take())] == ["general"] * 4

    await bot.close()  # one bot at a time on a database (on PostgreSQL the second would stand by)
    # Matrix has no private threads: the groups are rooms of their own there.
    bot = await make(hearth_bot, options, platform="matrix")
    await answer_clusters(bot)
    await bot.say("olivia", "general", "!breakout preview")
    assert "4 private group channels for 16 people" in bot.take()[-1]["text"]
    await bot.say("olivia", "general", "!breakout run")
    groups = created(bot.take())
    assert len(groups) == 4 and all("within" not in g for g in groups)


TWO_NETWORKS = """
communities:
  tea:
    discord: {guild: "1"}
    matrix: {space: "!space:example.org"}
    channels: {general: {discord: "11", matrix: "!gen:example.org"}}
    plugins:
      breakout:
        questions: [{key: tea, ask: "Tea?", choices: [green, black]}]
        group_size: 2
"""


@pytest.mark.asyncio
async def test_on_two_networks_people_meet_within_one_and_a_linked_person_where_they_write_most(
        hearth_bot: Any) -> None:
    bot = await hearth_bot(TWO_NETWORKS, start=START, networks=["discord", "matrix"], members=[
        {"id": "olivia", "role": "owner"}, {"id": "ann"}, {"id": "bo"}, {"id": "bea"},
        {"id": "ann-m", "platform": "matrix"}, {"id": "cy", "platform": "matrix"},
        {"id": "dee", "platform": "matrix"}])
    await bot.say("ann", "general", "!link")
    dms = [a["text"] for a in bot.take() if a["action"] == "dm"]
    [code] = re.findall(r"link ([A-Z0-9]{4}-[A-Z0-9]{4})", dms[-1])
    await bot.dm("ann-m", f"!link {code}")
    for who in ("ann", "bo", "bea", "cy", "dee"):  # ann answers on Discord
        await answer(bot, who, "1")
    for text in ("hello from Matrix", "I mostly write here", "more tea?"):
        await bot.say("ann-m", "general", text)
    bot.take()
    await bot.say("olivia", "general", "!breakout run")
    groups = {(g["network"], tuple(sorted(g["members"]))) for g in created(bot.take())}
    assert groups == {("discord", ("bea", "bo")), ("matrix", ("ann-m", "cy", "dee"))}


@pytest.mark.asyncio
async def test_forget_erases_the_answers_and_history(hearth_bot: Any) -> None:
    bot = await make(hearth_bot)
    await answer_clusters(bot)
    await bot.say("olivia", "general", "!breakout run")
    ctx = bot.app.contexts["tea"]["breakout"]
    person = (await ctx.person(("testing", "c1m2"))).id

    async def rows(table: str) -> int:
        return len(await ctx.store.select(table, "person = ?", (person,)))

    assert await rows("answers") == 2 and await rows("placements") == 1
    await bot.app.forget(("testing", "c1m2"))
    assert await rows("answers") == 0 and await rows("placements") == 0


@pytest.mark.asyncio
async def test_newcomers_since_the_last_round_are_spread(hearth_bot: Any) -> None:
    bot = await make(hearth_bot, "avoid_repeat_rounds: 0", members=[
        {"id": f"old{i}", "role": "member"} for i in range(8)])
    for i in range(8):
        await answer(bot, f"old{i}", str(i % 2 + 1), "1")
    await bot.say("olivia", "general", "!breakout run")
    for i in range(4):  # four newcomers who answer alike
        await bot.join(f"new{i}")
        await answer(bot, f"new{i}", "4", "4")
    bot.take()
    await bot.say("olivia", "general", "!breakout run")
    groups = [g["members"] for g in created(bot.take())]
    assert len(groups) == 3
    assert sorted(sum(m.startswith("new") for m in g) for g in groups) == [1, 1, 2]


@pytest.mark.asyncio
async def test_the_dashboard_panels_show_rounds_and_open_groups_with_the_round_buttons(
        hearth_bot: Any) -> None:
    bot = await make(hearth_bot)
    rounds, groups = await bot.app.dashboard_panels("tea")
    assert rounds.title == "Breakout rounds" and rounds.note == "No round yet." and not groups.rows
    [controls] = rounds.rows
    assert [(a.label, a.command) for a in controls.actions] == [
        ("Preview", "breakout preview"), ("Run now", "breakout run")]
    await answer_clusters(bot)
    await bot.say("olivia", "general", f"!{controls.actions[1].command}")  # as the page would
    await bot.say("c0m1", "breakout-1-1", "hello")
    rounds, groups = await bot.app.dashboard_panels("tea")
    assert rounds.rows[1].cells[0::2] == ("round 1", "4") and rounds.rows[1].cells[3] == "16"
    assert sorted(r.cells[0] for r in groups.rows) == [f"breakout-1-{n}" for n in range(1, 5)]
    assert [r.cells[1:4] for r in groups.rows if r.cells[0] == "breakout-1-1"] == [("4", "1", "1")]
