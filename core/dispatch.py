"""Each community's hooks, compiled: the implementations to call, bound to their contexts.

A community's :class:`HookTable` is built when the app prepares it and
rebuilt when a plugin is disabled, from the plugins enabled there, so a hook
call looks nothing up: a hook that no enabled plugin implements is absent
from the table (callers skip it for the cost of one dict lookup), and an
implementation that takes the hookspec's arguments in order is called with
them positionally, without building an argument dict. A plain (not async)
implementation carries the context it runs in, where the log lines name its
community and plugin (:mod:`hearth.logs`): entering it costs a tenth of setting
and resetting those variables around every call.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hearth.logs import community_var, plugin_var
from hearth.registry import HOOKS, ImplRef, PluginSet


@dataclass(frozen=True, slots=True)
class BoundImpl:
    """One plugin's implementation of one hook in one community."""

    plugin: str
    hook: str
    function: Callable[..., Any]
    is_async: bool
    #: the plugin's context in this community
    ctx: Any
    #: None: called as ``function(ctx, *args)`` (it takes the hookspec's arguments in order);
    #: else the argument names it takes, passed by keyword
    names: tuple[str, ...] | None
    #: the hookspec's arguments besides ``ctx``, in order
    spec: tuple[str, ...]
    #: a plain implementation's: run it as ``context.run(function, …)`` (None: async, which
    #: sets :data:`~hearth.logs.plugin_var` around its await)
    context: contextvars.Context | None = None

    def keywords(self, args: tuple[Any, ...]) -> dict[str, Any]:
        """The keyword arguments of a call with ``args`` (in the hookspec's order)."""
        assert self.names is not None
        given = dict(zip(self.spec, args, strict=True))
        return {n: (self.ctx if n == "ctx" else given[n]) for n in self.names}


class HookTable(dict[str, tuple[BoundImpl, ...]]):
    """The hooks of one community: hook name -> its bound implementations, in call order.

    Only hooks some enabled plugin implements are keys: ``table.get(hook, ())``.
    """

    __slots__ = ()

    @classmethod
    def compile(cls, plugins: PluginSet, enabled: Iterable[str], contexts: Mapping[str, Any],
                community: str) -> HookTable:
        """The table of the ``enabled`` plugins in ``community``, each bound to its context in
        ``contexts``."""
        names = list(enabled)
        table = cls()
        for hook in HOOKS:
            spec = plugins.arguments(hook)
            impls = tuple(_bind(ref, contexts[ref.plugin], spec, community)
                          for ref in plugins.impls(hook, names))
            if impls:
                table[hook] = impls
        return table

    def without(self, plugin: str) -> HookTable:
        """This table less ``plugin``'s implementations."""
        table = HookTable()
        for hook, impls in self.items():
            kept = tuple(i for i in impls if i.plugin != plugin)
            if kept:
                table[hook] = kept
        return table


def _bind(ref: ImplRef, ctx: Any, spec: tuple[str, ...], community: str) -> BoundImpl:
    positional = ref.argnames == ("ctx", *spec)
    return BoundImpl(ref.plugin, ref.hook, ref.function, ref.is_async, ctx,
                     None if positional else ref.argnames, spec,
                     None if ref.is_async else running_as(community, ref.plugin))


def running_as(community: str, plugin: str) -> contextvars.Context:
    """A context of its own for one plain hook implementation, naming ``community`` and
    ``plugin`` (one per implementation: a context cannot be entered twice at once)."""
    context = contextvars.Context()
    context.run(community_var.set, community)
    context.run(plugin_var.set, plugin)
    return context
