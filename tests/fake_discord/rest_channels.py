"""REST routes for channels, messages, reactions and pins."""

from __future__ import annotations

from aiohttp import web

from .rest import (
    ApiError,
    RouteBase,
    json_response,
    no_content,
    parse_overwrites,
    react,
    snowflake_param,
)
from .state import (
    DM,
    GUILD_TEXT,
    PRIVATE_THREAD,
    Channel,
    LimitError,
    Overwrite,
    iso,
)


class ChannelRoutes(RouteBase):
    """Channel and message routes."""

    # -- channels ------------------------------------------------------------------------

    async def get_channel(self, request: web.Request) -> web.Response:
        return json_response(self._channel(request).to_payload())

    async def edit_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        body = self._body(request)
        if channel.type == DM:
            raise ApiError(403, 50003, "Cannot execute action on a DM channel")
        if channel.type == PRIVATE_THREAD:
            channel.archived = bool(body.get("archived", channel.archived))
            channel.locked = bool(body.get("locked", channel.locked))
        if "name" in body:
            channel.name = str(body["name"])
        if "topic" in body:
            channel.topic = body["topic"]
        if "position" in body and body["position"] is not None:
            channel.position = int(body["position"])
        if "nsfw" in body:
            channel.nsfw = bool(body["nsfw"])
        if "parent_id" in body:
            parent = None if body["parent_id"] is None else int(body["parent_id"])
            guild = self.state.guild_of(channel)
            if guild is not None:
                try:
                    guild.check_room(parent, moving=channel)
                except LimitError as exc:
                    raise ApiError(400, exc.code, exc.message) from exc
            channel.parent_id = parent
        if "permission_overwrites" in body:
            channel.overwrites = parse_overwrites(body["permission_overwrites"])
        self.events.channel("CHANNEL_UPDATE", channel)
        return json_response(channel.to_payload())

    async def delete_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.type == DM:
            return json_response(channel.to_payload())
        guild = self.state.guild_of(channel)
        assert guild is not None
        if channel.type == PRIVATE_THREAD:
            del guild.threads[channel.id]
            self.events.thread("THREAD_DELETE", channel)
            return json_response(channel.to_payload())
        del guild.channels[channel.id]
        self.events.channel("CHANNEL_DELETE", channel)
        for child in guild.channels.values():
            if child.parent_id == channel.id:
                child.parent_id = None
                self.events.channel("CHANNEL_UPDATE", child)
        return json_response(channel.to_payload())

    async def put_overwrite(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        body = self._body(request)
        target = snowflake_param(request, "target_id")
        channel.overwrites[target] = Overwrite(
            id=target,
            type=int(body.get("type", 0)),
            allow=int(body.get("allow", 0) or 0),
            deny=int(body.get("deny", 0) or 0),
        )
        self.events.channel("CHANNEL_UPDATE", channel)
        return no_content()

    async def delete_overwrite(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.overwrites.pop(snowflake_param(request, "target_id"), None) is not None:
            self.events.channel("CHANNEL_UPDATE", channel)
        return no_content()

    # -- private threads -----------------------------------------------------------------

    async def create_thread(self, request: web.Request) -> web.Response:
        parent = self._channel(request)
        body = self._body(request)
        if parent.type != GUILD_TEXT:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        if int(body.get("type") or 0) != PRIVATE_THREAD:
            raise ApiError(400, 50035, "Invalid Form Body (only private threads are imitated)")
        guild = self.state.guild_of(parent)
        assert guild is not None
        thread = Channel(id=self.state.new_id(), type=PRIVATE_THREAD, name=str(body["name"]),
                         guild_id=guild.id, parent_id=parent.id, owner_id=self.state.bot.id,
                         thread_members={self.state.bot.id})
        guild.threads[thread.id] = thread
        self.events.thread("THREAD_CREATE", thread)
        return json_response(thread.to_payload())

    def _thread(self, request: web.Request) -> Channel:
        thread = self._channel(request)
        if thread.type != PRIVATE_THREAD:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        return thread

    async def add_thread_member(self, request: web.Request) -> web.Response:
        thread = self._thread(request)
        if thread.archived and thread.locked:
            raise ApiError(400, 50083, "Thread is archived")
        thread.thread_members.add(snowflake_param(request, "user_id"))
        return no_content()

    async def remove_thread_member(self, request: web.Request) -> web.Response:
        self._thread(request).thread_members.discard(snowflake_param(request, "user_id"))
        return no_content()

    async def typing(self, request: web.Request) -> web.Response:
        self._channel(request)
        return no_content()

    # -- messages ------------------------------------------------------------------------

    async def list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        limit = int(request.query.get("limit", 50))
        if not 1 <= limit <= 100:
            raise ApiError(400, 50035, "Invalid Form Body (limit: must be between 1 and 100)")
        before = int(request.query.get("before", 1 << 63))
        after = int(request.query.get("after", 0))
        found = sorted(
            (m for m in self.state.messages.values()
             if m.channel_id == channel.id and not m.deleted and after < m.id < before),
            key=lambda m: m.id,
            reverse="after" not in request.query,
        )[:limit]
        if "after" in request.query:
            found.reverse()
        return json_response([self.state.message_payload(m) for m in found])

    async def get_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        return json_response(self.state.message_payload(self._message(request, channel)))

    async def create_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        body = self._body(request)
        message = self._bot_message(channel, body)
        self.events.message_create(message)
        return json_response(self.state.message_payload(message))
    async def edit_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        if message.author.id != self.state.bot.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self._apply_edit(message, self._body(request))
        return json_response(self.state.message_payload(message))
    async def delete_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        message.deleted = True
        self.events.message_delete(message)
        return no_content()

    async def add_own_reaction(self, request: web.Request) -> web.Response:
        return self._react(request, add=True)

    async def remove_own_reaction(self, request: web.Request) -> web.Response:
        return self._react(request, add=False)

    def _react(self, request: web.Request, *, add: bool) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        emoji = request.match_info["emoji"]
        changed = react(message, self.state.bot, emoji, add=add)
        if changed:
            self.events.reaction(message, self.state.bot, emoji, add=add)
        return no_content()

    async def list_pins(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        items = [
            {"pinned_at": iso(), "message": self.state.message_payload(self.state.messages[mid])}
            for mid in reversed(channel.pins)
        ]
        return json_response({"items": items, "has_more": False})

    async def list_pins_legacy(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        return json_response(
            [self.state.message_payload(self.state.messages[mid]) for mid in reversed(channel.pins)]
        )

    async def pin(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        if not message.pinned:
            message.pinned = True
            channel.pins.append(message.id)
            self.events.pins_update(channel, iso())
        return no_content()

    async def unpin(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        if message.pinned:
            message.pinned = False
            channel.pins.remove(message.id)
            self.events.pins_update(channel, iso() if channel.pins else None)
        return no_content()
