"""Each community's hooks, compiled: the implementations to call, bound to their contexts.

A community's :class:`HookTable` is built when the app prepares it and
rebuilt when a plugin is disabled, from the plugins enabled there, so a hook
call looks nothing up: a hook that no enabled plugin implements is absent
from the table (callers skip it for the cost of one dict lookup), and an
implementation that takes the hookspec's arguments in order is called with
them positionally, without building an argument dict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hearth.logs import PluginScope
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
    #: where it runs if it is plain (the plugin's in this community)
    scope: PluginScope

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
    def compile(cls, plugins: PluginSet, enabled: Iterable[str], contexts: Mapping[str, Any]) -> HookTable:
        """The table of the ``enabled`` plugins, each bound to its context in ``contexts``."""
        names = list(enabled)
        scopes = {name: PluginScope(name) for name in names}
        table = cls()
        for hook in HOOKS:
            spec = plugins.arguments(hook)
            impls = tuple(_bind(ref, contexts[ref.plugin], spec, scopes[ref.plugin])
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


def _bind(ref: ImplRef, ctx: Any, spec: tuple[str, ...], scope: PluginScope) -> BoundImpl:
    positional = ref.argnames == ("ctx", *spec)
    return BoundImpl(ref.plugin, ref.hook, ref.function, ref.is_async, ctx,
                     None if positional else ref.argnames, spec, scope)
