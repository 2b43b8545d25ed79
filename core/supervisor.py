"""Supervision: the one way every long-running task of the app runs.

Community workers, the scheduler and the adapters' receiving loops each run
under :meth:`Supervisor.run`. A task that raises is logged with its name and
restarted after a backoff; one that keeps failing (``max_failures`` times in a
row, none of them after a healthy stretch) or raises a fatal error
(:class:`~hearth.errors.StorageUnavailable`, :class:`~hearth.errors.ConnectionLost`;
:class:`~hearth.errors.StartupError`
from a network that refuses the configuration, such as a revoked token) makes the supervisor *fail*:
``failed`` is set with a one-line ``reason``, and ``hearth run`` stops the app
and exits non-zero, so a service manager restarts the process. A live process
that does nothing is never the outcome.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from hearth.clock import Clock
from hearth.errors import ConnectionLost, StartupError, StorageUnavailable

log = logging.getLogger(__name__)

#: fatal error types: retrying cannot help, the process must stop
FATAL: tuple[type[BaseException], ...] = (StorageUnavailable, StartupError, ConnectionLost)


class Supervisor:
    """Runs named tasks, restarts them with backoff, and fails the app when it cannot work."""

    first_delay = timedelta(seconds=1)
    max_delay = timedelta(minutes=1)
    #: consecutive failures after which the task (and the app) is given up
    max_failures = 6
    #: a task that ran this long before failing starts counting afresh
    healthy_after = timedelta(minutes=5)

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._tasks: set[asyncio.Task[Any]] = set()
        self.failed = asyncio.Event()
        self.reason: str | None = None

    def fail(self, reason: str) -> None:
        """The app cannot work: record ``reason`` (the first one wins) and signal ``failed``."""
        if self.reason is None:
            self.reason = reason
            log.critical("cannot go on: %s", reason)
        self.failed.set()

    def run(self, name: str, factory: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run ``factory()`` as task ``name``, restarted after a failure; returns the task.

        A task that returns normally is done. Cancel the returned task to stop it.
        """
        task = asyncio.create_task(self._supervise(name, factory), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _supervise(self, name: str, factory: Callable[[], Awaitable[None]]) -> None:
        failures = 0
        while True:
            started = self._clock.now()
            try:
                await factory()
                return
            except asyncio.CancelledError:
                raise
            except FATAL as exc:
                self.fail(str(exc))
                return
            except Exception as exc:
                if self._clock.now() - started >= self.healthy_after:
                    failures = 0
                failures += 1
                if failures >= self.max_failures:
                    log.error("%s failed", name, exc_info=exc)
                    self.fail(f"{name} failed {failures} times in a row; last error: {exc}")
                    return
                delay = min(self.first_delay * 2 ** (failures - 1), self.max_delay)
                log.error("%s failed; restarting it in %.0fs (failure %d of %d)", name,
                          delay.total_seconds(), failures, self.max_failures, exc_info=exc)
                await self._clock.sleep_until(self._clock.now() + delay)

    async def stop(self) -> None:
        """Cancel every supervised task and wait for them to end."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
