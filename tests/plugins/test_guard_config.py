"""guard's config block: defaults, and errors at ``hearth check`` naming file, line and key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from hearth import Step
from hearth.bootstrap import load
from hearth.cli import main
from hearth.models import Role

HEAD = """\
communities:
  tea-house:
    discord: {guild: "1"}
    channels:
      general: {discord: "11"}
      mods: {discord: "44"}
    plugins:
      guard:
"""


def check(tmp_path: Path, block: str) -> tuple[int, str]:
    path = tmp_path / "hearth.yaml"
    path.write_text(HEAD + block)
    result = CliRunner().invoke(main, ["check", str(path)])
    return result.exit_code, result.output


def test_empty_block_has_documented_defaults(tmp_path: Path) -> None:
    path = tmp_path / "hearth.yaml"
    path.write_text(HEAD.replace("guard:", "guard: {}"))
    cfg = load(path).config.communities["tea-house"].plugins["guard"]
    assert cfg.reports.channel is None and cfg.reports.reward == "thanks"
    assert (cfg.reports.throttle.dismissed, cfg.reports.throttle.within) == (3, timedelta(days=7))
    assert cfg.words.block == [] and cfg.words.action == "strike"
    assert cfg.words.exempt_roles == [Role.ADMIN]
    assert cfg.escalation[:2] == [Step("warn"), Step("mute", timedelta(hours=1))]
    assert cfg.strike_decay == timedelta(days=30) and cfg.audit_channel is None


def test_errors_name_file_line_and_key(tmp_path: Path) -> None:
    code, out = check(tmp_path, """\
        reports: {channel: market, reward: cake}
        words:
          block: ["ok", "\\u200b"]
          patterns: ["(a)\\\\1"]
          action: delete
        escalation: [warn, mute]
        strike_decay: forever
""")
    assert code == 2
    path = tmp_path / "hearth.yaml"
    for line, key, what in [
        (9, "guard.reports.channel", "unknown channel 'market'"),
        (9, "guard.reports.reward", "'cake'"),
        (11, "guard.words.block", "entry 2"),
        (12, "guard.words.patterns", "backreference"),
        (13, "guard.words.action", "'delete'"),
        (14, "guard.escalation", "mute needs a duration"),
        (15, "guard.strike_decay", "forever"),
    ]:
        found = [ln for ln in out.splitlines() if f"{path}:{line}:" in ln and key in ln and what in ln]
        assert found, (line, key, what, out)


def test_report_action_needs_somewhere_to_report(tmp_path: Path) -> None:
    code, out = check(tmp_path, "        words: {block: [darn], action: report}\n")
    assert code == 2 and "words.action: report needs reports.channel" in out
    block = "        words: {block: [darn], action: report}\n        audit_channel: mods\n"
    code, out = check(tmp_path, block)
    assert code == 0, out
