"""Sync responses in: Matrix events as Hearth events, in the order they happened.

Each sync response keeps the rooms' state current (:class:`~.convert.RoomState`)
and hands its timeline events over, merged across rooms by time: messages,
edits, reactions, redactions, joins and leaves. A limited timeline after
downtime is backfilled from the stored position, up to the catch-up limit;
events handled before a crash are not handed over again (:mod:`.sync`).
Invites to community rooms and direct chats are accepted; encrypted rooms are
reported, not read (no E2EE).
"""

from __future__ import annotations

import contextlib
import heapq
import logging
from functools import partial
from typing import Any

from nio import MessageDirection, SyncResponse

from hearth.errors import AdapterError, NotFound, StorageError
from hearth.events import (
    MemberJoinedEvent,
    MemberLeftEvent,
    MemberUpdatedEvent,
    MessageDeletedEvent,
    MessageEditedEvent,
    MessagePostedEvent,
    ReactionAddedEvent,
)
from hearth.models import Channel, Member, Message, Reaction, extract_links
from hearth.timeutil import from_ms

from . import ops
from .convert import (
    JOINED,
    PLATFORM,
    RoomState,
    annotation,
    event_ms,
    event_time,
    membership,
    message_parts,
    redacted_event,
)
from .identity import Identity
from .session import Session
from .topology import Topology

log = logging.getLogger(__name__)

BACKFILL_PAGE = 100  # events fetched per /messages request when catching up
COUNT_PAGE = 1000  # per request when only counting what is past the catch-up limit (Synapse's max)
RECENT_EVENTS = 2000  # message events kept to quote in replies without fetching them


def _timestamp(source: dict[str, Any]) -> int:
    """An event's ``origin_server_ts`` (0 when missing or not a number)."""
    ts = source.get("origin_server_ts")
    return int(ts) if isinstance(ts, int | float) else 0


