"""REST v10 side of the fake Discord: request recording, faults, and route handlers."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .events import Events
from .state import (
    ADMINISTRATOR,
    DM,
    FLAG_EPHEMERAL,
    GUILD_CATEGORY,
    GUILD_TEXT,
    JSON,
    AppCommand,
    Channel,
    Guild,
    InteractionRecord,
    Member,
    Message,
    Overwrite,
    Reaction,
    State,
    User,
    iso,
)
from .waiting import Signal

API_PREFIX = "/api/v10"
FLAG_LOADING = 1 << 7

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Recorded:
    """One REST request the fake received (``path`` is relative to ``/api/v10``)."""

    index: int
    method: str
    path: str
    json: Any
    headers: dict[str, str]
    query: dict[str, str]
    status: int | None = None
    rate_limited: bool = False
    unrouted: bool = False
    at: float = field(default_factory=time.perf_counter)

    def matches(self, method: str, pattern: str | re.Pattern[str]) -> bool:
        return (method == "*" or self.method == method.upper()) and bool(
            compile_pattern(pattern).fullmatch(self.path)
        )


@dataclass
class FaultRule:
    """A canned failure for the next request(s) matching ``method`` and ``pattern``."""

    method: str
    pattern: re.Pattern[str]
    status: int
    body: JSON
    headers: dict[str, str]
    times: int = 1


def compile_pattern(pattern: str | re.Pattern[str]) -> re.Pattern[str]:
    """``/channels/{id}/messages`` -> regex where each ``{...}`` matches one path segment."""
    if isinstance(pattern, re.Pattern):
        return pattern
    if pattern.startswith(API_PREFIX):
        pattern = pattern[len(API_PREFIX):]
    parts = re.split(r"(\{[^}/]*\})", pattern)
    regex = "".join("[^/]+" if p.startswith("{") and p.endswith("}") else re.escape(p)
                    for p in parts)
    return re.compile(regex)


class ApiError(Exception):
    """Raised by handlers to answer a Discord-style JSON error."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> web.Response:
    """JSON with ``Content-Type: application/json`` exactly (discord.py checks equality)."""
    resp = web.Response(body=json.dumps(data).encode(), status=status, headers=headers)
    resp.headers["Content-Type"] = "application/json"
    return resp


def no_content() -> web.Response:
    return web.Response(status=204)


def error_body(code: int, message: str) -> JSON:
    return {"message": message, "code": code}


