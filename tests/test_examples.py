"""The shipped examples stay valid: the config checks, every scenario simulates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hearth.cli import bundled_example, main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCENARIOS = sorted((EXAMPLES / "scenarios").glob("*.yaml"))


def test_bundled_example_is_the_shipped_one() -> None:
    assert bundled_example().read_text() == (EXAMPLES / "community.yaml").read_text()


def test_example_config_checks_and_enables_every_builtin_plugin() -> None:
    result = CliRunner().invoke(main, ["check", str(EXAMPLES / "community.yaml")])
    assert result.exit_code == 0, result.output
    from hearth.bootstrap import load
    from hearth.registry import BUILTIN_PLUGINS

    community = load(EXAMPLES / "community.yaml").config.communities["tea-house"]
    assert set(BUILTIN_PLUGINS) <= set(community.plugins)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_every_example_scenario_simulates(scenario: Path) -> None:
    result = CliRunner().invoke(main, ["simulate", str(EXAMPLES / "community.yaml"), str(scenario), "--json"])
    assert result.exit_code == 0, result.output
    actions = [json.loads(line) for line in result.stdout.splitlines()]
    assert actions and all({"time", "action"} <= a.keys() for a in actions)
