"""Log lines that name the community and plugin they concern.

The dispatcher sets :data:`community_var` and :data:`plugin_var` around every
hook call (a plain hook runs in its :class:`PluginScope`); :class:`ContextFilter`
copies them onto each record, so a plugin's plain ``log.info(...)`` reads
``[tea-house/welcome] …`` without passing anything. A task a hook starts carries
them too.
"""

from __future__ import annotations

import contextvars
import logging

community_var: contextvars.ContextVar[str] = contextvars.ContextVar("community", default="-")
plugin_var: contextvars.ContextVar[str] = contextvars.ContextVar("plugin", default="-")

FORMAT = "%(asctime)s %(levelname)-7s [%(community)s/%(plugin)s] %(name)s: %(message)s"


class PluginScope:
    """Where a plain (not async) hook implementation of ``plugin`` runs: its caller's context
    with :data:`plugin_var` naming ``plugin``.

    It is what setting ``plugin_var`` around the call and resetting it after would do (the
    function sees its caller's other variables: the journal's cause, a transaction; a task it
    starts carries them and the plugin), but the context is made once and kept for as long as
    the caller's variables stay the same (the same values, or equal ones: contexts compare
    their values with ``==``): setting and resetting a variable cost about as much as the
    rest of a chat message's dispatch. A variable the function sets stays in
    that context, unseen by its caller. Async hooks are awaited in the caller's task, so the
    dispatcher sets and resets the variable around those.
    """

    __slots__ = ("_base", "_context", "plugin")

    def __init__(self, plugin: str) -> None:
        self.plugin = plugin
        self._base: contextvars.Context | None = None
        self._context = contextvars.Context()

    def context(self) -> contextvars.Context:
        """The context to run a call in now: ``context().run(function, *args)``.

        A plain function cannot await, so no call runs in it while another does.
        """
        base = contextvars.copy_context()  # shares the caller's variables until either changes
        if base != self._base:
            self._base = base
            context = self._context = base.copy()
            context.run(plugin_var.set, self.plugin)
        return self._context


class ContextFilter(logging.Filter):
    """Adds ``community`` and ``plugin`` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.community = community_var.get()
        record.plugin = plugin_var.get()
        return True


def configure(level: str = "INFO") -> None:
    """Configure root logging for the CLI (library code never calls this)."""
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(logging.Formatter(FORMAT, "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("discord", "nio", "aiosqlite", "websockets"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
