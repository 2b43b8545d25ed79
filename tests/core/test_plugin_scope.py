"""Where a plain hook runs: its caller's context, with the plugin named (hearth.logs.PluginScope)."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from hearth.logs import PluginScope, plugin_var

caller_var: contextvars.ContextVar[str] = contextvars.ContextVar("caller_var", default="unset")


def _seen() -> tuple[str, str]:
    return plugin_var.get(), caller_var.get()


def test_a_call_sees_the_plugin_and_its_caller_s_variables() -> None:
    scope = PluginScope("welcome")

    def call() -> tuple[str, str]:
        return scope.context().run(_seen)

    def run() -> list[tuple[str, str]]:
        seen = [call()]
        token = caller_var.set("job 1")
        seen.append(call())
        caller_var.set("job 2")
        seen.append(call())
        caller_var.reset(token)
        seen.append(call())
        return seen

    assert contextvars.copy_context().run(run) == [
        ("welcome", "unset"), ("welcome", "job 1"), ("welcome", "job 2"), ("welcome", "unset")]
    assert plugin_var.get() == "-"


def test_the_context_is_kept_while_the_caller_s_variables_stay_the_same() -> None:
    scope = PluginScope("welcome")

    def run() -> tuple[bool, bool]:
        first = scope.context()
        same = scope.context() is first
        caller_var.set("changed")
        return same, scope.context() is first

    assert contextvars.copy_context().run(run) == (True, False)


def test_what_the_function_sets_stays_out_of_its_caller() -> None:
    scope = PluginScope("welcome")

    def sets() -> None:
        caller_var.set("set by the hook")

    def run() -> str:
        scope.context().run(sets)
        return caller_var.get()

    assert contextvars.copy_context().run(run) == "unset"


@pytest.mark.asyncio
async def test_a_task_started_in_the_call_carries_the_plugin_and_the_caller_s_variables() -> None:
    scope = PluginScope("pulse")
    caller_var.set("event 7")
    tasks: list[asyncio.Task[tuple[str, str]]] = []

    async def later() -> tuple[str, str]:
        return _seen()

    scope.context().run(lambda: tasks.append(asyncio.get_running_loop().create_task(later())))
    assert await tasks[0] == ("pulse", "event 7")
    assert plugin_var.get() == "-"
