"""Issue 17 done-when, as an operator sees it: ``hearth simulate`` on the shipped guard scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from hearth.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def simulate() -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["simulate", str(EXAMPLES / "community.yaml"),
                                       str(EXAMPLES / "scenarios" / "guard.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def find(actions: list[dict[str, Any]], action: str, **match: Any) -> list[dict[str, Any]]:
    return [a for a in actions if a["action"] == action
            and all(str(match[k]) in str(a.get(k)) for k in match)]


def test_an_ad_strike_and_an_upheld_report_add_up_to_a_mute_that_the_network_enforces() -> None:
    actions = simulate()
    assert find(actions, "dm", member="bob", text="This is a warning (strike 1).")
    assert find(actions, "delete", message="rude", reason="report 1 upheld")
    assert [a["until"] for a in find(actions, "mute", member="bob")] == ["2026-11-20T20:00:00+08:00"]
    # the muted member's post is refused by the imitated network; after the mute it is not
    assert [a["time"] for a in find(actions, "refused", member="bob", why="muted")] == [
        "2026-11-20T19:00:00+08:00"]


def test_the_guard_scenario_does_what_issue_17_asks() -> None:
    actions = simulate()

    def find(action: str, **match: Any) -> list[dict[str, Any]]:
        return [a for a in actions if a["action"] == action
                and all(str(match[k]) in str(a.get(k)) for k in match)]

    # the reporter's !report is removed and thanked; the leader warns and mutes but cannot kick
    assert find("delete", member="carol", reason="reporter stays anonymous")
    assert find("send", channel="general", text="Thanks to @carol")
    assert find("dm", member="dan", text="warned you")
    assert [a["until"] for a in find("mute", member="dan")] == ["2026-11-20T19:30:20+08:00"]
    assert find("send", text="!kick is for admins and above; you are a leader.")
    assert not find("kick")
    # bad input: an equal or higher role, a bad duration, an unknown report
    assert find("send", text="You cannot mute Adam")
    assert find("send", text="'soon' is not a duration")
    assert find("send", text="There is no report 9.")
    # a blocked word in full-width letters
    assert find("delete", message="insult", reason="blocked word")
