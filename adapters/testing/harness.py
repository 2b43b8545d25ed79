"""Drive a real Hearth app on the testing adapter with virtual time.

:class:`TestBot` is what scenario tests, plugin authors' tests and
``hearth simulate`` use: it loads a real config, runs the real core with a
fresh SQLite file, and lets a test act as members (join, say, dm, react,
leave), move time (``wait``, ``at``, running due jobs in order) and restart
the bot on the same database.

A *strict* bot (the ``hearth_bot`` fixture's) fails the step during which a
plugin raised, with the plugin's traceback, unless the test expects it
(:meth:`TestBot.expect_plugin_errors`).
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import traceback
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hearth.adapters.testing.adapter import TestingAdapter, format_action, network
from hearth.app import App, PluginFailure, bindings_for
from hearth.bootstrap import Loaded, load
from hearth.clock import VirtualClock
from hearth.models import Capability, Role
from hearth.timeutil import parse_duration


class PluginErrors(AssertionError):
    """A plugin raised while a test did not expect it."""

    def __init__(self, failures: list[PluginFailure]) -> None:
        self.failures = failures
        super().__init__("\n".join(describe(f) for f in failures))


def describe(failure: PluginFailure) -> str:
    """A failure with its traceback, as a failing test shows it."""
    trace = "".join(traceback.format_exception(failure.error)).rstrip()
    return f"plugin {failure.plugin!r} raised in {failure.where} (community {failure.community!r}):\n{trace}"


def _when(value: str | datetime) -> datetime:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        raise ValueError(f"{value!r} needs a UTC offset, e.g. 2026-11-20T19:00:00+08:00")
    return when


class TestBot:
    """A Hearth app on the in-memory adapter, under virtual time."""

    __test__ = False  # not a pytest test class

    def __init__(self, loaded: Loaded, *, community: str | None = None,
                 start: str | datetime = "2026-01-05T09:00:00+00:00", platform: str | None = None,
                 storage: str | Path | None = None, strict: bool = False,
                 without: Iterable[Capability | str] = (), networks: Iterable[str] = ()) -> None:
        """``strict``: a plugin that raises fails the step (see :meth:`expect_plugin_errors`).

        ``storage``: an SQLite file, or a storage URL (``postgresql://…``); a fresh
        SQLite file by default.

        ``without``: capabilities the imitated network lacks (``["dm", "pin"]``).
        ``networks``: imitate these networks at once (``["discord", "matrix"]``): one
        in-memory adapter each, named by its network, ``platform`` (default: the
        first) the one members are on unless said otherwise (``add_member(…,
        platform="matrix")``). Without it, one neutral ``testing`` network imitates
        ``platform``.
        """
        self.loaded = loaded
        self.config = loaded.config
        self.community = community or next(iter(self.config.communities))
        if self.community not in self.config.communities:
            raise ValueError(f"no community {self.community!r} in the config")
        bound = self.config.communities[self.community].platforms()
        self.platform = platform or (bound[0] if bound else "discord")
        self.clock = VirtualClock(_when(start))
        self._tmp: str | None = None
        if storage is None:
            self._tmp = tempfile.mkdtemp(prefix="hearth-test-")
            storage = Path(self._tmp) / "hearth.db"
        #: the storage URL (a path given is an SQLite file)
        self.storage = storage if isinstance(storage, str) and "://" in storage else f"sqlite:///{storage}"
        names = list(dict.fromkeys(networks))
        if names and self.platform not in names:
            if platform is not None:
                raise ValueError(f"platform {platform!r} is not one of the networks {names}")
            self.platform = names[0]
        #: the adapter of each network by name (one neutral ``testing`` network by default)
        self.adapters: dict[str, TestingAdapter] = {}
        first: TestingAdapter | None = None
        for name in names or [""]:
            cls = network(name) if name else TestingAdapter
            made = cls(communities=bindings_for(self.config, cls), imitate=name or self.platform,
                       without=without, along=first)
            self.adapters[made.name] = made
            first = first or made
        #: the adapter of ``platform``: where members are unless said otherwise
        self.adapter = self.adapters.get(self.platform) or next(iter(self.adapters.values()))
        self.app: App | None = None
        self._seq = itertools.count(1)
        self._taken = 0
        self._formatted: list[dict[str, Any]] = []
        self._several = len(self.config.communities) > 1
        self.strict = strict
        self.plugin_errors: list[PluginFailure] = []
        self._unexpected: list[PluginFailure] = []
        self._expecting: list[list[PluginFailure]] = []

    @classmethod
    async def create(cls, config: str | Path, *, members: Iterable[Mapping[str, Any]] = (),
                     extra_plugins: Mapping[str, Any] | None = None, **kwargs: Any) -> TestBot:
        """Load ``config`` (a path, or YAML text), add ``members`` and start the bot."""
        is_text = isinstance(config, str) and "\n" in config
        bot = cls(load(config, extra_plugins=extra_plugins, text=is_text), **kwargs)
        for m in members:
            bot.add_member(m["id"], m.get("name"), m.get("role", "member"), platform=m.get("platform"),
                           joined=m.get("joined"))
        try:
            await bot.start()
        except BaseException:
            await bot.close()
            raise
        return bot

    # -- lifecycle -------------------------------------------------------------
    async def start(self) -> None:
        self.app = App(self.config, self.loaded.plugins, list(self.adapters.values()), clock=self.clock,
                       storage=self.storage, on_plugin_error=self._plugin_failed)
        await self.app.start()
        await self.settle()

    async def stop(self) -> None:
        if self.app is not None:
            await self.settle()
            await self.app.stop()
            self.app = None

    async def restart(self, downtime: timedelta | str | None = None) -> None:
        """Stop the bot and start it again on the same database (after ``downtime``)."""
        await self.stop()
        if downtime is not None:
            delta = parse_duration(downtime) if isinstance(downtime, str) else downtime
            self.clock.set(self.clock.now() + delta)
        await self.start()

    async def close(self) -> None:
        await self.stop()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    async def __aenter__(self) -> TestBot:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def settle(self) -> None:
        """Handle every queued event and deliver every queued action.

        Actions waiting for the network's pace are delivered by moving virtual
        time to when they can go (so their ``time`` is when they were
        delivered); jobs falling due on the way run at their time.
        """
        app = self.app
        assert app is not None, "the bot is not running"
        await app.settle()
        while app.outbound_queued():
            wake = self.clock.next_wake()
            if wake is None:
                break
            await app.scheduler.advance(wake, app.settle)
        self.check_plugin_errors()

    # -- plugin errors ---------------------------------------------------------
    def _plugin_failed(self, failure: PluginFailure) -> None:
        self.plugin_errors.append(failure)
        if self._expecting:
            self._expecting[-1].append(failure)
        else:
            self._unexpected.append(failure)

    def check_plugin_errors(self) -> None:
        """Raise :class:`PluginErrors` for plugin errors not expected so far (strict bots)."""
        if self.strict and self._unexpected:
            failures, self._unexpected = self._unexpected, []
            raise PluginErrors(failures)

    @contextmanager
    def expect_plugin_errors(self) -> Iterator[list[PluginFailure]]:
        """Within this block plugins may raise (at least one must); yields the failures."""
        caught: list[PluginFailure] = []
        self._expecting.append(caught)
        try:
            yield caught
        finally:
            self._expecting.pop()
        if not caught:
            raise AssertionError("a plugin error was expected, but no plugin raised")

    # -- members ---------------------------------------------------------------
    def network_of(self, member_id: str) -> TestingAdapter:
        """The adapter of the network ``member_id`` is on (the default network for a stranger)."""
        for adapter in self.adapters.values():
            if member_id in adapter.people.get(self.community, {}):
                return adapter
        return self.adapter

    def _network(self, platform: str | None) -> TestingAdapter:
        if platform is None or platform == self.platform:  # one neutral network imitates it
            return self.adapter
        if platform not in self.adapters:
            known = ", ".join(self.adapters)
            raise ValueError(f"{platform!r} is not a network of this test (networks: {known})")
        return self.adapters[platform]

    def add_member(self, member_id: str, name: str | None = None, role: str | Role = "member",
                   platform: str | None = None, *, joined: str | datetime | None = None) -> None:
        """A member present from the start (no join event), on ``platform`` (default: the first);
        ``joined``: when the network says they joined (default: it does not say, so the bot
        counts from first seeing them)."""
        parsed = role if isinstance(role, Role) else Role.parse(role)
        person = self._network(platform).add_person(self.community, member_id,
                                                    name or member_id.title(), parsed)
        if joined is not None:
            person.joined = _when(joined)

    def refuse_dms(self, member_id: str, refuse: bool = True) -> None:
        """Make ``member_id`` refuse direct messages (the network answers Forbidden)."""
        self.network_of(member_id).refuse_dms(self.community, member_id, refuse)

    def remove_capabilities(self, *capabilities: Capability | str) -> None:
        """Take capabilities away from the imitated network (best before start: ``without=``)."""
        self.adapter.remove_capabilities(*capabilities)

    async def set_role(self, member_id: str, role: str | Role) -> None:
        """Someone on the network gives ``member_id`` this role (the bot hears of it)."""
        parsed = role if isinstance(role, Role) else Role.parse(role)
        await self.network_of(member_id).set_role(self.community, member_id, parsed)
        await self.settle()

    def role_of(self, member_id: str) -> Role:
        return self.network_of(member_id).person(self.community, member_id).role

    def is_present(self, member_id: str) -> bool:
        person = self.network_of(member_id).people[self.community].get(member_id)
        return bool(person and person.present)

    def next_id(self) -> str:
        return f"s{next(self._seq)}"

    async def join(self, member_id: str, name: str | None = None, invited_by: str | None = None,
                   platform: str | None = None) -> None:
        """``member_id`` joins, on ``platform`` (default: the network they were on, else the first)."""
        adapter = self._network(platform) if platform else self.network_of(member_id)
        await adapter.inject_join(self.community, member_id, name or member_id.title(), invited_by)
        await self.settle()

    async def leave(self, member_id: str) -> None:
        await self.network_of(member_id).inject_leave(self.community, member_id)
        await self.settle()

    async def say(self, member_id: str, channel: str, text: str, *, ref: str | None = None,
                  reply_to: str | None = None) -> str:
        """Post ``text``; returns the message id (``ref``, else ``s<N>``)."""
        message_id = ref or self.next_id()
        await self.network_of(member_id).inject_message(self.community, member_id, channel, text,
                                                        message_id, reply_to)
        await self.settle()
        return message_id

    async def dm(self, member_id: str, text: str, *, ref: str | None = None) -> str:
        message_id = ref or self.next_id()
        await self.network_of(member_id).inject_dm(self.community, member_id, text, message_id)
        await self.settle()
        return message_id

    async def edit(self, member_id: str, ref: str, text: str) -> None:
        """The author of message ``ref`` changes its text (a ``MessageEditedEvent``)."""
        await self.network_of(member_id).inject_edit(self.community, member_id, ref, text)
        await self.settle()

    async def react(self, member_id: str, to: str, emoji: str, *, in_: str = "dm") -> None:
        """React to message ``to``; ``"last-bot-message"`` in ``in_`` (a channel or ``dm``)."""
        adapter = self.network_of(member_id)
        if to == "last-bot-message":
            channel_id = f"dm:{member_id}" if in_ == "dm" else in_
            found = adapter.last_bot_message.get((self.community, channel_id))
            if found is None:
                raise ValueError(f"the bot has sent no message in {in_}")
            to = found
        await adapter.inject_reaction(self.community, member_id, to, emoji)
        await self.settle()

    # -- time ------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock.now().astimezone(self.config.communities[self.community].timezone)

    async def wait(self, duration: str | timedelta) -> None:
        """Advance virtual time, running every job that falls due, in order."""
        delta = parse_duration(duration) if isinstance(duration, str) else duration
        await self.at(self.clock.now() + delta)

    async def at(self, when: str | datetime) -> None:
        """Jump forward to ``when`` (never backwards), running due jobs in order."""
        app = self.app
        assert app is not None, "the bot is not running"
        await app.scheduler.advance(_when(when), app.settle)
        await self.settle()

    # -- what the bot did ------------------------------------------------------
    def _format(self, action: Mapping[str, Any]) -> dict[str, Any]:
        communities = self.config.communities
        zone = communities[action.get("community") or self.community].timezone
        return format_action(action, zone, community=self._several)

    @property
    def actions(self) -> list[dict[str, Any]]:
        """Every action the bot took, in order, as ``hearth simulate --json`` prints them.

        ``time`` is an ISO 8601 string in the community's offset; with several
        communities in the config each action names its ``community``.
        """
        recorded = self.adapter.actions
        if len(self._formatted) < len(recorded):
            self._formatted.extend(self._format(a) for a in recorded[len(self._formatted) :])
        return self._formatted

    def take(self) -> list[dict[str, Any]]:
        """The actions taken since the last ``take`` (as :attr:`actions`)."""
        actions = self.actions
        new = actions[self._taken :]
        self._taken = len(actions)
        return new

    def sent(self, action: str | None = None, **match: Any) -> list[dict[str, Any]]:
        """Recorded actions of kind ``action`` whose fields equal ``match`` (as :attr:`actions`)."""
        return [a for a in self.actions
                if (action is None or a["action"] == action)
                and all(a.get(k) == v for k, v in match.items())]