def _snowflake(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except (KeyError, ValueError):
        raise ApiError(404, 0, "404: Not Found") from None


class RestApi:
    """The REST routes, bound to one fake's state and event emitter."""

    def __init__(self, state: State, events: Events, token: str,
                 gateway_url: Callable[[], str], app_flags: Callable[[], int]) -> None:
        self.state = state
        self._app_flags = app_flags
        self._bodies: dict[int, Any] = {}
        self.events = events
        self.token = token
        self._gateway_url = gateway_url
        self.requests: list[Recorded] = []
        self.faults: list[FaultRule] = []
        self.changed = Signal()

    # -- plumbing ------------------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)  # the gateway WebSocket lives at "/"
        body = await self._read_body(request)
        self._bodies[id(request)] = body
        rec = Recorded(
            index=len(self.requests),
            method=request.method,
            path=request.path[len(API_PREFIX):],
            json=body,
            headers=dict(request.headers),
            query=dict(request.query),
        )
        self.requests.append(rec)
        try:
            response = await self._answer(request, handler, rec)
        except ApiError as exc:
            response = json_response(error_body(exc.code, exc.message), exc.status)
        finally:
            self._bodies.pop(id(request), None)
        rec.status = response.status
        self.changed.notify()
        return response

    async def _answer(self, request: web.Request, handler: Handler, rec: Recorded
                      ) -> web.StreamResponse:
        unauthenticated = rec.path.startswith(("/interactions/", "/webhooks/"))
        if not unauthenticated and request.headers.get("Authorization") != f"Bot {self.token}":
            raise ApiError(401, 0, "401: Unauthorized")
        for rule in self.faults:
            if rule.times > 0 and rec.matches(rule.method, rule.pattern):
                rule.times -= 1
                self.faults = [r for r in self.faults if r.times > 0]
                rec.rate_limited = rule.status == 429
                return json_response(rule.body, rule.status, rule.headers)
        try:
            return await handler(request)
        except web.HTTPNotFound:
            rec.unrouted = True
            raise ApiError(404, 0, "404: Not Found") from None
        except web.HTTPMethodNotAllowed:
            rec.unrouted = True
            raise ApiError(405, 0, "405: Method Not Allowed") from None

    @staticmethod
    async def _read_body(request: web.Request) -> Any:
        if not request.can_read_body:
            return None
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            payload = form.get("payload_json")
            return json.loads(str(payload)) if payload is not None else None
        raw = await request.read()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode(errors="replace")

    def add_routes(self, app: web.Application) -> None:
        p = API_PREFIX
        r = app.router
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
            ("GET", "/users/@me", self.get_me),
            ("GET", "/users/{user_id}", self.get_user),
            ("POST", "/users/@me/channels", self.open_dm),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            # channels & messages
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("PATCH", "/channels/{channel_id}", self.edit_channel),
            ("DELETE", "/channels/{channel_id}", self.delete_channel),
            ("PUT", "/channels/{channel_id}/permissions/{target_id}", self.put_overwrite),
            ("DELETE", "/channels/{channel_id}/permissions/{target_id}", self.delete_overwrite),
            ("POST", "/channels/{channel_id}/typing", self.typing),
            ("GET", "/channels/{channel_id}/pins", self.list_pins_legacy),
            ("PUT", "/channels/{channel_id}/pins/{message_id}", self.pin),
            ("DELETE", "/channels/{channel_id}/pins/{message_id}", self.unpin),
            ("GET", "/channels/{channel_id}/messages/pins", self.list_pins),
            ("PUT", "/channels/{channel_id}/messages/pins/{message_id}", self.pin),
            ("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", self.unpin),
            ("GET", "/channels/{channel_id}/messages", self.list_messages),
            ("POST", "/channels/{channel_id}/messages", self.create_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message),
            ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
             self.add_own_reaction),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
             self.remove_own_reaction),
            # guilds
            ("GET", "/guilds/{guild_id}", self.get_guild),
            ("GET", "/guilds/{guild_id}/channels", self.list_channels),
            ("POST", "/guilds/{guild_id}/channels", self.create_channel),
            ("GET", "/guilds/{guild_id}/roles", self.list_roles),
            ("POST", "/guilds/{guild_id}/roles", self.create_role),
            ("PATCH", "/guilds/{guild_id}/roles/{role_id}", self.edit_role),
            ("DELETE", "/guilds/{guild_id}/roles/{role_id}", self.delete_role),
            ("GET", "/guilds/{guild_id}/members", self.list_members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member),
            ("PATCH", "/guilds/{guild_id}/members/{user_id}", self.edit_member),
            ("DELETE", "/guilds/{guild_id}/members/{user_id}", self.kick),
            ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.add_member_role),
            ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
             self.remove_member_role),
            ("GET", "/guilds/{guild_id}/bans", self.list_bans),
            ("GET", "/guilds/{guild_id}/bans/{user_id}", self.get_ban),
            ("PUT", "/guilds/{guild_id}/bans/{user_id}", self.ban),
            ("DELETE", "/guilds/{guild_id}/bans/{user_id}", self.unban),
            # application commands
            ("GET", "/applications/{app_id}/commands", self.list_commands),
            ("PUT", "/applications/{app_id}/commands", self.put_commands),
            ("POST", "/applications/{app_id}/commands", self.upsert_command),
            ("DELETE", "/applications/{app_id}/commands/{command_id}", self.delete_command),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self.list_commands),
            ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self.put_commands),
            ("POST", "/applications/{app_id}/guilds/{guild_id}/commands", self.upsert_command),
            ("DELETE", "/applications/{app_id}/guilds/{guild_id}/commands/{command_id}",
             self.delete_command),
            # interactions & webhooks
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.interaction_callback),
            ("POST", "/webhooks/{app_id}/{token}", self.followup),
            ("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", self.get_webhook_message),
            ("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}",
             self.edit_webhook_message),
            ("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}",
             self.delete_webhook_message),
        ]
        for method, path, handler in routes:
            r.add_route(method, p + path, handler)

    # -- lookups -------------------------------------------------------------------------

    def _guild(self, request: web.Request) -> Guild:
        guild = self.state.guilds.get(_snowflake(request, "guild_id"))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    def _channel(self, request: web.Request) -> Channel:
        channel = self.state.channel(_snowflake(request, "channel_id"))
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel

    def _message(self, request: web.Request, channel: Channel) -> Message:
        message = self.state.messages.get(_snowflake(request, "message_id"))
        if message is None or message.deleted or message.channel_id != channel.id:
            raise ApiError(404, 10008, "Unknown Message")
        return message

    def _member(self, request: web.Request, guild: Guild) -> Member:
        member = guild.members.get(_snowflake(request, "user_id"))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return member

    def _user(self, user_id: int) -> User:
        user = self.state.users.get(user_id)
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return user

    def _check_app(self, request: web.Request) -> None:
        if _snowflake(request, "app_id") != self.state.application_id:
            raise ApiError(403, 50001, "Missing Access")

    def _raw_body(self, request: web.Request) -> Any:
        return self._bodies.get(id(request))

    def _body(self, request: web.Request) -> JSON:
        body = self._raw_body(request)
        return body if isinstance(body, dict) else {}

    # -- users, app, gateway -------------------------------------------------------------

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self._gateway_url().rstrip("/")})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        return json_response({
            "url": self._gateway_url().rstrip("/"),
            "shards": 1,
            "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1,
            },
        })

    async def get_me(self, request: web.Request) -> web.Response:
        data = self.state.bot.to_payload()
        data.update(verified=True, mfa_enabled=False, email=None, locale="en-US")
        return json_response(data)

    async def get_user(self, request: web.Request) -> web.Response:
        return json_response(self._user(_snowflake(request, "user_id")).to_payload())

    async def get_application(self, request: web.Request) -> web.Response:
        state = self.state
        return json_response({
            "id": str(state.application_id),
            "name": state.bot.username,
            "description": "Fake application for tests",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": state.owner.to_payload(),
            "verify_key": "0" * 64,
            "flags": self._app_flags(),
            "team": None,
            "summary": "",
            "bot": state.bot.to_payload(),
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(state.guilds),
            "integration_types_config": {"0": {}},
        })

    async def open_dm(self, request: web.Request) -> web.Response:
        try:
            recipient_id = int(self._body(request).get("recipient_id", 0))
        except (TypeError, ValueError):
            raise ApiError(400, 50035, "Invalid Form Body") from None
        user = self.state.users.get(recipient_id)
        if user is None:
            raise ApiError(400, 50035, "Invalid Form Body")
        return json_response(self.state.dm_with(user).to_payload())

    # -- channels ------------------------------------------------------------------------

    async def get_channel(self, request: web.Request) -> web.Response:
        return json_response(self._channel(request).to_payload())

    async def edit_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        body = self._body(request)
        if channel.type == DM:
            raise ApiError(403, 50003, "Cannot execute action on a DM channel")
        if "name" in body:
            channel.name = str(body["name"])
        if "topic" in body:
            channel.topic = body["topic"]
        if "position" in body and body["position"] is not None:
            channel.position = int(body["position"])
        if "nsfw" in body:
            channel.nsfw = bool(body["nsfw"])
        if "parent_id" in body:
            channel.parent_id = None if body["parent_id"] is None else int(body["parent_id"])
        if "permission_overwrites" in body:
            channel.overwrites = _overwrites(body["permission_overwrites"])
        self.events.channel("CHANNEL_UPDATE", channel)
        return json_response(channel.to_payload())

    async def delete_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.type == DM:
            return json_response(channel.to_payload())
        guild = self.state.guild_of(channel)
        assert guild is not None
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
        target = _snowflake(request, "target_id")
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
        if channel.overwrites.pop(_snowflake(request, "target_id"), None) is not None:
            self.events.channel("CHANNEL_UPDATE", channel)
        return no_content()

    async def typing(self, request: web.Request) -> web.Response:
        self._channel(request)
        return no_content()

    # -- messages ------------------------------------------------------------------------

    async def list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        limit = int(request.query.get("limit", 50))
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

    def _bot_message(self, channel: Channel, body: JSON, *, store: bool = True,
                     extra_flags: int = 0) -> Message:
        content = str(body.get("content") or "")
        embeds = body.get("embeds") or []
        components = body.get("components") or []
        if not (content or embeds or components or body.get("sticker_ids") or extra_flags):
            raise ApiError(400, 50006, "Cannot send an empty message")
        reply_to: Message | None = None
        reference = body.get("message_reference")
        if reference and reference.get("message_id"):
            reply_to = self.state.messages.get(int(reference["message_id"]))
            if reply_to is None and reference.get("fail_if_not_exists", True):
                raise ApiError(400, 50035, "Invalid Form Body (message_reference: Unknown message)")
        allowed = body.get("allowed_mentions")
        message = self.state.create_message(
            channel,
            self.state.bot,
            content,
            reply_to=reply_to,
            embeds=embeds,
            components=components,
            flags=int(body.get("flags") or 0) | extra_flags,
            nonce=body.get("nonce"),
            store=store,
        )
        if allowed is not None:
            allowed_users = {int(u) for u in allowed.get("users", [])}
            if "users" not in allowed.get("parse", []):
                message.mentions = [u for u in message.mentions if u.id in allowed_users]
        if reply_to is not None and (allowed is None or allowed.get("replied_user", True)):
            if all(u.id != reply_to.author.id for u in message.mentions):
                message.mentions.append(reply_to.author)
        return message

    async def edit_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        if message.author.id != self.state.bot.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self._apply_edit(message, self._body(request))
        return json_response(self.state.message_payload(message))

    def _apply_edit(self, message: Message, body: JSON) -> None:
        if "content" in body:
            message.content = str(body["content"] or "")
        if "embeds" in body:
            message.embeds = body["embeds"] or []
        if "components" in body:
            message.components = body["components"] or []
        message.flags &= ~FLAG_LOADING
        message.edited_timestamp = iso()
        if not message.flags & FLAG_EPHEMERAL:
            self.events.message_update(message)

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

    # -- guilds --------------------------------------------------------------------------

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        data = guild.to_payload()
        if request.query.get("with_counts") in ("true", "1", "True"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return json_response(data)

    async def list_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response([c.to_payload() for c in guild.channels.values()])

    async def create_channel(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        body = self._body(request)
        kind = int(body.get("type") or GUILD_TEXT)
        if kind not in (GUILD_TEXT, GUILD_CATEGORY):
            raise ApiError(400, 50035, f"Invalid Form Body (fake supports types 0 and 4, not {kind})")
        if not body.get("name"):
            raise ApiError(400, 50035, "Invalid Form Body (name: required)")
        parent = body.get("parent_id")
        channel = guild.add_channel(
            str(body["name"]),
            type=kind,
            category=None if parent is None else int(parent),
            overwrites=list(_overwrites(body.get("permission_overwrites") or []).values()),
            topic=body.get("topic"),
            position=body.get("position"),
        )
        channel.nsfw = bool(body.get("nsfw", False))
        self.events.channel("CHANNEL_CREATE", channel)
        return json_response(channel.to_payload(), 201)

    async def list_roles(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response([r.to_payload() for r in guild.roles.values()])

    async def create_role(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        body = self._body(request)
        role = guild.add_role(
            str(body.get("name") or "new role"),
            int(body.get("permissions") or guild.everyone.permissions),
            color=int(body.get("color") or 0),
            hoist=bool(body.get("hoist", False)),
            mentionable=bool(body.get("mentionable", False)),
            position=1,
        )
        for other in guild.roles.values():  # new roles go just above @everyone
            if other.id not in (role.id, guild.id) and other.position >= 1:
                other.position += 1
        self.events.role("GUILD_ROLE_CREATE", guild, role)
        return json_response(role.to_payload())

    async def edit_role(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        role = guild.roles.get(_snowflake(request, "role_id"))
        if role is None:
            raise ApiError(404, 10011, "Unknown Role")
        body = self._body(request)
        for key in ("name", "color", "hoist", "mentionable"):
            if key in body and body[key] is not None:
                setattr(role, key, body[key])
        if body.get("permissions") is not None:
            role.permissions = int(body["permissions"])
        self.events.role("GUILD_ROLE_UPDATE", guild, role)
        return json_response(role.to_payload())

    async def delete_role(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        role = guild.roles.pop(_snowflake(request, "role_id"), None)
        if role is None:
            raise ApiError(404, 10011, "Unknown Role")
        for member in guild.members.values():
            if role.id in member.roles:
                member.roles.remove(role.id)
        self.events.role("GUILD_ROLE_DELETE", guild, role)
        return no_content()

    async def list_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        limit = max(1, min(1000, int(request.query.get("limit", 1))))
        after = int(request.query.get("after", 0))
        members = sorted((m for m in guild.members.values() if m.user.id > after),
                         key=lambda m: m.user.id)[:limit]
        return json_response([m.to_payload() for m in members])

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response(self._member(request, guild).to_payload())

    async def edit_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        member = self._member(request, guild)
        body = self._body(request)
        if "communication_disabled_until" in body:
            if body["communication_disabled_until"] and (
                self.state.permissions(guild, member.user.id) & ADMINISTRATOR
            ):
                raise ApiError(403, 50013, "Missing Permissions")
            member.communication_disabled_until = body["communication_disabled_until"]
        if "roles" in body:
            role_ids = [int(r) for r in body["roles"] or []]
            if any(r not in guild.roles for r in role_ids):
                raise ApiError(400, 50035, "Invalid Form Body (roles: unknown role)")
            member.roles = [r for r in role_ids if r != guild.id]
        if "nick" in body:
            member.nick = body["nick"] or None
        if "flags" in body:
            member.flags = int(body["flags"] or 0)
        self.events.member_update(member)
        return json_response(member.to_payload())

    async def add_member_role(self, request: web.Request) -> web.Response:
        return self._member_role(request, add=True)

    async def remove_member_role(self, request: web.Request) -> web.Response:
        return self._member_role(request, add=False)

    def _member_role(self, request: web.Request, *, add: bool) -> web.Response:
        guild = self._guild(request)
        member = self._member(request, guild)
        role_id = _snowflake(request, "role_id")
        if role_id not in guild.roles:
            raise ApiError(404, 10011, "Unknown Role")
        if add and role_id not in member.roles:
            member.roles.append(role_id)
            self.events.member_update(member)
        elif not add and role_id in member.roles:
            member.roles.remove(role_id)
            self.events.member_update(member)
        return no_content()

    async def kick(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        member = self._member(request, guild)
        del guild.members[member.user.id]
        self.events.member_remove(guild, member.user)
        return no_content()

    async def list_bans(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response([
            {"reason": reason, "user": self.state.users[uid].to_payload()}
            for uid, reason in guild.bans.items()
        ])

    async def get_ban(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        uid = _snowflake(request, "user_id")
        if uid not in guild.bans:
            raise ApiError(404, 10026, "Unknown Ban")
        return json_response({"reason": guild.bans[uid],
                              "user": self.state.users[uid].to_payload()})

    async def ban(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        user = self._user(_snowflake(request, "user_id"))
        guild.bans[user.id] = request.headers.get("X-Audit-Log-Reason")
        if user.id in guild.members:
            del guild.members[user.id]
            self.events.member_remove(guild, user)
        self.events.ban(guild, user, add=True)
        return no_content()

    async def unban(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        user = self._user(_snowflake(request, "user_id"))
        if guild.bans.pop(user.id, "missing") == "missing":
            raise ApiError(404, 10026, "Unknown Ban")
        self.events.ban(guild, user, add=False)
        return no_content()

    # -- application commands ------------------------------------------------------------

    def _command_table(self, request: web.Request) -> tuple[dict[str, AppCommand], int | None]:
        self._check_app(request)
        if "guild_id" not in request.match_info:
            return self.state.global_commands, None
        guild = self._guild(request)
        return self.state.guild_commands.setdefault(guild.id, {}), guild.id

    def _upsert(self, table: dict[str, AppCommand], guild_id: int | None, data: JSON
                ) -> AppCommand:
        name = str(data.get("name") or "")
        if not name:
            raise ApiError(400, 50035, "Invalid Form Body (name: required)")
        old = table.get(name)
        command = AppCommand(
            id=old.id if old else self.state.new_id(),
            application_id=self.state.application_id,
            name=name,
            data=dict(data),
            guild_id=guild_id,
            version=(old.version + 1) if old else 1,
        )
        table[name] = command
        return command

    async def list_commands(self, request: web.Request) -> web.Response:
        table, _ = self._command_table(request)
        return json_response([c.to_payload() for c in table.values()])

    async def put_commands(self, request: web.Request) -> web.Response:
        table, guild_id = self._command_table(request)
        body = self._raw_body(request)
        if not isinstance(body, list):
            raise ApiError(400, 50035, "Invalid Form Body (expected a list)")
        old = dict(table)
        table.clear()
        for data in body:
            if data.get("name") in old:
                table[data["name"]] = old[data["name"]]
            self._upsert(table, guild_id, data)
        return json_response([c.to_payload() for c in table.values()])

    async def upsert_command(self, request: web.Request) -> web.Response:
        table, guild_id = self._command_table(request)
        existed = self._body(request).get("name") in table
        command = self._upsert(table, guild_id, self._body(request))
        return json_response(command.to_payload(), 200 if existed else 201)

    async def delete_command(self, request: web.Request) -> web.Response:
        table, _ = self._command_table(request)
        command_id = _snowflake(request, "command_id")
        for name, command in list(table.items()):
            if command.id == command_id:
                del table[name]
                return no_content()
        raise ApiError(404, 10063, "Unknown application command")

    # -- interactions & followup webhooks ------------------------------------------------

    async def interaction_callback(self, request: web.Request) -> web.Response:
        interaction = self.state.interactions.get(_snowflake(request, "interaction_id"))
        if interaction is None or interaction.token != request.match_info["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        if interaction.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        body = self._body(request)
        interaction.callbacks.append(body)
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        message: Message | None = None
        if kind in (4, 5):
            message = self._interaction_message(interaction, data, loading=kind == 5)
        self.changed.notify()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return no_content()
        result: JSON = {
            "interaction": {
                "id": str(interaction.id),
                "type": interaction.type,
                "response_message_id": None if message is None else str(message.id),
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(int(data.get("flags") or 0) & FLAG_EPHEMERAL),
            },
        }
        if message is not None:
            result["resource"] = {"type": kind, "message": self.state.message_payload(message)}
        return json_response(result)

    def _interaction_message(self, interaction: InteractionRecord, data: JSON, *,
                             loading: bool) -> Message:
        channel = self.state.channel(interaction.channel_id)
        assert channel is not None
        flags = int(data.get("flags") or 0) & FLAG_EPHEMERAL
        message = self._bot_message(channel, data, extra_flags=flags | (FLAG_LOADING if loading
                                                                          else 0))
        message.webhook_id = self.state.application_id
        message.application_id = self.state.application_id
        message.type = 20
        message.interaction_metadata = {
            "id": str(interaction.id),
            "type": interaction.type,
            "user": interaction.user.to_payload(),
            "authorizing_integration_owners": {"0": str(interaction.guild_id or 0)},
            "name": interaction.payload.get("data", {}).get("name"),
        }
        interaction.response_message_id = message.id
        if not message.flags & FLAG_EPHEMERAL:
            self.events.message_create(message)
        return message

    def _interaction_by_token(self, request: web.Request) -> InteractionRecord:
        self._check_app(request)
        interaction = self.state.interactions_by_token.get(request.match_info["token"])
        if interaction is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        return interaction

    def _webhook_message(self, request: web.Request, interaction: InteractionRecord) -> Message:
        raw = request.match_info["message_id"]
        message_id = interaction.response_message_id if raw == "@original" else int(raw)
        message = self.state.messages.get(message_id or 0)
        if message is None or message.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        return message

    async def followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request)
        body = self._body(request)
        interaction.followups.append(body)
        channel = self.state.channel(interaction.channel_id)
        assert channel is not None
        message = self._bot_message(channel, body,
                                    extra_flags=int(body.get("flags") or 0) & FLAG_EPHEMERAL)
        message.webhook_id = self.state.application_id
        message.application_id = self.state.application_id
        if not message.flags & FLAG_EPHEMERAL:
            self.events.message_create(message)
        self.changed.notify()
        if request.query.get("wait") in ("true", "1", "True"):
            return json_response(self.state.message_payload(message))
        return no_content()

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request)
        return json_response(self.state.message_payload(self._webhook_message(request,
                                                                              interaction)))

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request)
        message = self._webhook_message(request, interaction)
        interaction.edits.append(self._body(request))
        self._apply_edit(message, self._body(request))
        self.changed.notify()
        return json_response(self.state.message_payload(message))

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request)
        message = self._webhook_message(request, interaction)
        message.deleted = True
        if not message.flags & FLAG_EPHEMERAL:
            self.events.message_delete(message)
        return no_content()


def _overwrites(raw: list[JSON]) -> dict[int, Overwrite]:
    overwrites = [Overwrite.from_payload(o) for o in raw]
    return {o.id: o for o in overwrites}


def react(message: Message, user: User, emoji: str, *, add: bool) -> bool:
    """Add or remove ``user``'s reaction; True if it changed anything."""
    reaction = message.reactions.setdefault(emoji, Reaction(emoji))
    if add and user.id not in reaction.user_ids:
        reaction.user_ids.append(user.id)
        return True
    if not add and user.id in reaction.user_ids:
        reaction.user_ids.remove(user.id)
        return True
    return False


def rate_limit_fault(method: str, pattern: str | re.Pattern[str], retry_after: float,
                     global_: bool, times: int = 1) -> FaultRule:
    """A 429 as Discord sends it: ``Via`` header and JSON ``retry_after``."""
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(max(1, math.ceil(retry_after))),
        "X-RateLimit-Scope": "global" if global_ else "user",
    }
    if global_:
        headers["X-RateLimit-Global"] = "true"
    body: JSON = {"message": "You are being rate limited.", "retry_after": retry_after,
                  "global": global_}
    if global_:
        body["code"] = 0
    return FaultRule(method.upper(), compile_pattern(pattern), 429, body, headers, times)
