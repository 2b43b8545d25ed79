"""The command line: exit codes, one-line errors, simulate's output contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hearth.cli import main

CONFIG = """\
accounts:
  discord: {token: "${HEARTH_CLI_TEST_TOKEN}"}
communities:
  tea-house:
    timezone: Asia/Shanghai
    discord: {guild: "1"}
    channels: {general: {discord: "11"}}
"""

SCENARIO = """\
community: tea-house
start: "2026-11-20T19:00:00+08:00"
members:
  - {id: olivia, name: Olivia, role: owner}
steps:
  - say: {id: olivia, channel: general, text: "!help", ref: hi}
  - wait: 1h
  - dm: {id: olivia, text: "!nope"}
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    config, scenario = tmp_path / "hearth.yaml", tmp_path / "scenario.yaml"
    config.write_text(CONFIG)
    scenario.write_text(SCENARIO)
    return config, scenario


def test_check_accepts_a_valid_config_and_warns_about_missing_secrets(files: tuple[Path, Path]) -> None:
    result = CliRunner().invoke(main, ["check", str(files[0])])
    assert result.exit_code == 0, result.output
    assert "OK (1 communities: tea-house)" in result.stdout
    assert "HEARTH_CLI_TEST_TOKEN is not set" in result.stderr


def test_check_refuses_unknown_key_and_bad_timezone(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(CONFIG.replace("Asia/Shanghai", "Mars/Olympus").replace("    channels:", "    chanels:"))
    result = CliRunner().invoke(main, ["check", str(bad)])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if str(bad) in line and "warning:" not in line]
    assert f"{bad}:5: communities.tea-house.timezone: unknown timezone 'Mars/Olympus'" in lines[0]
    assert lines[1].startswith(f"{bad}:7: communities.tea-house.chanels: unknown key 'chanels'")
    assert lines[-1] == f"hearth: {bad}: 2 errors; nothing was started"
    assert "Traceback" not in result.output


def test_simulate_json_prints_one_object_per_action(files: tuple[Path, Path]) -> None:
    result = CliRunner().invoke(main, ["simulate", str(files[0]), str(files[1]), "--json"])
    assert result.exit_code == 0, result.output
    actions = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["action"] for a in actions] == ["send", "dm"]
    assert actions[0]["time"] == "2026-11-20T19:00:00+08:00"
    assert actions[0]["channel"] == "general" and actions[0]["reply_to"] == "hi"
    assert actions[1] == {"time": "2026-11-20T20:00:00+08:00", "action": "dm", "member": "olivia",
                          "text": "Unknown command !nope. Type !help to see the commands."}


def test_simulate_names_file_and_line_of_a_bad_scenario(files: tuple[Path, Path]) -> None:
    files[1].write_text(SCENARIO.replace("  - wait: 1h", "  - wait: soon").replace("channel: general",
                                                                                     "channel: lounge"))
    result = CliRunner().invoke(main, ["simulate", str(files[0]), str(files[1]), "--json"])
    assert result.exit_code == 2
    assert f"{files[1]}:7: steps[1].wait: 'soon' is not a duration" in result.stderr
    assert result.stdout == ""

    files[1].write_text(SCENARIO.replace("channel: general", "channel: lounge"))
    result = CliRunner().invoke(main, ["simulate", str(files[0]), str(files[1]), "--json"])
    assert result.exit_code == 2
    assert f"{files[1]}:6: steps[0]: no channel 'lounge' in tea-house" in result.stderr


def test_run_refuses_a_community_without_an_account(files: tuple[Path, Path]) -> None:
    result = CliRunner().invoke(main, ["run", str(files[0])], env={"HEARTH_CLI_TEST_TOKEN": ""})
    assert result.exit_code == 2
    assert "accounts.discord.token: the bot token is empty" in result.stderr
    assert "Traceback" not in result.output


