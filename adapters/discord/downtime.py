"""Catching up after downtime, and saving the position a restart catches up from.

Each followed channel's history since its position and the joins and leaves
found in the member list are handed to the core first, oldest first (the
position and the backlog are in :mod:`.catchup`).
"""

from __future__ import annotations

import asyncio
import logging

import discord

from hearth.adapters.discord.catchup import Backlog, Progress
from hearth.adapters.discord.convert import PLATFORM
from hearth.adapters.discord.inbound import Inbound
from hearth.adapters.discord.session import Session
from hearth.events import Event, MemberJoinedEvent, MemberLeftEvent
from hearth.models import Member
from hearth.ports import AdapterHost

log = logging.getLogger(__name__)


class Downtime:
    """Recovers what was missed while the bot was away, and checkpoints the position."""

    def __init__(self, session: Session, inbound: Inbound) -> None:
        self.session = session
        self.inbound = inbound

    async def catch_up_all(self) -> None:
        s = self.session
        async with s.lock("catch-up"):
            client = s.connected()
            for key, gid in s.guild_ids().items():
                guild = client.get_guild(gid)
                if guild is None or not s.on_my_shards(gid):
                    continue
                try:
                    await self.catch_up(key, guild)
                except Exception:
                    # The position stays unsaved until a later catch-up succeeds.
                    log.exception("%s: catching up on events missed on Discord failed", key)
            host = s.host
            if host is not None:
                await self.checkpoint(host)

    async def catch_up(self, key: str, guild: discord.Guild) -> None:
        """Hand the core what was missed in ``guild`` while the bot was away (see :mod:`.catchup`).

        At most ``catch_up_limit`` events, the newest, in the order they happened; the
        older ones are reported as skipped. Events arriving meanwhile are handled as usual.
        """
        s = self.session
        host = s.host
        if host is None:
            return
        progress = s.progress[key]
        if progress.resume is None:
            progress.begin_session()
        backlog: Backlog[tuple[Event, int]] = Backlog(host.catch_up_limit)
        present = await self.session.member_list(key, guild)
        joiners = self._missed_members(key, guild, progress, present, backlog)
        newest = await self._missed_messages(key, guild, progress, backlog)
        for event, channel_id in backlog.oldest_first():
            if channel_id:
                if not await self.inbound.hand_over_message(event, channel_id, int(event.id)):
                    return
            elif not await s.submit(event):
                return
            elif isinstance(event, MemberJoinedEvent):
                progress.joined(int(event.member.id), event.member.name)
            elif isinstance(event, MemberLeftEvent):
                progress.left(int(event.member.id))
        if backlog.skipped:
            await host.report_skipped(key, PLATFORM, backlog.skipped)
        # The skipped events are passed over for good: the position moves past them too.
        for channel_id, message_id in newest.items():
            progress.advance(channel_id, message_id)
        for user_id, name in joiners.items():
            if guild.get_member(user_id) is not None:
                progress.joined(user_id, name)
        if present is not None and progress.members is not None:
            for user_id in progress.members.keys() - present.keys():
                if guild.get_member(user_id) is None:
                    progress.left(user_id)
        if backlog.total:
            log.info("%s: %d events missed on Discord handed over, %d skipped", key,
                     backlog.total - backlog.skipped, backlog.skipped)
        progress.end_catch_up()

    def _missed_members(self, key: str, guild: discord.Guild, progress: Progress,
                        present: dict[int, discord.Member] | None,
                        backlog: Backlog[tuple[Event, int]]) -> dict[int, str]:
        """Joins and leaves since the known member list into ``backlog``; returns the joiners.

        The first time (no list known yet) the present list becomes the known one.
        """
        if present is None:
            return {}
        if progress.members is None:
            progress.know_members({uid: m.display_name for uid, m in present.items()})
            return {}
        joiners: dict[int, str] = {}
        for user_id in present.keys() - progress.members.keys():
            event = self.inbound.join_event(key, present[user_id])
            joiners[user_id] = event.member.name
            # Message times have millisecond precision: at equal times, the join goes first.
            backlog.add(event.time.replace(microsecond=event.time.microsecond // 1000 * 1000),
                        (event, 0))
        now = discord.utils.utcnow()  # when a member left is unknown: after everything else
        for user_id in progress.members.keys() - present.keys():
            gone = Member(platform=PLATFORM, id=str(user_id), name=progress.members[user_id])
            backlog.add(now, (MemberLeftEvent(
                platform=PLATFORM, id=f"leave:{guild.id}:{user_id}:missed:{now.timestamp()}",
                community=key, time=now, member=gone), 0))
        return joiners

    async def _missed_messages(self, key: str, guild: discord.Guild, progress: Progress,
                               backlog: Backlog[tuple[Event, int]]) -> dict[int, int]:
        """Put each followed channel's messages after its position in ``backlog``.

        Returns the newest message id read per channel. A channel without a position
        (first start, newly mapped) starts from its newest message, replaying nothing.
        """
        newest: dict[int, int] = {}
        followed = self.session.followed(key)
        for channel_id in set(progress.channels) - followed:  # unmapped, or a group that ended
            progress.forget_channel(channel_id)
        for channel_id in sorted(followed):
            channel = guild.get_channel(channel_id)
            if not isinstance(channel, discord.TextChannel):
                continue
            after = (progress.resume or progress.channels).get(channel_id)
            if after is None:
                start = channel.last_message_id or discord.utils.time_snowflake(
                    discord.utils.utcnow())
                progress.advance(channel_id, start)
                continue
            try:
                async for message in channel.history(limit=None, after=discord.Object(after),
                                                     oldest_first=True):
                    newest[channel_id] = max(newest.get(channel_id, 0), message.id)
                    event = self.inbound.message_event(message)
                    if event is not None:
                        backlog.add(message.created_at, (event, channel_id))
            except discord.HTTPException as exc:
                log.warning("%s: could not read the history of channel %s (messages posted "
                            "there while the bot was down are not handled): %s", key,
                            channel_id, exc)
        return newest

    async def checkpoints(self, host: AdapterHost) -> None:
        """Save the position a restart resumes from, every ``checkpoint_every`` seconds."""
        while True:
            await asyncio.sleep(self.session.adapter.checkpoint_every)
            try:
                await self.checkpoint(host)
            except Exception:
                log.exception("could not save the Discord position; retrying")

    async def checkpoint(self, host: AdapterHost) -> None:
        """Save what changed, once the core has handled every event given to it before."""
        taken = [(p, snap) for p in self.session.progress.values()
                 if (snap := p.take()) is not None]
        if not taken:
            return
        try:
            await host.handled()
            for progress, snapshot in taken:
                await progress.save(host.kv, snapshot)
        except BaseException:
            for progress, snapshot in taken:
                progress.untake(snapshot)
            raise
