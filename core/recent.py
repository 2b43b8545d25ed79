"""A bounded memory of the newest keys, for de-duplication and look-ups by recent id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """A map that remembers at least its newest ``size`` keys, and at most twice as many.

    Two plain dicts, the newer one filled until it holds ``size`` keys, when it
    becomes the older one and the one before is dropped: O(1) for every
    operation, and no per-key bookkeeping of order (an ``OrderedDict`` or a
    dict beside a deque of its keys needs two to three times the memory).
    A hot path may do what :meth:`add` or item assignment does inline, on
    :attr:`new` and :attr:`old` (the app's de-duplication, the ledger's authors).
    """

    __slots__ = ("new", "old", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        #: the newest keys (fewer than ``size``), and the ``size`` keys before them
        self.new: dict[K, V] = {}
        self.old: dict[K, V] = {}

    def __setitem__(self, key: K, value: V) -> None:
        new = self.new
        new[key] = value
        if len(new) >= self.size:
            self.old, self.new = new, {}

    def add(self, key: K, value: V) -> bool:
        """Remember ``key``; False (and nothing changed) when it is already remembered."""
        new = self.new
        if key in new or key in self.old:
            return False
        new[key] = value  # as __setitem__ does, inline: every inbound event passes here
        if len(new) >= self.size:
            self.old, self.new = new, {}
        return True

    def get(self, key: K) -> V | None:
        found = self.new.get(key)
        return self.old.get(key) if found is None else found

    def __contains__(self, key: K) -> bool:
        return key in self.new or key in self.old

    def __len__(self) -> int:
        return len(self.new) + len(self.old)

    def discard_values(self, drop: Callable[[V], bool]) -> None:
        """Forget every key whose value ``drop`` accepts."""
        for table in (self.new, self.old):
            for key in [k for k, v in table.items() if drop(v)]:
                del table[key]
