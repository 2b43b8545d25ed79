"""The console adapter: a terminal chat where one person plays every member.

No account or token: the embedded default a newcomer runs first
(``hearth console``). See :mod:`hearth.adapters.console.repl` for the commands.
"""

from hearth.adapters.console.adapter import ConsoleAdapter

__all__ = ["ConsoleAdapter"]