def test_console_plays_members_against_the_real_core(files: tuple[Path, Path], tmp_path: Path) -> None:
    script = "/join alice Alice\n!help\n/as owner\n/time +2h\n/members\n/quit\n"
    result = CliRunner().invoke(main, ["console", str(files[0]), "--db", str(tmp_path / "c.db")],
                                input=script)
    assert result.exit_code == 0, result.output
    assert "@alice joined; you are @alice" in result.stdout
    assert "bot> send #general" in result.stdout and "Commands you can use" in result.stdout
    assert "@alice Alice — member" in result.stdout


def test_plugins_lists_adapters_with_versions() -> None:
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 0
    assert "console" in result.stdout and "testing" in result.stdout


TWO_COMMUNITIES = """\
communities:
  tea-house:
    timezone: Asia/Shanghai
    channels: {general: {}, ads: {}}
    plugins:
      ad_window:
        windows: [{days: [sat], from: "20:00", to: "22:00"}]
        escalation: [{mute: 1h}, kick]
  book-club:
    channels: {general: {}}
"""

REFUSED = """\
community: tea-house
start: "2026-11-20T19:00:00+08:00"
members:
  - {id: bob, name: Bob}
steps:
  - say: {id: bob, channel: general, text: "cheap tea at https://cheap-tea.com", ref: ad1}
  - say: {id: bob, channel: general, text: "hello?"}
  - wait: 1h
  - say: {id: bob, channel: general, text: "cheap tea at https://cheap-tea.com", ref: ad2}
  - say: {id: bob, channel: general, text: "let me in"}
"""


def test_simulate_refuses_posts_of_muted_and_kicked_members_and_names_the_community(
    tmp_path: Path,
) -> None:
    config, scenario = tmp_path / "hearth.yaml", tmp_path / "scenario.yaml"
    config.write_text(TWO_COMMUNITIES)
    scenario.write_text(REFUSED)
    result = CliRunner().invoke(main, ["simulate", str(config), str(scenario), "--json"])
    assert result.exit_code == 0, result.output
    actions = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(a["community"] == "tea-house" for a in actions)
    refused = [a for a in actions if a["action"] == "refused"]
    assert refused == [
        {"time": "2026-11-20T19:00:00+08:00", "action": "refused", "community": "tea-house",
         "member": "bob", "why": "muted"},
        {"time": "2026-11-20T20:00:00+08:00", "action": "refused", "community": "tea-house",
         "member": "bob", "why": "kicked"},
    ]
    kinds = [a["action"] for a in actions]
    assert kinds.index("unmute") < kinds.index("kick") < len(kinds) - 1
    human = CliRunner().invoke(main, ["simulate", str(config), str(scenario)])
    assert "2026-11-20 20:00 [tea-house] refused @bob why=kicked" in human.stdout


@pytest.mark.asyncio
async def test_the_test_bot_reports_actions_as_simulate_prints_them(tmp_path: Path) -> None:
    from hearth.adapters.testing import TestBot
    from hearth.bootstrap import load
    from hearth.simulate import load_scenario, run_scenario

    config, scenario = tmp_path / "hearth.yaml", tmp_path / "scenario.yaml"
    config.write_text(TWO_COMMUNITIES)
    scenario.write_text(REFUSED)
    loaded = load(config)
    printed: list[dict] = []
    await run_scenario(loaded, load_scenario(scenario, loaded), printed.append)

    bot = await TestBot.create(config, start="2026-11-20T19:00:00+08:00", members=[{"id": "bob"}])
    try:
        await bot.say("bob", "general", "cheap tea at https://cheap-tea.com", ref="ad1")
        await bot.say("bob", "general", "hello?")
        await bot.wait("1h")
        await bot.say("bob", "general", "cheap tea at https://cheap-tea.com", ref="ad2")
        await bot.say("bob", "general", "let me in")
        taken = bot.take()
    finally:
        await bot.close()
    assert taken == printed
    assert json.loads(json.dumps(taken)) == taken  # plain JSON values only
