"""Loading plugins: name clashes, plugins that cannot be imported, plugins that cannot start."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hearth import Command, PluginConfig, StartupError, hookimpl
from hearth import registry as registry_module
from hearth.adapters.testing import TestBot
from hearth.cli import main
from hearth.registry import BUILTIN_PLUGINS, load_plugins


def _installed(monkeypatch: pytest.MonkeyPatch, *extra: EntryPoint) -> None:
    real = registry_module.entry_points

    def fake(group: str) -> list[EntryPoint]:
        return [*real(group=group), *(ep for ep in extra if ep.group == group)]

    monkeypatch.setattr(registry_module, "entry_points", fake)


def test_a_third_party_plugin_with_a_builtins_name_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, EntryPoint("welcome", "evil_welcome.plugin", "hearth.plugins"))
    with pytest.raises(StartupError) as caught:
        load_plugins()
    assert str(caught.value) == (
        "hearth.plugins entry point 'welcome' = 'evil_welcome.plugin' has a built-in's name "
        f"(already {BUILTIN_PLUGINS['welcome']!r}); rename the entry point"
    )


def test_hearth_check_reports_a_name_clash_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _installed(monkeypatch, EntryPoint("flash", "other_flash", "hearth.plugins"))
    config = tmp_path / "hearth.yaml"
    config.write_text("communities:\n  tea: {}\n")
    result = CliRunner().invoke(main, ["check", str(config)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "hearth: error: hearth.plugins entry point 'flash' = 'other_flash' has a built-in's name "
        f"(already {BUILTIN_PLUGINS['flash']!r}); rename the entry point"]


def test_hearth_check_reports_a_plugin_that_fails_to_import(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _installed(monkeypatch, EntryPoint("karma", "hearth_karma_not_there.plugin", "hearth.plugins"))
    config = tmp_path / "hearth.yaml"
    config.write_text("communities:\n  tea:\n    plugins:\n      karma: {}\n")
    result = CliRunner().invoke(main, ["check", str(config)])
    assert result.exit_code == 2
    assert (f"{config}:4: communities.tea.plugins.karma: plugin 'karma' is installed but cannot be "
            "loaded: ModuleNotFoundError: No module named 'hearth_karma_not_there'") in result.stderr
    assert "unknown plugin" not in result.stderr


CONFIG = """
communities:
  tea:
    channels: {general: {}}
    plugins: {fragile: {}, sturdy: {}}
  garden:
    channels: {general: {}}
    plugins: {fragile: {}, sturdy: {}}
"""


class Sturdy:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.heard: list[str] = []

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def on_startup(self, ctx: Any) -> None:
        self.started.append(ctx.key)

    @hookimpl
    async def on_message(self, ctx: Any, message: Any) -> None:
        self.heard.append(f"{ctx.key}: {message.text}")


class Fragile(Sturdy):
    def __init__(self, fail_in: str) -> None:
        super().__init__()
        self.fail_in = fail_in

    @hookimpl
    def register_migrations(self) -> list[Any]:
        async def upgrade_v1(store: Any) -> None:
            if self.fail_in == "migration":
                raise RuntimeError("no such column: mood")

        return [upgrade_v1]

    @hookimpl
    def register_commands(self) -> list[Command]:
        async def mood(inv: Any) -> str:
            return "fine"

        return [Command(name="mood", handler=mood)]

    @hookimpl
    async def on_startup(self, ctx: Any) -> None:
        if self.fail_in == "on_startup" and ctx.key == "garden":
            raise RuntimeError("garden is flooded")
        self.started.append(ctx.key)


@pytest.mark.asyncio
@pytest.mark.parametrize(("fail_in", "why"), [
    ("migration", "its migration failed: RuntimeError('no such column: mood')"),
    ("on_startup", "on_startup failed in garden: RuntimeError('garden is flooded')"),
])
async def test_a_plugin_that_cannot_start_is_disabled_everywhere_and_the_others_run(
    caplog: pytest.LogCaptureFixture, fail_in: str, why: str
) -> None:
    fragile, sturdy = Fragile(fail_in), Sturdy()
    with caplog.at_level(logging.ERROR, logger="hearth.app"):
        bot = await TestBot.create(CONFIG, extra_plugins={"fragile": fragile, "sturdy": sturdy},
                                   members=[{"id": "ann"}])
    try:
        lines = [r.getMessage() for r in caplog.records if "disabled" in r.getMessage()]
        assert lines == [f"plugin fragile is disabled in every community: {why}"]
        assert sturdy.started == ["tea", "garden"]
        await bot.say("ann", "general", "hello")
        await bot.say("ann", "general", "!mood")
        assert sturdy.heard == ["tea: hello"]
        assert fragile.heard == []
        assert bot.take()[-1]["text"].startswith("Unknown command !mood.")
    finally:
        await bot.close()


class Renamed:
    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl(specname="on_startup")
    async def get_going(self, ctx: Any) -> None:
        raise RuntimeError("no")


@pytest.mark.asyncio
async def test_failures_name_the_hook_not_the_functions_name(caplog: pytest.LogCaptureFixture) -> None:
    config = "communities:\n  tea:\n    channels: {general: {}}\n    plugins: {renamed: {}}\n"
    with caplog.at_level(logging.ERROR, logger="hearth.app"):
        bot = await TestBot.create(config, extra_plugins={"renamed": Renamed()})
    await bot.close()
    assert [e.where for e in bot.plugin_errors] == ["on_startup"]
    assert "plugin renamed is disabled in every community: on_startup failed in tea: RuntimeError('no')" in [
        r.getMessage() for r in caplog.records]
