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
    FLAG_EPHEMERAL,
    JSON,
    Channel,
    Guild,
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


def snowflake_param(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except (KeyError, ValueError):
        raise ApiError(404, 0, "404: Not Found") from None


class RouteBase:
    """Request plumbing (recording, auth, faults) and lookups shared by the routes."""

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
            body = json.loads(str(payload)) if payload is not None else {}
            files = [f for f in form.values() if isinstance(f, web.FileField)]
            if files:  # what was really uploaded, as Discord describes attachments
                body["attachments"] = [
                    {"id": str(i), "filename": f.filename, "size": len(f.file.read()),
                     "content_type": f.content_type,
                     "url": f"https://cdn.example/attachments/{i}/{f.filename}",
                     "proxy_url": f"https://media.example/attachments/{i}/{f.filename}"}
                    for i, f in enumerate(files)
                ]
            return body
        raw = await request.read()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode(errors="replace")

    # -- lookups -------------------------------------------------------------------------

    def _guild(self, request: web.Request) -> Guild:
        guild = self.state.guilds.get(snowflake_param(request, "guild_id"))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    def _channel(self, request: web.Request) -> Channel:
        channel = self.state.channel(snowflake_param(request, "channel_id"))
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel

    def _message(self, request: web.Request, channel: Channel) -> Message:
        message = self.state.messages.get(snowflake_param(request, "message_id"))
        if message is None or message.deleted or message.channel_id != channel.id:
            raise ApiError(404, 10008, "Unknown Message")
        return message

    def _member(self, request: web.Request, guild: Guild) -> Member:
        member = guild.members.get(snowflake_param(request, "user_id"))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return member

    def _user(self, user_id: int) -> User:
        user = self.state.users.get(user_id)
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return user

    def _check_app(self, request: web.Request) -> None:
        if snowflake_param(request, "app_id") != self.state.application_id:
            raise ApiError(403, 50001, "Missing Access")

    def _raw_body(self, request: web.Request) -> Any:
        return self._bodies.get(id(request))

    def _body(self, request: web.Request) -> JSON:
        body = self._raw_body(request)
        return body if isinstance(body, dict) else {}

    # -- bot messages ------------------------------------------------------------------

    def _bot_message(self, channel: Channel, body: JSON, *, store: bool = True,
                     extra_flags: int = 0) -> Message:
        content = str(body.get("content") or "")
        embeds = body.get("embeds") or []
        components = body.get("components") or []
        attachments = [a for a in body.get("attachments") or [] if "size" in a]
        if not (content or embeds or components or attachments or body.get("sticker_ids")
                or extra_flags):
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
        message.attachments = attachments
        if allowed is not None:
            allowed_users = {int(u) for u in allowed.get("users", [])}
            if "users" not in allowed.get("parse", []):
                message.mentions = [u for u in message.mentions if u.id in allowed_users]
        if reply_to is not None and (allowed is None or allowed.get("replied_user", True)):
            if all(u.id != reply_to.author.id for u in message.mentions):
                message.mentions.append(reply_to.author)
        return message
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

def parse_overwrites(raw: list[JSON]) -> dict[int, Overwrite]:
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
