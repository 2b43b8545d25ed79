"""`hearth simulate` and the console with bad scenarios and absurd times (issue 10, items 20, 23, 25)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hearth.cli import main

CONFIG = """\
communities:
  tea-house:
    timezone: Asia/Shanghai
    discord: {guild: "1"}
    channels: {general: {discord: "11"}, mods: {discord: "12"}, ads: {discord: "13"}}
    plugins:
      ad_window: {audit_channel: mods, ad_channels: [ads]}
      welcome: {channel: general, message: "Hi {name}, invited by {inviter}."}
"""

HEAD = """\
community: tea-house
start: "2026-11-20T19:00:00+08:00"
members:
  - {id: olivia, role: owner}
  - {id: carol}
steps:
"""


def simulate(tmp_path: Path, steps: str, head: str = HEAD) -> tuple[Result, Path]:
    config, scenario = tmp_path / "hearth.yaml", tmp_path / "scenario.yaml"
    config.write_text(CONFIG)
    scenario.write_text(head + steps)
    result = CliRunner().invoke(main, ["simulate", str(config), str(scenario), "--json"])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result, scenario


def test_an_edit_step_is_judged_like_a_message(tmp_path: Path) -> None:
    result, _ = simulate(tmp_path, """\
  - say: {id: carol, channel: general, text: "hello everyone", ref: hi}
  - edit: {id: carol, ref: hi, text: "cheap tea at shop.example.com"}
""")
    assert result.exit_code == 0, result.output
    actions = [json.loads(line) for line in result.stdout.splitlines()]
    deleted = [a for a in actions if a["action"] == "delete"]
    assert len(deleted) == 1 and deleted[0]["message"] == "hi" and deleted[0]["member"] == "carol"


def test_an_edit_of_someone_elses_message_is_refused_at_its_line(tmp_path: Path) -> None:
    result, scenario = simulate(tmp_path, """\
  - say: {id: carol, channel: general, text: "hello", ref: hi}
  - edit: {id: olivia, ref: hi, text: "changed"}
""")
    assert result.exit_code == 2
    assert f"{scenario}:8: steps[1]: message 'hi' is not by 'olivia'" in result.stderr


def test_a_duplicate_ref_is_refused_naming_both_lines(tmp_path: Path) -> None:
    result, scenario = simulate(tmp_path, """\
  - say: {id: carol, channel: general, text: "one", ref: hi}
  - dm: {id: carol, text: "two", ref: hi}
  - say: {id: carol, channel: general, text: "three", ref: s1}
  - say: {id: carol, channel: general, text: "four"}
""")
    assert result.exit_code == 2
    assert f"{scenario}:8: steps[1]: ref 'hi' is already the id of the message on line 7" in result.stderr
    assert "'s1'" not in result.stderr  # step 1 is named hi, so s1 is free
    assert result.stdout == ""


def test_a_ref_clashing_with_a_default_id_is_refused(tmp_path: Path) -> None:
    result, scenario = simulate(tmp_path, """\
  - say: {id: carol, channel: general, text: "one"}
  - say: {id: carol, channel: general, text: "two", ref: s1}
""")
    assert result.exit_code == 2
    assert f"{scenario}:8: steps[1]: ref 's1' is already the id of the message on line 7" in result.stderr


@pytest.mark.parametrize("member", ['{id: ""}', '{id: "two words"}'])
def test_an_empty_member_id_is_refused(tmp_path: Path, member: str) -> None:
    result, scenario = simulate(tmp_path, "  - wait: 1h\n", head=HEAD.replace("{id: carol}", member))
    assert result.exit_code == 2
    assert f"{scenario}:5: members[1].id: a member id is one word, such as alice" in result.stderr


def test_a_join_with_an_empty_id_is_refused(tmp_path: Path) -> None:
    result, scenario = simulate(tmp_path, '  - join: {id: ""}\n')
    assert result.exit_code == 2
    assert f"{scenario}:7: steps[0].join.id: a member id is one word" in result.stderr


@pytest.mark.parametrize("wait", ["99999999d", "9999999999d", "367d"])
def test_a_wait_beyond_the_jump_cap_is_refused(tmp_path: Path, wait: str) -> None:
    result, scenario = simulate(tmp_path, f"  - wait: {wait}\n")
    assert result.exit_code == 2
    expected = f"{scenario}:7: steps[0].wait: '{wait}' is longer than 366d, the most allowed here"
    assert expected in result.stderr


def test_a_jump_to_a_far_date_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    result, scenario = simulate(tmp_path, '  - at: "2030-01-01T00:00:00+08:00"\n')
    assert result.exit_code == 2
    assert (f"{scenario}:7: steps[0]: a jump of more than 366d at once is refused (to 2030-01-01); "
            "move time in steps of at most 366d") in result.stderr
    result, scenario = simulate(tmp_path, '  - at: "9999-12-31T00:00:00+08:00"\n')
    assert result.exit_code == 2
    assert "steps[0].at: 9999-12-31T00:00:00+08:00 is outside virtual time (years 1970 to 8999)" \
        in result.stderr


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-12:00"])
def test_a_start_outside_virtual_time_is_refused(tmp_path: Path, start: str) -> None:
    result, scenario = simulate(tmp_path, "  - wait: 1h\n",
                                head=HEAD.replace("2026-11-20T19:00:00+08:00", start))
    assert result.exit_code == 2
    assert f"{scenario}:2: start: {start} is outside virtual time" in result.stderr


def test_declared_extra_placeholders_are_rendered(tmp_path: Path) -> None:
    result, _ = simulate(tmp_path, "  - join: {id: alice, name: Alice, invited_by: carol}\n")
    assert result.exit_code == 0, result.output
    sent = [json.loads(line) for line in result.stdout.splitlines()]
    assert any(a["action"] == "send" and a["text"].startswith("Hi Alice, invited by") for a in sent)


# --------------------------------------------------------------------------- console


def console(tmp_path: Path, script: str) -> Result:
    config = tmp_path / "hearth.yaml"
    config.write_text(CONFIG)
    result = CliRunner().invoke(main, ["console", str(config), "--db", str(tmp_path / "c.db")],
                                input=script)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def test_console_time_jumps_are_capped_and_the_session_goes_on(tmp_path: Path) -> None:
    result = console(tmp_path, "/time +99999999d\n/time +400d\n/time +2h\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "! '99999999d' is longer than 366d, the most allowed here" in result.stdout
    assert "! '400d' is longer than 366d, the most allowed here" in result.stdout
    assert "time is now" in result.stdout


def test_console_refuses_an_empty_member_id(tmp_path: Path) -> None:
    result = console(tmp_path, '/join ""\n/join "two words"\n/members\n/quit\n')
    assert result.exit_code == 0, result.output
    assert "! '' is not a member id (one word, such as alice)" in result.stdout
    assert "! 'two words' is not a member id" in result.stdout
    assert "joined" not in result.stdout
