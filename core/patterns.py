"""Operator-written regular expressions, run in time linear in the text.

Python's ``re`` backtracks: a pattern such as ``(a+)+$`` takes exponential time
on a crafted message and freezes the event loop. Every pattern an operator
writes in the config (``detect.patterns``, word lists…) therefore runs on RE2
(``google-re2``), whose matching time grows linearly with the text. RE2 has
no backreferences and no lookaround; such patterns are refused at
``hearth check`` with a message saying why.

Plugins declare such a key with the :data:`Pattern` type::

    class Words(PluginConfig):
        patterns: list[Pattern] = []

and get :class:`SafePattern` objects; code that builds a pattern outside the
config calls :func:`compile_pattern`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator

MAX_PATTERN_CHARS = 2_000
"""Longer patterns are refused (RE2 also bounds the compiled program's memory)."""

_LINEAR = "patterns run on RE2, a linear-time engine without backreferences or lookaround"


def _options(ignore_case: bool) -> Any:
    import re2  # imported when a pattern is first compiled: the console path may never need it

    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.log_errors = False
    return options


class SafePattern:
    """A compiled pattern whose matching time is linear in the text (RE2)."""

    __slots__ = ("_regex", "ignore_case", "pattern")

    def __init__(self, pattern: str, regex: Any, ignore_case: bool) -> None:
        self.pattern = pattern
        self.ignore_case = ignore_case
        self._regex = regex

    def search(self, text: str) -> str | None:
        """The first match in ``text``, or None."""
        m = self._regex.search(text)
        return None if m is None else str(m.group(0))

    def finditer(self, text: str) -> Iterator[Any]:
        """Every non-overlapping match (objects with ``group``, ``start``, ``end``)."""
        return iter(self._regex.finditer(text))

    def __str__(self) -> str:
        return self.pattern

    def __repr__(self) -> str:
        return f"SafePattern({self.pattern!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SafePattern)
            and (other.pattern, other.ignore_case) == (self.pattern, self.ignore_case)
        )

    def __hash__(self) -> int:
        return hash((self.pattern, self.ignore_case))


def _unsupported(pattern: str) -> str | None:
    """Why RE2 cannot run ``pattern`` (a backreference or lookaround), or None."""
    i, n, in_class = 0, len(pattern), False
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if not in_class and (nxt in "123456789" or (nxt in "gk" and pattern[i + 2 : i + 3] in "<{")):
                return f"backreference {pattern[i:i + 2]} is not allowed: {_LINEAR}"
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # a literal ] first in a class
                i += 1
        elif ch == "(" and pattern.startswith("?", i + 1):
            head = pattern[i + 1 : i + 5]
            if head.startswith(("?=", "?!", "?<=", "?<!")):
                what = head[: 3 if head.startswith("?<") else 2]
                return f"lookaround ({what}…) is not allowed: {_LINEAR}"
            if head.startswith("?P="):
                return f"backreference (?P=…) is not allowed: {_LINEAR}"
            if head.startswith("?>"):
                return f"atomic group (?>…) is not allowed: {_LINEAR}"
        i += 1
    return None


def compile_pattern(pattern: str, *, ignore_case: bool = True) -> SafePattern:
    """Compile an operator's ``pattern`` for RE2; ``ValueError`` says what is wrong with it."""
    if not isinstance(pattern, str):
        raise ValueError("expected a regular expression (a string)")
    if not pattern:
        raise ValueError("an empty pattern matches every message")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ValueError(f"pattern is longer than {MAX_PATTERN_CHARS} characters")
    problem = _unsupported(pattern)
    if problem is not None:
        raise ValueError(problem)
    import re2

    try:
        regex = re2.compile(pattern, _options(ignore_case))
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"{pattern!r} is not a valid regular expression: {detail}") from exc
    return SafePattern(pattern, regex, ignore_case)


def _validate(value: Any) -> SafePattern:
    if isinstance(value, SafePattern):
        return value
    return compile_pattern(value)


Pattern = Annotated[SafePattern, PlainValidator(_validate), PlainSerializer(str)]
"""A config value holding a regular expression, case-insensitive, run on RE2 (linear time).

Backreferences and lookaround are refused with a message naming the problem.
"""

__all__ = ["MAX_PATTERN_CHARS", "Pattern", "SafePattern", "compile_pattern"]
