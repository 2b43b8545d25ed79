"""`hearth simulate` with a dialog: `dm` lines of a question carry `choices`; a `dm` step answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hearth.bootstrap import load
from hearth.simulate import human, load_scenario, run_scenario
from tests.questionnaire import Questionnaire

CONFIG = """\
communities:
  tea-house:
    timezone: Asia/Shanghai
    discord: {guild: "1"}
    channels: {general: {discord: "11"}}
    plugins: {survey: {}}
"""

SCENARIO = """\
community: tea-house
start: "2026-11-20T19:00:00+08:00"
members:
  - {id: carol}
steps:
  - say: {id: carol, channel: general, text: "!survey"}
  - dm:  {id: carol, text: "I brew tea"}
  - dm:  {id: carol, text: "9"}
  - dm:  {id: carol, text: "3"}
  - dm:  {id: carol, text: "2 4"}
"""


@pytest.mark.asyncio
async def test_simulate_shows_a_questions_choices_and_takes_dm_steps_as_answers(tmp_path: Path) -> None:
    survey = Questionnaire()
    loaded = load(CONFIG, extra_plugins={"survey": survey}, text=True)
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO)
    out: list[dict[str, Any]] = []
    await run_scenario(loaded, load_scenario(path, loaded), out.append)
    assert [(a["action"], a["text"].split("\n")[0], a.get("choices")) for a in out] == [
        ("dm", "[tea-house] What do you do for a living?", None),
        ("dm", "[tea-house] Which tea do you drink most?", ["Green", "Black", "Oolong"]),
        ("dm", "[tea-house] Answer with one number from 1 to 3.", None),
        ("dm", "[tea-house] What do you enjoy?", ["Hiking", "Reading", "Cooking", "Music"]),
    ]
    assert out[1]["time"] == "2026-11-20T19:00:00+08:00"
    assert [a[3].text for a in survey.answers] == ["I brew tea", "Oolong", "Reading, Music"]
    assert human(out[1]) == (
        "2026-11-20 19:00 dm @carol\n    [tea-house] Which tea do you drink most?\n    1. Green\n"
        "    2. Black\n    3. Oolong\n    Answer with one number from 1 to 3.")
