"""Hooks come from the hookspecs: the dispatcher's names, event routing, refused wrappers."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pluggy
import pytest

from hearth import PluginConfig, StartupError, hookimpl, hookspecs
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
