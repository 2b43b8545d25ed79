"""Hooks come from the hookspecs: the dispatcher's names, event routing, refused wrappers."""

from __future__ import annotations

import dataclasses
import inspect
import itertools
from typing import Any

import pluggy
import pytest

from hearth import Member, PluginConfig, StartupError, context, hookimpl, hookspecs
from hearth.adapters.testing import TestBot
from hearth.app import NOTIFY_HOOKS
from hearth.registry import HOOKS, load_plugins

SPECS = {name: f for name, f in inspect.getmembers(hookspecs, inspect.isfunction)
         if hasattr(f, "hearth_spec")}


def test_the_hook_names_are_the_hookspecs() -> None:
    assert set(HOOKS) == set(SPECS)
    assert len(HOOKS) >= 13


def test_every_routed_event_carries_its_hooks_arguments() -> None:
    for event, hook in NOTIFY_HOOKS.items():
        assert hook in SPECS, f"{event.__name__} routes to {hook}, which is no hook"
        wanted = [a for a in inspect.signature(SPECS[hook]).parameters if a != "ctx"]
        fields = {f.name for f in dataclasses.fields(event)}
        assert set(wanted) <= fields, f"{event.__name__} lacks {set(wanted) - fields} for {hook}"


def test_every_on_hook_is_routed_or_called_by_the_core() -> None:
    called_by_core = {"on_startup", "on_shutdown", "on_message", "on_command", "on_job_due",
                      "on_action_done", "on_answer", "on_group_reminder", "on_group_ending",
                      "on_group_closed", "on_forget", "on_persons_merged",
                      "on_strikes_pardoned"}
    on_hooks = {h for h in SPECS if h.startswith("on_")}
    assert on_hooks == set(NOTIFY_HOOKS.values()) | called_by_core


class Wrapping:
    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl(wrapper=True)
    def on_message(self, ctx: Any, message: Any) -> Any:
        return (yield)


class OldWrapping:
    @hookimpl(hookwrapper=True)
    def on_member_join(self, ctx: Any, member: Any) -> Any:
        yield


@pytest.mark.parametrize(("plugin", "hook"), [(Wrapping(), "on_message"), (OldWrapping(), "on_member_join")])
def test_wrapper_implementations_are_refused_at_registration(plugin: object, hook: str) -> None:
    with pytest.raises(StartupError) as caught:
        load_plugins({"wrappy": plugin}, use_entry_points=False)
    assert str(caught.value) == (
        f"plugin 'wrappy': {hook} is a hook wrapper (hookwrapper/wrapper=True), which Hearth "
        "does not support; implement the hook plainly"
    )


def test_pluggy_still_marks_wrappers() -> None:
    assert pluggy.HookimplMarker("hearth")(wrapper=True)(lambda: None).hearth_impl["wrapper"]


class _Removals:
    """Records every ``on_member_removed``."""

    def __init__(self) -> None:
        self.told: list[tuple[str, str]] = []

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def on_member_removed(self, member: Member, action: str) -> None:
        self.told.append((member.id, action))


@pytest.mark.asyncio
async def test_a_removal_after_a_restart_is_told_again(storage_url: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The core's removal events are this process's own: one after a restart is not
    taken for one handled before it (their ids start again)."""
    removals = _Removals()
    config = ("communities:\n  tea:\n    channels: {general: {}}\n"
              "    plugins: {guard: {}, removals: {}}\n")
    bot = await TestBot.create(config, extra_plugins={"removals": removals}, storage=storage_url,
                               members=[{"id": "adam", "role": "admin"}, {"id": "bob"}])
    try:
        await bot.say("adam", "general", "!kick @bob")
        await bot.restart()
        monkeypatch.setattr(context, "_removals", itertools.count(1))  # as in a new process
        await bot.join("bob")
        await bot.say("adam", "general", "!kick @bob")
        assert removals.told == [("bob", "kick"), ("bob", "kick")]
    finally:
        await bot.close()
