"""Config loading: every error names file, line, key, value and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hearth import Duration, PluginConfig, hookimpl
from hearth.bootstrap import load
from hearth.cli import main
from hearth.config import ChannelName
from hearth.errors import ConfigError


class _Cfg(PluginConfig):
    channel: ChannelName = "general"
    every: Duration = "1h"  # type: ignore[assignment]


class _Plugin:
    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return _Cfg


PLUGINS = {"demo": _Plugin()}

GOOD = """\
storage: sqlite:///x.db
accounts:
  discord:
    token: ${HEARTH_TEST_TOKEN}
communities:
  tea-house:
    timezone: Europe/Berlin
    discord: {guild: "123"}
    channels:
      general: {discord: "1"}
    plugins:
      demo: {every: 2h}
"""


def _issues(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "hearth.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load(path, extra_plugins=PLUGINS)
    return [str(i) for i in info.value.issues if not i.warning]


def test_valid_config_loads_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTH_TEST_TOKEN", "s3cret")
    path = tmp_path / "hearth.yaml"
    path.write_text(GOOD)
    loaded = load(path, extra_plugins=PLUGINS)
    community = loaded.config.communities["tea-house"]
    assert str(community.timezone) == "Europe/Berlin"
    assert community.plugins["demo"].every.total_seconds() == 7200
    assert community.platforms() == ["discord"]
    token = loaded.config.accounts["discord"].token
    assert token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(loaded.config.accounts["discord"])


def test_catch_up_is_read_from_the_top_level(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    monkeypatch.setenv("HEARTH_TEST_TOKEN", "s3cret")
    path = tmp_path / "hearth.yaml"
    path.write_text("catch_up: {max_events: 50, report_to: general}\n" + GOOD)
    catch_up = load(path, extra_plugins=PLUGINS).config.catch_up
    assert (catch_up.max_events, catch_up.report_to) == (50, "general")
    issues = _issues("catch_up: {max_events: -1}\n" + GOOD, tmp_path)
    assert len(issues) == 1 and issues[0].startswith(
        f"{tmp_path / 'hearth.yaml'}:1: catch_up.max_events:")


def test_web_is_optional_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTH_TEST_TOKEN", "s3cret")
    path = tmp_path / "hearth.yaml"
    path.write_text(GOOD)
    assert load(path, extra_plugins=PLUGINS).config.web is None
    path.write_text("web: {}\n" + GOOD)
    web = load(path, extra_plugins=PLUGINS).config.web
    assert web is not None and (web.host, web.port, web.base_url) == (
        "127.0.0.1", 8470, "http://127.0.0.1:8470")
    path.write_text("web:\n  listen: 0.0.0.0:9000\n  public_url: https://h.example.org/\n" + GOOD)
    web = load(path, extra_plugins=PLUGINS).config.web
    assert web is not None and (web.port, web.base_url) == (9000, "https://h.example.org")
    issues = _issues("web:\n  listen: localhost\n  public_url: ftp://x\n  port: 1\n" + GOOD, tmp_path)
    where = tmp_path / "hearth.yaml"
    assert len(issues) == 3, issues
    assert issues[0].startswith(f"{where}:2: web.listen: 'localhost' is not HOST:PORT")
    assert issues[1].startswith(f"{where}:3: web.public_url: 'ftp://x' is not a web address")
    assert issues[2].startswith(f"{where}:4: web.port: unknown key 'port'")


def test_unknown_key_names_file_line_and_suggests(tmp_path: Path) -> None:
    text = GOOD.replace("    timezone: Europe/Berlin\n", "    timezone: Europe/Berlin\n    chanels: {}\n")
    issues = _issues(text, tmp_path)
    assert len(issues) == 1
    assert issues[0].startswith(f"{tmp_path / 'hearth.yaml'}:8: communities.tea-house.chanels:")
    assert "unknown key 'chanels'" in issues[0] and "did you mean 'channels'" in issues[0]


def test_bad_timezone_is_refused_with_suggestion(tmp_path: Path) -> None:
    issues = _issues(GOOD.replace("Europe/Berlin", "Europe/Berlinn"), tmp_path)
    assert issues == [
        f"{tmp_path / 'hearth.yaml'}:7: communities.tea-house.timezone: unknown timezone "
        "'Europe/Berlinn' (expected an IANA name such as Europe/Paris; did you mean Europe/Berlin?)"
    ]


def test_a_bad_community_key_does_not_make_every_channel_reference_unknown(tmp_path: Path) -> None:
    text = GOOD.replace("Europe/Berlin", "Mars/Olympus").replace("{every: 2h}", "{channel: general}")
    issues = _issues(text, tmp_path)
    assert len(issues) == 1 and "communities.tea-house.timezone" in issues[0], issues
    issues = _issues(text.replace("{channel: general}", "{channel: nowhere}"), tmp_path)
    assert len(issues) == 2 and "unknown channel 'nowhere'" in issues[1], issues


def test_every_error_is_reported_not_only_the_first(tmp_path: Path) -> None:
    text = GOOD.replace("{every: 2h}", "{every: 2x, channel: nowhere, colour: red}")
    text = text.replace("storage: sqlite:///x.db", "storage: mysql://x")
    issues = _issues(text, tmp_path)
    joined = "\n".join(issues)
    assert len(issues) == 4, joined
    assert "plugins.demo.every: '2x' is not a duration such as 90s, 10m, 2h, 1h30m or 7d" in joined
    assert "plugins.demo.channel: unknown channel 'nowhere' (channels of this community: general)" in joined
    assert "plugins.demo.colour: unknown key 'colour'" in joined
    assert ":1: storage: 'mysql://x' is not a storage URL" in joined


def test_unknown_plugin_and_network(tmp_path: Path) -> None:
    text = GOOD.replace("      demo: {every: 2h}", "      dmeo: {}").replace(
        'general: {discord: "1"}', 'general: {discord: "1", irc: "#x"}'
    )
    joined = "\n".join(_issues(text, tmp_path))
    assert "unknown plugin 'dmeo'" in joined and "did you mean 'demo'" in joined
    assert "channels.general.irc: unknown network 'irc'" in joined


def test_missing_secret_is_a_warning_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEARTH_TEST_TOKEN", raising=False)
    path = tmp_path / "hearth.yaml"
    path.write_text(GOOD)
    loaded = load(path, extra_plugins=PLUGINS)
    assert [w.key for w in loaded.warnings] == ["accounts.discord.token"]
    assert "HEARTH_TEST_TOKEN is not set" in loaded.warnings[0].problem


def test_env_default_and_folder_config(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("command_prefix: ${HEARTH_UNSET_PREFIX:-?}\n")
    (tmp_path / "b.yaml").write_text(
        "communities:\n  one: {channels: {general: {discord: '1'}}, plugins: {demo: {}}}\n"
    )
    loaded = load(tmp_path, extra_plugins=PLUGINS)
    assert loaded.config.command_prefix == "?"
    assert loaded.config.communities["one"].plugins["demo"].channel == "general"


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    issues = _issues("communities:\n  a: [\n", tmp_path)
    assert len(issues) == 1 and "invalid YAML" in issues[0] and ":3:" in issues[0]


@pytest.mark.parametrize(("shards", "problem"), [
    ("{count: 4, ids: [0], per_process: 2}", "give either ids (fixed shards) or per_process"),
    ("{count: 2, ids: [0, 2]}", "shard ids [2] are not below count 2"),
    ("{count: 2, per_process: 0}", "per_process: Input should be greater than or equal to 1"),
])
def test_bad_discord_shards_are_refused_naming_the_key(tmp_path: Path, shards: str, problem: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTH_TEST_TOKEN", "a-token")
    text = GOOD.replace("    token: ${HEARTH_TEST_TOKEN}",
                        f"    token: ${{HEARTH_TEST_TOKEN}}\n    shards: {shards}")
    joined = "\n".join(_issues(text, tmp_path))
    assert "accounts.discord.shards" in joined and problem in joined, joined


def test_a_key_with_a_bracket_is_named_as_written(tmp_path: Path) -> None:
    # pydantic adds steps like "function-after[…]" to a location; a user's own "[" is no such step
    path = tmp_path / "hearth.yaml"
    path.write_text('communities:\n  tea:\n    discord:\n      guild: "1"\n      "[x]": 1\n'
                    '    channels: {general: {discord: "2"}}\n')
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}:5: communities.tea.discord.[x]: unknown key '[x]'" in result.output
