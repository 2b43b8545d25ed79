"""The community's rules: a community key, the core ``!rules`` command, the deprecated ``welcome.rules``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hearth.bootstrap import load
from hearth.cli import main

RULES = """
communities:
  tea:
    language: {language}
    rules: |
      1. Tea first.
      2. Be kind.
    channels: {{general: {{}}}}
  quiet:
    language: {language}
    channels: {{general: {{}}}}
"""


@pytest.mark.asyncio
@pytest.mark.parametrize(("language", "shown", "none"), [
    ("en", "The rules of tea:\n\n1. Tea first.\n2. Be kind.", "quiet has not written down its rules yet."),
    ("zh", "tea 的群规:\n\n1. Tea first.\n2. Be kind.", "quiet 还没有写下群规。"),
])
async def test_the_rules_command_shows_the_communitys_rules(
    hearth_bot, language: str, shown: str, none: str
) -> None:
    config = RULES.format(language=language)
    bot = await hearth_bot(config, community="tea", members=[{"id": "nina", "role": "newcomer"}])
    await bot.dm("nina", "!rules")
    assert bot.take()[-1]["text"] == shown
    quiet = await hearth_bot(config, community="quiet", members=[{"id": "nina"}])
    await quiet.say("nina", "general", "!rules")
    assert quiet.take()[-1]["text"] == none


def test_the_rules_are_a_community_key() -> None:
    loaded = load(RULES.format(language="en"), text=True)
    assert loaded.config.communities["tea"].rules == "1. Tea first.\n2. Be kind.\n"
    assert loaded.config.communities["quiet"].rules is None
    assert loaded.warnings == []


OLD_PLACE = """\
communities:
  tea:
    channels: {general: {}}
    plugins:
      welcome:
        rules: "1. Old place."
  garden:
    rules: "1. New place."
    channels: {general: {}}
    plugins:
      welcome:
        rules: "1. Old place."
"""


def test_welcome_rules_are_still_read_with_a_deprecation_warning_from_check(tmp_path: Path) -> None:
    path = tmp_path / "hearth.yaml"
    path.write_text(OLD_PLACE)
    loaded = load(path)
    assert loaded.config.communities["tea"].rules == "1. Old place."
    assert loaded.config.communities["garden"].rules == "1. New place."
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"{path}:6: communities.tea.plugins.welcome.rules: warning: deprecated: the rules live on "
        "the community; move it to communities.tea.rules",
        f"{path}:12: communities.garden.plugins.welcome.rules: warning: deprecated: the rules live on "
        "the community; ignored, as communities.garden.rules is set",
    ]
