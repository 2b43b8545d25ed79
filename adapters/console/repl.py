"""The console chat: type as a member, see what the bot does.

Lines starting with ``/`` control the session; anything else is said by the
current member in the current channel (``!help`` runs a bot command)::

    /as ID                 speak as this member
    /join ID [NAME] [by INVITER]   a member joins (and you speak as them)
    /leave [ID]            a member leaves
    /in CHANNEL            post in this channel from now on
    /dm TEXT               send the bot a direct message
    /react EMOJI [MSG]     react to a message (default: the bot's last one here)
    /role ID ROLE          set a member's role, as a platform admin would
    /time [+2h]            show the time, or move it forward (due jobs run)
    /members  /channels  /help  /quit
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TextIO

from hearth.adapters.console.adapter import ConsoleAdapter
from hearth.adapters.testing.adapter import format_action
from hearth.app import App, bindings_for
from hearth.bootstrap import Loaded
from hearth.clock import MAX_JUMP, VirtualClock
from hearth.errors import HearthError
from hearth.models import Role
from hearth.simulate import human
from hearth.timeutil import parse_duration

HELP = __doc__.split("::", 1)[1].rstrip() if __doc__ else ""
TICK = 1.0


class Console:
    """One console session over a real app on the console adapter."""

    def __init__(self, loaded: Loaded, storage: str, *, out: TextIO | None = None,
                 community: str | None = None) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.community = community or next(iter(self.config.communities))
        self.zone = self.config.communities[self.community].timezone
        self.out = out or sys.stdout  # looked up now: tests swap sys.stdout
        self.clock = VirtualClock(datetime.now().astimezone().replace(microsecond=0))
        self.offset = timedelta()
        self.adapter = ConsoleAdapter(communities=bindings_for(self.config, ConsoleAdapter),
                                      show=self._show)
        self.app = App(self.config, loaded.plugins, [self.adapter], clock=self.clock, storage=storage)
        channels = list(self.config.communities[self.community].channels)
        self.channel = "general" if "general" in channels else (channels[0] if channels else "")
        self.me = "owner"
        self._seq = 0
        self._lock = asyncio.Lock()

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _show(self, action: dict[str, Any]) -> None:
        line = human(format_action(action, self.zone))
        self.say("  bot> " + line[17:].replace("\n    ", "\n        "))

    async def _advance(self, target: datetime) -> None:
        async with self._lock:
            if target > self.clock.now():
                await self.app.scheduler.advance(target, self.app.settle)

    async def _tick(self) -> None:
        start_real = datetime.now().astimezone()
        start_virtual = self.clock.now()
        while True:
            await asyncio.sleep(TICK)
            elapsed = datetime.now().astimezone() - start_real
            await self._advance(start_virtual + elapsed + self.offset)

    async def run(self, read: Callable[[], str]) -> None:
        """Run until ``/quit`` or end of input; ``read`` returns one line ('' at the end)."""
        self.adapter.add_person(self.community, "owner", "Owner", Role.OWNER)
        await self.app.start()
        ticker = asyncio.create_task(self._tick(), name="console-clock")
        self.say(f"Hearth console — community {self.community!r}, "
                 f"{self.now():%Y-%m-%d %H:%M %Z}. You are @owner in #{self.channel}. /help for help.")
        try:
            loop = asyncio.get_running_loop()
            while True:
                line = await loop.run_in_executor(None, read)
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                try:
                    if await self.handle(line) is False:
                        break
                except (HearthError, ValueError) as exc:
                    self.say(f"  ! {exc}")
                await self.app.settle()
        finally:
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
            await self.app.stop()

    def now(self) -> datetime:
        return self.clock.now().astimezone(self.zone)

    def _id(self) -> str:
        self._seq += 1
        return f"c{self._seq}"

    async def handle(self, line: str) -> bool:
        """Handle one typed line; False ends the session."""
        if not line.startswith("/"):
            async with self._lock:
                await self.adapter.inject_message(self.community, self.me, self.channel, line, self._id())
            return True
        parts = shlex.split(line[1:])
        if not parts:
            return True
        cmd, args = parts[0].lower(), parts[1:]
        community = self.community
        async with self._lock:
            if cmd in ("quit", "exit", "q"):
                return False
            if cmd == "help":
                self.say(HELP)
            elif cmd == "as" and args:
                self.adapter.person(community, args[0])
                self.me = args[0]
                self.say(f"  you are @{self.me}")
            elif cmd == "join" and args:
                inviter = args[args.index("by") + 1] if "by" in args[:-1] else None
                name = args[1] if len(args) > 1 and args[1] != "by" else args[0].title()
                await self.adapter.inject_join(community, args[0], name, inviter)
                self.me = args[0]
                self.say(f"  @{self.me} joined; you are @{self.me}")
            elif cmd == "leave":
                await self.adapter.inject_leave(community, args[0] if args else self.me)
            elif cmd == "in" and args:
                self.adapter.channel(community, args[0])
                self.channel = args[0]
                self.say(f"  now in #{self.channel}")
            elif cmd == "dm" and args:
                await self.adapter.inject_dm(community, self.me, " ".join(args), self._id())
            elif cmd == "react" and args:
                where = f"dm:{self.me}" if self.channel == "" else self.channel
                target = args[1] if len(args) > 1 else (
                    self.adapter.last_bot_message.get((community, f"dm:{self.me}"))
                    or self.adapter.last_bot_message.get((community, where)))
                if target is None:
                    raise ValueError("the bot has not said anything to react to yet")
                await self.adapter.inject_reaction(community, self.me, target, args[0])
            elif cmd == "role" and len(args) == 2:
                person = self.adapter.person(community, args[0])
                person.roles = {Role.parse(args[1])}
                self.say(f"  @{args[0]} is now {person.role.label}")
            elif cmd == "members":
                for p in self.adapter.people[community].values():
                    state = "" if p.present else " (gone)"
                    self.say(f"  @{p.id} {p.name} — {p.role.label}{state}")
            elif cmd == "channels":
                self.say("  " + "  ".join(f"#{c}" for c in self.config.communities[community].channels))
            elif cmd == "time":
                pass
            else:
                self.say(f"  unknown or incomplete command /{cmd}; /help lists them")
                return True
        if cmd == "time" and args:
            step = parse_duration(args[0].lstrip("+"), longest=MAX_JUMP)
            await self._advance(self.clock.now() + step)
            self.offset += step
            self.say(f"  time is now {self.now():%Y-%m-%d %H:%M %Z}")
        elif cmd == "time":
            self.say(f"  time is {self.now():%Y-%m-%d %H:%M %Z}")
        return True
