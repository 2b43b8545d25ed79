"""Log lines that name the community and plugin they concern.

The dispatcher sets :data:`community_var` and :data:`plugin_var` around every
hook call; :class:`ContextFilter` copies them onto each record, so a plugin's
plain ``log.info(...)`` reads ``[tea-house/welcome] …`` without passing anything.
A task a hook starts carries them too.
"""

from __future__ import annotations

import contextvars
import logging

community_var: contextvars.ContextVar[str] = contextvars.ContextVar("community", default="-")
plugin_var: contextvars.ContextVar[str] = contextvars.ContextVar("plugin", default="-")

FORMAT = "%(asctime)s %(levelname)-7s [%(community)s/%(plugin)s] %(name)s: %(message)s"


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
