"""A bounded FIFO of inbound events for one community's worker.

Like ``asyncio.Queue`` (bounded, ``join``), with less overhead per item: the
inbound path handles every message of every community, so it is kept lean.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Inbox(Generic[T]):
    """Bounded FIFO: ``put`` waits while full; ``join`` waits until every item is done."""

    def __init__(self, maxsize: int) -> None:
        self._items: deque[T] = deque()
        self._max = maxsize
        self._getter: asyncio.Future[None] | None = None
        self._putters: deque[asyncio.Future[None]] = deque()
        self._idle: list[asyncio.Future[None]] = []
        self._reached: list[tuple[int, asyncio.Future[None]]] = []
        self.unfinished = 0
        #: items ever put, and ever marked done (FIFO: the first ``done`` are all handled)
        self.put_count = 0
        self.done_count = 0

    def __len__(self) -> int:
        return len(self._items)

    async def put(self, item: T) -> None:
        while len(self._items) >= self._max:
            waiter = asyncio.get_running_loop().create_future()
            self._putters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._putters:
                    self._putters.remove(waiter)
        self._items.append(item)
        self.unfinished += 1
        self.put_count += 1
        getter = self._getter
        if getter is not None:
            self._getter = None
            if not getter.done():
                getter.set_result(None)

    def offer(self, item: T) -> bool:
        """Put ``item`` if there is room (True), else nothing (False): :meth:`put` without
        a coroutine, for the inbound path."""
        items = self._items
        if len(items) >= self._max:
            return False
        items.append(item)
        self.unfinished += 1
        self.put_count += 1
        getter = self._getter
        if getter is not None:
            self._getter = None
            if not getter.done():
                getter.set_result(None)
        return True

    def push(self, item: T) -> None:
        """Put ``item`` without waiting on the bound: for the core's own follow-up events,
        which a worker queues into its own inbox (waiting there would wait forever)."""
        self._items.append(item)
        self.unfinished += 1
        self.put_count += 1
        getter = self._getter
        if getter is not None:
            self._getter = None
            if not getter.done():
                getter.set_result(None)

    async def get(self) -> T:
        while not self._items:
            self._getter = asyncio.get_running_loop().create_future()
            await self._getter
        return self.get_nowait()

    def get_nowait(self) -> T:
        """The next item, without waiting (``IndexError`` when there is none)."""
        item = self._items.popleft()
        if self._putters:
            waiter = self._putters.popleft()
            if not waiter.done():
                waiter.set_result(None)
        return item

    def task_done(self) -> None:
        self.unfinished -= 1
        self.done_count += 1
        if self._reached:
            waiting = []
            for count, waiter in self._reached:
                if count <= self.done_count:
                    if not waiter.done():
                        waiter.set_result(None)
                else:
                    waiting.append((count, waiter))
            self._reached = waiting
        if self.unfinished == 0 and self._idle:
            for waiter in self._idle:
                if not waiter.done():
                    waiter.set_result(None)
            self._idle.clear()

    async def join(self) -> None:
        while self.unfinished:
            waiter = asyncio.get_running_loop().create_future()
            self._idle.append(waiter)
            await waiter

    async def reached(self, count: int) -> None:
        """Wait until the first ``count`` items ever put have been marked done."""
        if self.done_count >= count:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._reached.append((count, waiter))
        await waiter
