"""The questionnaire on the console: numbered text questions, typed answers, across a restart."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hearth.adapters.console.repl import Console
from hearth.bootstrap import load
from tests.questionnaire import Questionnaire

CONFIG = """\
communities:
  tea-house:
    channels: {general: {}}
    plugins: {survey: {}}
"""


async def session(survey: Questionnaire, db: Path, lines: list[str]) -> str:
    out = io.StringIO()
    console = Console(load(CONFIG, extra_plugins={"survey": survey}, text=True),
                      f"sqlite:///{db}", out=out)
    feed = iter([*lines, ""])
    await console.run(lambda: next(feed))
    return out.getvalue()


@pytest.mark.asyncio
async def test_the_questionnaire_runs_on_the_console_as_numbered_text(tmp_path: Path) -> None:
    survey = Questionnaire()
    db = tmp_path / "console.db"
    shown = await session(survey, db, ["!survey", "/dm I run a tea shop", "/dm 5"])
    assert "bot> dm @owner\n        [tea-house] What do you do for a living?" in shown
    assert ("[tea-house] Which tea do you drink most?\n        1. Green\n        2. Black\n"
            "        3. Oolong\n        Answer with one number from 1 to 3.") in shown
    assert "bot> dm @owner\n        [tea-house] Answer with one number from 1 to 3." in shown
    assert "choices=" not in shown
    # The console is stopped mid-way; the next session answers the open question.
    shown = await session(survey, db, ["/dm 1", "/dm 3 4"])
    assert "[tea-house] What do you enjoy?\n        1. Hiking" in shown
    assert [(a[2], a[3].text) for a in survey.answers] == [
        ("work", "I run a tea shop"), ("tea", "Green"), ("hobbies", "Cooking, Music")]