class Inbound:
    """Hands the events of each sync response to the core."""

    def __init__(self, session: Session, topology: Topology, identity: Identity) -> None:
        self.session = session
        self.topology = topology
        self.identity = identity
        #: the last new display name told to the core per user (a rename shows in each room)
        self._renamed: dict[str, str] = {}

    async def on_sync(self, resp: SyncResponse, deliver: bool) -> None:
        s = self.session
        for room_id, invite in resp.rooms.invite.items():
            await self._on_invite(room_id, [e.source for e in invite.invite_state if hasattr(e, "source")])
        streams: dict[str, list[dict[str, Any]]] = {}
        missed: dict[str | None, int] = {}  # community -> events of limited timelines not fetched
        done: set[int] = set()  # events handled before a crash (handed over again they'd repeat)
        if any(self._unknown(room_id) for room_id in resp.rooms.join):
            await s.load_records()  # a group room another process made for a community it owns
        for room_id, info in resp.rooms.join.items():
            state = s.rooms.setdefault(room_id, RoomState(room_id))
            for st in info.state:  # the state at the start of the timeline
                if hasattr(st, "source"):
                    state.apply(st.source)
            events = [e.source for e in info.timeline.events]
            own_join = max((i for i, ev in enumerate(events) if ev.get("type") == "m.room.member"
                            and ev.get("state_key") == s.me
                            and membership(ev)[1] != JOINED and membership(ev)[2] == JOINED), default=None)
            if own_join is not None:  # a room the bot just joined: earlier events are history
                for ev in events[:own_join]:
                    if "state_key" in ev:
                        state.apply(ev)
                events = events[own_join:]
            elif deliver and info.timeline.limited and s.syncer and s.syncer.had_token:
                gap, beyond = await self._backfill(room_id, info.timeline.prev_batch)
                for ev in reversed(gap):  # back to the state before the gap
                    state.revert(ev)
                events = gap + events
                community = self._bucket(room_id)
                missed[community] = missed.get(community, 0) + beyond
            streams[room_id] = events
            if s.syncer is not None:
                done.update(id(ev) for ev in events[:s.syncer.already_handled(room_id, events)])
        ordered = list(heapq.merge(*([(room_id, ev) for ev in evs] for room_id, evs in streams.items()),
                                   key=lambda item: _timestamp(item[1])))
        skipped = await self._over_limit(ordered, missed) if missed else set()
        for n, (room_id, ev) in enumerate(ordered):
            state = s.rooms[room_id]
            if n in skipped or id(ev) in done:  # too old to catch up on, or handled: state only
                if "state_key" in ev:
                    state.apply(ev)
            else:
                try:
                    await self._on_event(room_id, state, ev, deliver)
                except (AdapterError, StorageError):
                    raise  # transient: the whole response is processed again
                except Exception:
                    log.exception("matrix: could not process event %s in %s; skipped it",
                                  ev.get("event_id"), room_id)
            if s.syncer is not None:
                await s.syncer.processed(room_id, str(ev.get("event_id", "")))
        for room_id in resp.rooms.leave:
            self._on_left_room(room_id)
        if any(getattr(e, "type", None) == "m.direct" for e in resp.account_data_events):
            await self._refresh_direct()

    def _unknown(self, room_id: str) -> bool:
        """True for a room of no known community that is no direct chat either."""
        return self.topology.community_of(room_id) is None and self.topology.dm_partner(room_id) is None

    def _bucket(self, room_id: str) -> str | None:
        """The community whose catch-up limit a room's events count against (None: a DM)."""
        return self.topology.community_of(room_id)

    async def _over_limit(self, ordered: list[tuple[str, dict[str, Any]]],
                          missed: dict[str | None, int]) -> set[int]:
        """Positions in ``ordered`` past the catch-up limit (the oldest), reported per community.

        Only communities catching up (with a limited timeline, keys of ``missed``) are trimmed;
        ``missed`` counts their events that were not even fetched.
        """
        s = self.session
        assert s.host is not None
        limit = s.host.catch_up_limit
        kept: dict[str | None, int] = {}
        skipped: set[int] = set()
        for n in range(len(ordered) - 1, -1, -1):
            bucket = self._bucket(ordered[n][0])
            if bucket in missed:
                kept[bucket] = kept.get(bucket, 0) + 1
                if kept[bucket] > limit:
                    skipped.add(n)
        for bucket, beyond in missed.items():
            count = beyond + max(0, kept.get(bucket, 0) - limit)
            if not count:
                continue
            if bucket is None:
                log.warning("%d missed events in direct chats were skipped (catch_up.max_events is %d)",
                            count, limit)
            else:
                await s.host.report_skipped(bucket, PLATFORM, count)
        return skipped

    async def _backfill(self, room_id: str, prev_batch: str | None) -> tuple[list[dict[str, Any]], int]:
        """Events between the stored token and a limited timeline: the newest up to the
        catch-up limit (oldest first), and how many older ones there are beyond them."""
        s = self.session
        assert s.host is not None
        if not prev_batch or s.syncer is None or s.syncer.token is None:
            return [], 0
        want = s.host.catch_up_limit
        found: list[dict[str, Any]] = []
        beyond = 0
        start = prev_batch
        while True:
            size = min(BACKFILL_PAGE, want - len(found)) if len(found) < want else COUNT_PAGE
            page = await s.do("fetch missed events", partial(self._messages, room_id, start, size))
            if len(found) < want:
                found.extend(e.source for e in page.chunk)
            else:
                beyond += len(page.chunk)
            if not page.chunk or not page.end or page.end == start:
                break
            start = page.end
        log.info("caught up %d missed events in %s%s", len(found), room_id,
                 f" ({beyond} older ones skipped)" if beyond else "")
        return list(reversed(found)), beyond

    async def _messages(self, room_id: str, start: str, limit: int) -> Any:
        s = self.session
        assert s.syncer is not None
        resp = await s.nio.room_messages(
            room_id, start=start, end=s.syncer.token, direction=MessageDirection.back, limit=limit
        )
        return ops.check(resp, "room messages")

    async def _on_invite(self, room_id: str, stripped: list[dict[str, Any]]) -> None:
        s = self.session
        mine = next((e for e in stripped if e.get("type") == "m.room.member"
                     and e.get("state_key") == s.me), None)
        if mine is None:
            return
        inviter = str(mine.get("sender", ""))
        direct = bool((mine.get("content") or {}).get("is_direct"))
        known = self.topology.community_of(room_id) is not None
        if not (direct or known or self.topology.dm_community(inviter)):
            log.info("ignoring an invite to %s from %s (not a community room nor a DM)", room_id, inviter)
            return
        try:
            await s.do("accept invite", lambda: ops.join(s.nio, room_id))
        except AdapterError as exc:
            log.warning("could not accept the invite to %s: %s", room_id, exc)
            return
        if direct or not known:
            s.dm_rooms.setdefault(room_id, inviter)
            try:  # the bot's m.direct lists it, so DMs to the member go there, also after a restart
                await s.do("record DM room", lambda: ops.add_direct_room(s.nio, inviter, room_id))
            except AdapterError as exc:
                log.warning("could not record %s as the DM room with %s: %s", room_id, inviter, exc)

    def _on_left_room(self, room_id: str) -> None:
        s = self.session
        community = self.topology.community_of(room_id)
        if community is not None and room_id not in s.groups.get(community, {}).values():
            s.warn_once(("left", room_id), "the bot is no longer in %s (community %s)", room_id,
                        community)
        s.rooms.pop(room_id, None)
        s.dm_rooms.pop(room_id, None)

    async def _refresh_direct(self) -> None:
        s = self.session
        with contextlib.suppress(AdapterError):
            direct = await s.do("read m.direct", lambda: ops.get_direct_rooms(s.nio))
            for uid, rooms in direct.items():
                for rid in rooms:
                    s.dm_rooms.setdefault(rid, uid)

    async def _on_event(self, room_id: str, state: RoomState, ev: dict[str, Any], deliver: bool) -> None:
        s = self.session
        kind = ev.get("type")
        if "state_key" in ev:
            await self._on_state(room_id, state, ev, deliver)
            return
        sender = str(ev.get("sender", ""))
        event_id = str(ev.get("event_id", ""))
        if not deliver or sender == s.me or not event_id:
            return
        community = self.topology.community_of(room_id)
        dm_with = None
        if community is None:
            dm_with = self.topology.dm_partner(room_id)
            if dm_with is None:
                return
            community = self.topology.dm_community(sender)
        if kind == "m.room.encrypted":
            await self._on_encrypted(room_id, dm_with is not None)
            return
        if dm_with:
            s.dm_for[sender] = room_id  # answer where the member talks to the bot
        channel = (Channel(platform=PLATFORM, id=room_id, dm_with=sender) if dm_with
                   else self.topology.channel(community or "", room_id))
        when_ms = event_ms(ev)
        when = from_ms(when_ms)
        content = ev.get("content") or {}
        if kind == "m.room.message":
            s.recent[event_id] = ev
            if len(s.recent) > RECENT_EVENTS:
                s.recent.popitem(last=False)
            parts = message_parts(content)
            if parts is None:
                return
            edit_of = parts.edit_of and await self._own_edit(room_id, parts.edit_of, sender, event_id)
            if edit_of is False:
                return
            message = Message(
                platform=PLATFORM, id=edit_of or event_id, channel=channel,
                author=self.identity.member(community, sender), text=parts.text, time_ms=when_ms,
                mentions=parts.mentions, links=extract_links(parts.text), reply_to=parts.reply_to,
                raw=ev,
            )
            if parts.edit_of:
                await s.submit(MessageEditedEvent(platform=PLATFORM, id=event_id,
                                                  community=community, time=when, message=message))
            else:
                await s.submit(MessagePostedEvent(platform=PLATFORM, id=event_id,
                                                  community=community, time=when, message=message))
        elif kind == "m.reaction":
            found = annotation(ev)
            if found is not None:
                reaction = Reaction(platform=PLATFORM, message_id=found[0], channel=channel,
                                    member=self.identity.member(community, sender), emoji=found[1], time=when)
                await s.submit(ReactionAddedEvent(platform=PLATFORM, id=event_id,
                                                  community=community, time=when, reaction=reaction))
        elif kind == "m.room.redaction":
            target = redacted_event(ev)
            if target:
                await s.submit(MessageDeletedEvent(platform=PLATFORM, id=event_id, community=community,
                                                   time=when, channel=channel, message_id=target))

    async def _own_edit(self, room_id: str, original: str, sender: str, edit: str) -> str | bool | None:
        """The message an ``m.replace`` edit changes: its id when ``sender`` wrote it (the edit
        is remembered so deleting the message removes it too), False when someone else did (the
        edit is ignored, as the spec says), None when the original cannot be read (the edit is
        then judged as a message of its own)."""
        s = self.session
        author = (s.recent.get(original) or {}).get("sender")
        if author is None:
            try:
                found = await s.do("read edited event", partial(self._event, room_id, original))
                author = found.get("sender")
            except AdapterError as exc:
                log.info("cannot read %s, the event edited by %s: %s", original, edit, exc)
                return None
        if author != sender:
            log.info("ignoring %s: %s edits %s, an event sent by %s", edit, sender, original, author)
            return False
        s.edits.setdefault(original, []).append(edit)
        if len(s.edits) > RECENT_EVENTS:
            s.edits.popitem(last=False)
        return original

    async def fetch_message(self, community: str, channel: Channel, event_id: str) -> Message | None:
        """A message event of the community as the server has it now (None: gone or no message)."""
        s = self.session
        ev = s.recent.get(event_id)
        if ev is None:
            try:
                ev = await s.do("read event", partial(self._event, channel.id, event_id))
            except NotFound:
                return None
        parts = message_parts(ev.get("content") or {}) if ev.get("type") == "m.room.message" else None
        sender = str(ev.get("sender", ""))
        if parts is None or not sender:
            return None
        author = (Member(platform=PLATFORM, id=sender, name=sender, is_bot=True) if sender == s.me
                  else self.identity.member(community, sender))
        return Message(
            platform=PLATFORM, id=event_id, channel=self.topology.channel(community, channel.id),
            author=author, text=parts.text, time_ms=event_ms(ev), mentions=parts.mentions,
            links=extract_links(parts.text), reply_to=parts.reply_to, raw=ev,
        )

    async def _event(self, room_id: str, event_id: str) -> dict[str, Any]:
        s = self.session
        resp = await s.nio.room_get_event(room_id, event_id)
        return dict(ops.check(resp, "get event").event.source)

    async def _on_state(self, room_id: str, state: RoomState, ev: dict[str, Any], deliver: bool) -> None:
        s = self.session
        kind = ev.get("type")
        renamed = False
        if kind == "m.room.member" and isinstance((ev.get("content") or {}).get("displayname"), str):
            known = state.names.get(str(ev.get("state_key")))  # in this room, before this event
            renamed = known is not None and known != ev["content"]["displayname"]
            s.names[str(ev.get("state_key"))] = ev["content"]["displayname"]
        community = self.topology.community_of(room_id)
        in_members = community is not None and room_id in s.community_rooms.get(community, [])
        if kind == "m.room.power_levels" and in_members and community is not None and deliver:
            await self._levels_changed(community, state, ev)
            return
        if kind != "m.room.member" or not in_members or community is None:
            state.apply(ev)
            if kind == "m.space.child" and community is not None and room_id == s.spaces.get(community):
                child = str(ev.get("state_key", ""))
                if (ev.get("content") or {}).get("via"):
                    await self.topology.adopt_child(community, child)
            if kind == "m.room.encryption" and state.encrypted:
                s.warn_once(("e2ee", room_id), "%s is now end-to-end encrypted: Hearth cannot read "
                            "it any more (E2EE is not supported)", room_id)
            return
        user, before, after = membership(ev)
        was_in = self.topology.in_community(community, user)
        state.apply(ev)
        now_in = self.topology.in_community(community, user)
        if deliver and user != s.me and was_in and now_in and before == after == JOINED:
            name = s.names.get(user)
            if not renamed or self._renamed.get(user) == name:  # no change, or told already
                return
            self._renamed[user] = name or ""
            await s.submit(MemberUpdatedEvent(
                platform=PLATFORM, id=str(ev.get("event_id")), community=community,
                time=event_time(ev), member=self.identity.member(community, user)))
            return
        if not deliver or user == s.me or was_in == now_in:
            return
        if now_in != (after == JOINED) or (before == JOINED) == (after == JOINED):
            return  # a profile change, or a change our state could not see the start of
        when = event_time(ev)
        member = self.identity.member(community, user)
        if now_in:
            invited_by = None
            if before == "invite":
                prev_sender = (ev.get("unsigned") or {}).get("prev_sender")
                invited_by = prev_sender if isinstance(prev_sender, str) and prev_sender != user else None
            await s.submit(MemberJoinedEvent(platform=PLATFORM, id=str(ev.get("event_id")),
                                             community=community, time=when, member=member,
                                             invited_by=invited_by))
        else:
            await s.submit(MemberLeftEvent(platform=PLATFORM, id=str(ev.get("event_id")),
                                           community=community, time=when, member=member))

    async def _levels_changed(self, community: str, state: RoomState, ev: dict[str, Any]) -> None:
        """Power levels changed in a community room: each member whose neutral role changed is updated."""
        s = self.session
        users = set(state.power.get("users") or {}) | set((ev.get("content") or {}).get("users") or {})
        users = {u for u in users if u != s.me and self.topology.in_community(community, u)}
        before = {u: self.identity.role(community, u) for u in users}
        state.apply(ev)
        for user in sorted(users):
            member = self.identity.member(community, user)
            if member.role != before[user]:
                await s.submit(MemberUpdatedEvent(
                    platform=PLATFORM, id=f"{ev.get('event_id')}:{user}", community=community,
                    time=event_time(ev), member=member))

    async def _on_encrypted(self, room_id: str, is_dm: bool) -> None:
        s = self.session
        s.warn_once(("e2ee", room_id), "received an end-to-end encrypted message in %s: Hearth "
                    "does not support E2EE and ignores encrypted messages", room_id)
        if is_dm and ("e2ee-notice", room_id) not in s.warned:
            s.warned.add(("e2ee-notice", room_id))
            with contextlib.suppress(AdapterError):
                await s.do("send", lambda: ops.send_text(
                    s.nio, room_id, "I cannot read encrypted messages. Please message me in an "
                    "unencrypted room (start a chat with encryption turned off).", notice=True))

