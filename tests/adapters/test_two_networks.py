"""One community on Discord and Matrix at once, in memory: each network renders mentions its own way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hearth.adapters.testing import TestBot
from hearth.cli import main

CONFIG = """\
communities:
  tea:
    discord: {guild: "1"}
    matrix: {space: "!space:example.org"}
    channels:
      general: {discord: "11", matrix: "!gen:example.org"}
      mods: {discord: "12", matrix: "!mods:example.org"}
    plugins:
      welcome:
        channel: general
        message: "Welcome {mention} to {community}!"
        rules_delivery: [dm]
      ad_window: {audit_channel: mods}
"""


def by_network(actions: list[dict], action: str, channel: str) -> dict[str, dict]:
    return {a["network"]: a for a in actions if a["action"] == action and a.get("channel") == channel}


def first_line(action: dict, field: str = "text") -> str:
    return action[field].replace("<br>", "\n").splitlines()[0]


@pytest.mark.asyncio
async def test_a_welcome_mention_renders_on_each_network_its_own_way(hearth_bot) -> None:
    bot: TestBot = await hearth_bot(CONFIG, networks=["discord", "matrix"], members=[
        {"id": "olivia", "role": "owner"}, {"id": "carol", "platform": "matrix"}])
    await bot.join("dana", "Dana")  # on the first network: Discord
    posted = by_network(bot.take(), "send", "general")
    assert first_line(posted["discord"]) == "Welcome <@dana> to tea!"
    assert first_line(posted["matrix"]) == "Welcome @Dana to tea!"
    assert "html" not in posted["matrix"] and "mentions" not in posted["matrix"]  # named, not pinged

    await bot.join("erin", "Erin", platform="matrix")
    actions = bot.take()
    posted = by_network(actions, "send", "general")
    assert first_line(posted["matrix"]) == "Welcome Erin to tea!"  # a pill shows the display name
    pill = '<a href="https://matrix.to/#/@erin">Erin</a>'
    assert first_line(posted["matrix"], "html") == f"Welcome {pill} to tea!"
    assert posted["matrix"]["mentions"] == ["erin"]  # m.mentions
    assert first_line(posted["discord"]) == "Welcome @Erin to tea!"  # no Matrix id on Discord
    assert "erin" not in posted["discord"]["text"]
    [rules] = [a for a in actions if a["action"] == "dm"]
    assert (rules["member"], rules["network"]) == ("erin", "matrix")  # the DM goes where she is


@pytest.mark.asyncio
async def test_an_audit_line_shows_the_account_id_only_on_its_own_network(hearth_bot) -> None:
    bot: TestBot = await hearth_bot(CONFIG, networks=["discord", "matrix"], members=[
        {"id": "olivia", "role": "owner"}, {"id": "mal", "name": "Mal", "platform": "matrix"}])
    await bot.say("mal", "general", "cheap tea at https://shop.example.com")
    audit = by_network(bot.take(), "send", "mods")
    assert "Mal (`mal`)" in audit["matrix"]["text"]
    assert "Mal (matrix)" in audit["discord"]["text"] and "`mal`" not in audit["discord"]["text"]


def test_a_scenario_puts_members_on_either_network(tmp_path: Path) -> None:
    config, scenario = tmp_path / "hearth.yaml", tmp_path / "scenario.yaml"
    config.write_text(CONFIG)
    scenario.write_text("""\
community: tea
start: "2026-11-20T19:00:00+08:00"
members:
  - {id: olivia, role: owner}
steps:
  - join: {id: carol-m, name: Carol, platform: matrix}
""")
    result = CliRunner().invoke(main, ["simulate", str(config), str(scenario), "--json"])
    assert result.exit_code == 0, result.output
    sends = [json.loads(line) for line in result.stdout.splitlines()]
    welcome = {a["network"]: first_line(a) for a in sends if a["action"] == "send"}
    assert welcome == {"discord": "Welcome @Carol to tea!", "matrix": "Welcome Carol to tea!"}


def test_members_all_on_the_default_network_run_on_one_network(tmp_path: Path) -> None:
    config, scenario = tmp_path / "hearth.yaml", tmp_path / "scenario.yaml"
    config.write_text(CONFIG)
    scenario.write_text("""\
community: tea
start: "2026-11-20T19:00:00+08:00"
members:
  - {id: olivia, role: owner, platform: discord}
steps:
  - join: {id: carol, name: Carol, platform: discord}
""")
    result = CliRunner().invoke(main, ["simulate", str(config), str(scenario), "--json"])
    assert result.exit_code == 0, result.output
    sends = [json.loads(line) for line in result.stdout.splitlines() if '"send"' in line]
    assert [first_line(a) for a in sends] == ["Welcome @carol to tea!"]
    assert "network" not in sends[0]


def test_a_member_on_a_network_the_community_is_not_on_is_refused_at_its_line(tmp_path: Path) -> None:
    config, scenario = tmp_path / "hearth.yaml", tmp_path / "scenario.yaml"
    config.write_text(CONFIG.replace('    matrix: {space: "!space:example.org"}\n', ""))
    scenario.write_text("""\
community: tea
start: "2026-11-20T19:00:00+08:00"
members:
  - {id: olivia, role: owner}
  - {id: carol, platform: matrix}
""")
    result = CliRunner().invoke(main, ["simulate", str(config), str(scenario), "--json"])
    assert result.exit_code == 2
    assert "scenario.yaml:5" in result.output and "not on matrix" in result.output


def test_the_console_names_members_and_the_neutral_network_uses_scenario_ids() -> None:
    from hearth import Member, mention
    from hearth.adapters.console.adapter import ConsoleAdapter
    from hearth.adapters.testing import TestingAdapter

    ann = Member(platform="console", id="ann", name="Ann Lee")
    assert ConsoleAdapter(communities={}).render("hi " + mention(ann)) == {"text": "hi @Ann Lee"}
    bo = Member(platform="testing", id="bo", name="Bo")
    assert TestingAdapter(communities={}).render("hi " + mention(bo)) == {"text": "hi @bo"}
