"""Matrix operations a community bot needs, as async functions over a ``nio.AsyncClient``.

Every function checks nio's response type (nio returns ``*Error`` responses instead of
raising) and raises :mod:`.errors` exceptions: ``MatrixForbidden``, ``MatrixNotFound``,
``MatrixRateLimited`` or ``MatrixOpError``. Nothing here depends on the client's sync
state: each call asks the homeserver, so the functions work with or without a sync loop.

Endpoints nio has no method for (``m.direct`` account data, the Synapse admin API) go
through :func:`raw_request`, which applies the same error mapping. End-to-end encryption
is not handled: :func:`is_encrypted` lets the caller detect such rooms.
"""

from __future__ import annotations

import asyncio
import html
import io
import json
import logging
import mimetypes
import re
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote
from uuid import uuid4

from aiohttp import ClientError
from nio import (
    AsyncClient,
    DirectRoomsErrorResponse,
    ErrorResponse,
    RoomPreset,
    RoomVisibility,
)

from hearth.models import CODE_SPAN

from .errors import MatrixForbidden, MatrixNotFound, MatrixOpError, MatrixRateLimited

__all__ = [
    "CREATOR_LEVEL",
    "HOLD_STATE_TYPE",
    "MUTE_STATE_TYPE",
    "DissolveResult",
    "PowerLevels",
    "SpaceChild",
    "add_space_child",
    "ban",
    "build_text_content",
    "check",
    "create_private_room_in_space",
    "create_space",
    "dissolve_room",
    "get_direct_rooms",
    "get_or_create_dm",
    "get_pinned_events",
    "get_power_levels",
    "invite",
    "is_encrypted",
    "is_server_admin",
    "join",
    "kick",
    "list_space_rooms",
    "missing_permissions",
    "mute",
    "pill",
    "pin",
    "raw_request",
    "redact",
    "remove_space_child",
    "reply",
    "retry_rate_limited",
    "send_file",
    "send_text",
    "set_power_level",
    "synapse_admin_delete_room",
    "unban",
    "unmute",
    "unpin",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

CLIENT_API = "/_matrix/client/v3"
SYNAPSE_ADMIN = "/_synapse/admin"
MATRIX_TO = "https://matrix.to/#/"
HOLD_STATE_TYPE = "org.hearthbot.hold"
"""Room state event (state key "") keeping the room's ``events_default`` from before a hold on
newcomers (a join wave): ``{"previous": level}`` while held, ``{}`` otherwise."""

MUTE_STATE_TYPE = "org.hearthbot.mute"
"""Room state event (state key "") mapping muted user ids to their previous power level.

(A per-user state key is impossible: state keys starting with ``@`` are owned by that user.)
"""

Mentions = Mapping[str, str] | Iterable[str]
"""User ids to mention: a mapping ``user_id -> display name`` or just the ids."""


# ----------------------------------------------------------------------------- errors


def _http_status(resp: Any) -> int | None:
    transport = getattr(resp, "transport_response", None)
    status = getattr(transport, "status", None)
    return status if isinstance(status, int) else None


def _raise(
    status: int | None,
    errcode: str | None,
    message: str,
    retry_after_ms: int | None,
    operation: str,
) -> NoReturn:
    if status == 429 or errcode == "M_LIMIT_EXCEEDED":
        raise MatrixRateLimited(status, errcode, message, retry_after_ms=retry_after_ms, operation=operation)
    if status == 403 or errcode == "M_FORBIDDEN":
        raise MatrixForbidden(status, errcode, message, operation=operation)
    if status == 404 or errcode == "M_NOT_FOUND":
        raise MatrixNotFound(status, errcode, message, operation=operation)
    raise MatrixOpError(status, errcode, message, operation=operation)


def check(resp: R, operation: str) -> R:
    """Return ``resp`` unless it is a nio ``ErrorResponse``; then raise the mapped error.

    nio stores the Matrix errcode in ``ErrorResponse.status_code``; the HTTP status
    comes from the transport response. Also catches a nio quirk: a failed
    ``room_get_state_event`` other than 404 (e.g. 403) comes back as a *successful*
    ``RoomGetStateEventResponse`` whose ``content`` is the error body.
    """
    if isinstance(resp, ErrorResponse):
        _raise(
            _http_status(resp),
            resp.status_code,
            resp.message,
            resp.retry_after_ms,
            operation,
        )
    status = _http_status(resp)
    if status is not None and status >= 400:
        body = getattr(resp, "content", None)
        body = body if isinstance(body, dict) else {}
        _raise(
            status,
            body.get("errcode"),
            str(body.get("error", "")),
            body.get("retry_after_ms"),
            operation,
        )
    return resp


async def raw_request(
    client: AsyncClient,
    method: str,
    path: str,
    body: Mapping[str, Any] | None = None,
    *,
    operation: str = "",
) -> dict[str, Any]:
    """Call an endpoint nio has no method for; returns the JSON body or raises.

    ``path`` is absolute (``/_matrix/client/v3/...``); the client's access token is used.
    """
    headers = {
        "Authorization": f"Bearer {client.access_token}",
        "Content-Type": "application/json",
    }
    data = json.dumps(body) if body is not None else None
    resp = await client.send(method, path, data, headers)
    try:
        try:
            parsed = await resp.json(content_type=None)
        except ValueError:
            parsed = None
        payload: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
        if 200 <= resp.status < 300:
            return payload
        retry_after = payload.get("retry_after_ms")
        if retry_after is None and resp.headers.get("Retry-After", "").isdigit():
            retry_after = int(resp.headers["Retry-After"]) * 1000
        _raise(
            resp.status,
            payload.get("errcode"),
            str(payload.get("error", resp.reason or "")),
            retry_after,
            operation or f"{method} {path.split('?')[0]}",
        )
    finally:
        resp.release()


async def retry_rate_limited(
    call: Callable[[], Awaitable[T]],
    *,
    max_attempts: int = 5,
    max_total_wait: float = 30.0,
    default_retry_after_ms: int = 1000,
) -> T:
    """Run ``call()`` and wait out ``MatrixRateLimited`` by sleeping ``retry_after_ms``.

    Bounded: gives up (re-raising the last ``MatrixRateLimited``) after ``max_attempts``
    calls or when the next wait would push the total waiting past ``max_total_wait``
    seconds. Use with a fresh coroutine per attempt::

        await retry_rate_limited(lambda: send_text(client, room_id, "hi"))

    Note: nio itself retries 429s forever unless the client was built with
    ``AsyncClientConfig(max_limit_exceeded=0)``; only then does this function see them.
    """
    waited = 0.0
    for attempt in range(1, max_attempts + 1):
        try:
            return await call()
        except MatrixRateLimited as exc:
            delay = (exc.retry_after_ms or default_retry_after_ms) / 1000
            if attempt == max_attempts or waited + delay > max_total_wait:
                raise
            log.info("rate limited (%s); retrying in %.2f s", exc.operation, delay)
            await asyncio.sleep(delay)
            waited += delay
    raise AssertionError("unreachable")  # pragma: no cover


# ----------------------------------------------------------------------------- helpers

_locks: weakref.WeakKeyDictionary[AsyncClient, dict[str, asyncio.Lock]] = weakref.WeakKeyDictionary()


def _lock(client: AsyncClient, key: str) -> asyncio.Lock:
    """Per-client lock for read-modify-write of one state event or account data item."""
    locks = _locks.setdefault(client, {})
    return locks.setdefault(key, asyncio.Lock())


def _server_name(user_id: str) -> str:
    return user_id.split(":", 1)[1]


def _q(value: str) -> str:
    return quote(value, safe="")


async def _get_state(
    client: AsyncClient, room_id: str, event_type: str, state_key: str = ""
) -> dict[str, Any] | None:
    """Content of one state event, or ``None`` when it does not exist."""
    resp = await client.room_get_state_event(room_id, event_type, state_key)
    try:
        checked = check(resp, f"get state {event_type}")
    except MatrixNotFound:
        return None
    content: dict[str, Any] = checked.content
    return content


async def _put_state(
    client: AsyncClient,
    room_id: str,
    event_type: str,
    content: Mapping[str, Any],
    state_key: str = "",
) -> str:
    resp = await client.room_put_state(room_id, event_type, dict(content), state_key=state_key)
    event_id: str = check(resp, f"put state {event_type}").event_id
    return event_id


async def _room_state(client: AsyncClient, room_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = check(await client.room_get_state(room_id), "get room state").events
    return events


async def room_state(client: AsyncClient, room_id: str) -> list[dict[str, Any]]:
    """Every current state event of the room (what a full-state sync would bring)."""
    return await _room_state(client, room_id)


async def member_state(client: AsyncClient, room_id: str, user_id: str) -> list[dict[str, Any]]:
    """The state events that say ``user_id``'s place in the room now: their membership
    (``leave`` when they never joined) and the room's power levels."""
    member = await _get_state(client, room_id, "m.room.member", user_id)
    levels = await _get_state(client, room_id, "m.room.power_levels")
    found = [{"type": "m.room.member", "state_key": user_id,
              "content": member if member is not None else {"membership": "leave"}}]
    if levels is not None:
        found.append({"type": "m.room.power_levels", "state_key": "", "content": levels})
    return found


# ----------------------------------------------------------------------------- messages


def pill(user_id: str, display_name: str | None = None) -> str:
    """HTML mention pill for ``user_id`` (a matrix.to link, as Element renders it)."""
    href = MATRIX_TO + quote(user_id, safe="@:")
    return f'<a href="{href}">{html.escape(display_name or user_id)}</a>'


def _mention_map(mentions: Mentions) -> dict[str, str]:
    if isinstance(mentions, Mapping):
        return {str(k): str(v) for k, v in mentions.items()}
    return {user_id: user_id for user_id in mentions}


def build_text_content(
    body: str,
    *,
    mentions: Mentions = (),
    mention_room: bool = False,
    html_body: str | None = None,
    notice: bool = False,
) -> dict[str, Any]:
    """Content of an ``m.room.message`` text/notice with intentional mentions.

    Every user id of ``mentions`` that occurs literally in ``body`` becomes a pill in the
    HTML ``formatted_body`` and its display name in the plain ``body``; all of them go
    into ``m.mentions.user_ids``. A code span (`` `@mallory:evil.org` ``, see
    :func:`hearth.literal`) stays as written and becomes ``<code>``: an account id shown
    beside a display name must not turn back into one. ``m.mentions`` is always present,
    so clients do not fall back to keyword mentions. ``html_body``, when given, is used as-is.
    """
    names = _mention_map(mentions)
    content: dict[str, Any] = {"msgtype": "m.notice" if notice else "m.text", "body": body}
    formatted = html_body
    has_code = "`" in body and CODE_SPAN.search(body) is not None
    if names or has_code:
        alternatives = [CODE_SPAN.pattern] + [re.escape(u) for u in sorted(names, key=len, reverse=True)]
        pattern = re.compile("|".join(alternatives))

        def plain(m: re.Match[str]) -> str:
            return names.get(m.group(0), m.group(0))

        def rich(m: re.Match[str]) -> str:
            token = m.group(0)
            if token in names:
                return pill(token, names[token])
            return f"<code>{html.escape(token[1:-1])}</code>"

        content["body"] = pattern.sub(plain, body)
        if formatted is None:
            parts, pos = [], 0
            for m in pattern.finditer(body):
                parts.append(html.escape(body[pos : m.start()]))
                parts.append(rich(m))
                pos = m.end()
            parts.append(html.escape(body[pos:]))
            formatted = "".join(parts).replace("\n", "<br>")
    if formatted is not None:
        content["format"] = "org.matrix.custom.html"
        content["formatted_body"] = formatted
    mentions_field: dict[str, Any] = {}
    if names:
        mentions_field["user_ids"] = list(names)
    if mention_room:
        mentions_field["room"] = True
    content["m.mentions"] = mentions_field
    return content


async def send_text(
    client: AsyncClient,
    room_id: str,
    body: str,
    *,
    mentions: Mentions = (),
    mention_room: bool = False,
    html_body: str | None = None,
    notice: bool = False,
    previews: bool = True,
) -> str:
    """Send a text (or notice) message; returns its event id. See :func:`build_text_content`.

    ``previews=False`` adds ``com.beeper.linkpreviews: []``, the sender's "no link
    previews" that clients honouring it (Beeper) follow; Element previews only where
    the reader turned URL previews on.
    """
    content = build_text_content(
        body, mentions=mentions, mention_room=mention_room, html_body=html_body, notice=notice
    )
    if not previews:
        content["com.beeper.linkpreviews"] = []
    event_id: str = check(await send_event(client, room_id, content), "send message").event_id
    return event_id


async def send_file(client: AsyncClient, room_id: str, data: bytes, filename: str) -> str:
    """Upload ``data`` to the media repository and post it (``m.image`` for an image,
    else ``m.file``); returns the event id."""
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    uploaded, _keys = await client.upload(io.BytesIO(data), content_type=mimetype,
                                          filename=filename, filesize=len(data))
    uri = check(uploaded, "upload file").content_uri
    kind = "m.image" if mimetype.startswith("image/") else "m.file"
    content = {"msgtype": kind, "body": filename, "url": uri,
               "info": {"mimetype": mimetype, "size": len(data)}}
    event_id: str = check(await send_event(client, room_id, content), "send file").event_id
    return event_id


#: pauses before sending an event again after a connection lost on the way (see send_event)
RESEND_PAUSES = (0.05, 0.5)


async def send_event(client: AsyncClient, room_id: str, content: dict[str, Any],
                     kind: str = "m.room.message") -> Any:
    """``room_send``, sent at most once however the connection fails.

    A connection lost after the homeserver took the event (a pooled connection it had
    closed, a response cut off) loses the answer, not the event: sending it again makes a
    second one. Each attempt here reuses one transaction id, which the homeserver keeps
    per access token and answers with the event it made (the spec's idempotency of
    ``PUT /send/{txnId}``); :data:`RESEND_PAUSES` bound the attempts before the error is
    left to the caller (the outbound flow's own retries, with a new transaction).
    """
    txn = uuid4().hex
    for pause in (*RESEND_PAUSES, None):
        try:
            return await client.room_send(room_id, kind, content, tx_id=txn)
        except (ClientError, OSError, TimeoutError):  # the same transaction: safe to send again
            if pause is None:
                raise
            log.info("matrix: the connection was lost sending to %s; sending again", room_id)
            await asyncio.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


_FALLBACK_HTML = re.compile(r"^<mx-reply>.*?</mx-reply>", re.DOTALL)


def _strip_reply_fallback(body: str) -> str:
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> "):
        return body
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    if lines and lines[0] == "":
        lines.pop(0)
    return "\n".join(lines)


async def reply(
    client: AsyncClient,
    room_id: str,
    event_id: str,
    body: str,
    *,
    mentions: Mentions = (),
    html_body: str | None = None,
    notice: bool = False,
    original: Mapping[str, Any] | None = None,
    mention_sender: bool = True,
) -> str:
    """Reply to ``event_id``: ``m.in_reply_to`` plus the quoted fallback; returns event id.

    ``original`` is the replied-to event's raw JSON (fetched when not given). The original
    sender is added to ``m.mentions`` unless ``mention_sender`` is false or it is us.
    A reply to an event inside a thread stays in that thread.
    """
    if original is None:
        fetched = check(await client.room_get_event(room_id, event_id), "get event")
        original = fetched.event.source
    sender = str(original.get("sender", ""))
    orig_content: Mapping[str, Any] = original.get("content") or {}

    names = _mention_map(mentions)
    if mention_sender and sender and sender != client.user_id:
        names.setdefault(sender, sender)
    content = build_text_content(body, mentions=names, html_body=html_body, notice=notice)

    orig_body = _strip_reply_fallback(str(orig_content.get("body", "")))
    quoted = "\n".join(f"> {line}" for line in orig_body.split("\n"))
    quoted = f"> <{sender}> {quoted[2:]}" if quoted else f"> <{sender}>"
    if orig_content.get("format") == "org.matrix.custom.html":
        orig_html = _FALLBACK_HTML.sub("", str(orig_content.get("formatted_body", "")))
    else:
        orig_html = html.escape(orig_body).replace("\n", "<br>")
    new_html = content.get("formatted_body") or html.escape(content["body"]).replace("\n", "<br>")
    link = f"{MATRIX_TO}{quote(room_id, safe='!:')}/{quote(event_id, safe='$:')}"
    content["body"] = f"{quoted}\n\n{content['body']}"
    content["format"] = "org.matrix.custom.html"
    content["formatted_body"] = (
        f'<mx-reply><blockquote><a href="{link}">In reply to</a> {pill(sender)}'
        f"<br>{orig_html}</blockquote></mx-reply>{new_html}"
    )
    relates: dict[str, Any] = {"m.in_reply_to": {"event_id": event_id}}
    orig_rel = orig_content.get("m.relates_to") or {}
    if orig_rel.get("rel_type") == "m.thread":
        relates.update(rel_type="m.thread", event_id=orig_rel["event_id"], is_falling_back=False)
    content["m.relates_to"] = relates
    sent: str = check(await send_event(client, room_id, content), "send reply").event_id
    return sent


async def edits_of(client: AsyncClient, room_id: str, event_id: str) -> list[str]:
    """The ids of the edits (``m.replace``) of ``event_id`` its own sender made (those of
    anyone else are not edits, as the spec says)."""
    room, event = _q(room_id), _q(event_id)
    original = await raw_request(client, "GET", f"/_matrix/client/v3/rooms/{room}/event/{event}",
                                 operation="get event")
    page = await raw_request(
        client, "GET", f"/_matrix/client/v1/rooms/{room}/relations/{event}/m.replace?limit=100",
        operation="get edits")
    chunk = page.get("chunk")
    return [str(e["event_id"]) for e in chunk if isinstance(e, dict) and e.get("event_id")
            and e.get("sender") == original.get("sender")] if isinstance(chunk, list) else []


async def redact(client: AsyncClient, room_id: str, event_id: str, *, reason: str | None = None) -> str:
    """Redact (delete) an event; returns the redaction's event id."""
    resp = await client.room_redact(room_id, event_id, reason=reason)
    redaction: str = check(resp, "redact").event_id
    return redaction


# ----------------------------------------------------------------------------- DMs


async def get_direct_rooms(client: AsyncClient) -> dict[str, list[str]]:
    """The ``m.direct`` account data: ``user_id -> [room ids]`` (empty when unset)."""
    resp = await client.list_direct_rooms()
    if isinstance(resp, DirectRoomsErrorResponse) and resp.status_code == "M_NOT_FOUND":
        return {}
    rooms = check(resp, "get m.direct").rooms
    return {str(u): [str(r) for r in ids] for u, ids in rooms.items() if isinstance(ids, list)}


async def _set_direct_rooms(client: AsyncClient, rooms: Mapping[str, list[str]]) -> None:
    path = f"{CLIENT_API}/user/{_q(client.user_id)}/account_data/m.direct"
    await raw_request(client, "PUT", path, dict(rooms), operation="set m.direct")


async def add_direct_room(client: AsyncClient, user_id: str, room_id: str) -> None:
    """Record ``room_id`` as our (preferred) direct chat with ``user_id`` in ``m.direct``."""
    async with _lock(client, "m.direct"):
        direct = await get_direct_rooms(client)
        rooms = [r for r in direct.get(user_id, []) if r != room_id]
        direct[user_id] = [*rooms, room_id]  # last: get_or_create_dm tries it first
        await _set_direct_rooms(client, direct)


async def _membership(client: AsyncClient, room_id: str, user_id: str) -> str | None:
    try:
        content = await _get_state(client, room_id, "m.room.member", user_id)
    except MatrixForbidden:  # we are not (or no longer) in the room
        return None
    return None if content is None else content.get("membership")


async def get_or_create_dm(client: AsyncClient, user_id: str, *, name: str | None = None) -> str:
    """Room id of our direct chat with ``user_id``, creating (and recording) one if needed.

    Reuses a room listed for the user in ``m.direct`` where we are joined and the user is
    joined or invited; otherwise creates an ``is_direct`` trusted-private room, invites the
    user and appends it to ``m.direct``. Concurrent calls on one client are serialised.
    """
    async with _lock(client, "m.direct"):
        for room_id in reversed((await get_direct_rooms(client)).get(user_id, [])):
            if await _membership(client, room_id, client.user_id) != "join":
                continue
            if await _membership(client, room_id, user_id) in ("join", "invite"):
                return room_id
        resp = await client.room_create(
            is_direct=True,
            preset=RoomPreset.trusted_private_chat,
            invite=[user_id],
            name=name,
        )
        room_id = check(resp, "create DM").room_id
        direct = await get_direct_rooms(client)  # re-read: other devices may have changed it
        direct.setdefault(user_id, [])
        if room_id not in direct[user_id]:
            direct[user_id].append(room_id)
        await _set_direct_rooms(client, direct)
        return room_id


# ----------------------------------------------------------------------------- power levels


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


CREATOR_LEVEL = 2**53
"""Effective level of room creators in room versions 12+ (they are above every level)."""


def _creators_have_power(room_version: str) -> bool:
    """Room version 12 (MSC4289) made creators all-powerful and unlisted in ``users``."""
    if room_version.isdigit():
        return int(room_version) >= 12
    return "hydra" in room_version


@dataclass(frozen=True, slots=True)
class PowerLevels:
    """A room's ``m.room.power_levels`` content with the spec's defaults applied.

    ``creators`` holds the room creators of version 12+ rooms, whose level is
    :data:`CREATOR_LEVEL` whatever ``users`` says.
    """

    content: Mapping[str, Any] = field(default_factory=dict)
    creators: frozenset[str] = frozenset()

    def _level(self, key: str, default: int) -> int:
        return _int(self.content.get(key), default)

    @property
    def users_default(self) -> int:
        """Level of users not listed in ``users``."""
        return self._level("users_default", 0)

    @property
    def events_default(self) -> int:
        """Level needed to send message events not listed in ``events``."""
        return self._level("events_default", 0)

    @property
    def state_default(self) -> int:
        """Level needed to send state events not listed in ``events``."""
        return self._level("state_default", 50)

    @property
    def ban(self) -> int:
        """Level needed to ban."""
        return self._level("ban", 50)

    @property
    def kick(self) -> int:
        """Level needed to kick."""
        return self._level("kick", 50)

    @property
    def redact(self) -> int:
        """Level needed to redact other users' events."""
        return self._level("redact", 50)

    @property
    def invite(self) -> int:
        """Level needed to invite."""
        return self._level("invite", 0)

    def user_level(self, user_id: str) -> int:
        """Power level of ``user_id``."""
        if user_id in self.creators:
            return CREATOR_LEVEL
        users = self.content.get("users") or {}
        return _int(users.get(user_id), self.users_default)

    def event_level(self, event_type: str, *, state: bool = False) -> int:
        """Level needed to send ``event_type`` (a state event when ``state``)."""
        events = self.content.get("events") or {}
        default = self.state_default if state else self.events_default
        return _int(events.get(event_type), default)

    def with_user(self, user_id: str, level: int | None) -> dict[str, Any]:
        """New content with ``user_id`` at ``level`` (``None``: back to ``users_default``)."""
        content = json.loads(json.dumps(dict(self.content)))  # deep copy
        users = content.setdefault("users", {})
        if level is None or (level == self.users_default and user_id in users):
            users.pop(user_id, None)
        else:
            users[user_id] = level
        return content


_creators_cache: weakref.WeakKeyDictionary[AsyncClient, dict[str, frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)


async def _room_creators(client: AsyncClient, room_id: str) -> frozenset[str]:
    """Creators with infinite power (room v12+), from the never-changing create event."""
    cache = _creators_cache.setdefault(client, {})
    if room_id in cache:
        return cache[room_id]
    path = f"{CLIENT_API}/rooms/{_q(room_id)}/state/m.room.create/?format=event"
    event = await raw_request(client, "GET", path, operation="get state m.room.create")
    if "sender" not in event:  # server ignored format=event: find it in the full state
        state = await _room_state(client, room_id)
        event = next(ev for ev in state if ev.get("type") == "m.room.create")
    content = event.get("content") or {}
    creators: frozenset[str] = frozenset()
    if _creators_have_power(str(content.get("room_version", "1"))):
        extra = content.get("additional_creators") or []
        creators = frozenset([str(event["sender"]), *(str(u) for u in extra)])
    cache[room_id] = creators
    return creators


async def get_power_levels(client: AsyncClient, room_id: str) -> PowerLevels:
    """The room's current power levels (including v12 creators)."""
    content = await _get_state(client, room_id, "m.room.power_levels") or {}
    return PowerLevels(content, await _room_creators(client, room_id))


async def set_power_level(client: AsyncClient, room_id: str, user_id: str, level: int | None) -> int:
    """Set ``user_id``'s power level (``None``: remove, i.e. ``users_default``).

    Returns the previous level. Used for role mapping (e.g. moderator = 50).
    """
    async with _lock(client, f"pl:{room_id}"):
        pl = await get_power_levels(client, room_id)
        previous = pl.user_level(user_id)
        target = pl.users_default if level is None else level
        if target != previous or (level is None and user_id in (pl.content.get("users") or {})):
            await _put_state(client, room_id, "m.room.power_levels", pl.with_user(user_id, level))
        return previous


async def _held_from(client: AsyncClient, room_id: str) -> int | None:
    """The ``events_default`` from before the room's hold on newcomers (None: no hold)."""
    content = await _get_state(client, room_id, HOLD_STATE_TYPE) or {}
    previous = content.get("previous")
    return _int(previous, 0) if previous is not None else None


async def hold(client: AsyncClient, room_id: str, level: int) -> bool:
    """Raise the room's ``events_default`` to ``level``: users below it (newcomers) cannot post.

    One power-levels change for all of them. The previous ``events_default`` is kept in room
    state (:data:`HOLD_STATE_TYPE`) so :func:`release` restores it even after a restart.
    False (nothing changed) when the room is held already or as strict as that.
    """
    async with _lock(client, f"pl:{room_id}"):
        if await _held_from(client, room_id) is not None:
            return False
        pl = await get_power_levels(client, room_id)
        if pl.events_default >= level:
            return False
        await _put_state(client, room_id, HOLD_STATE_TYPE, {"previous": pl.events_default})
        content = json.loads(json.dumps(dict(pl.content)))
        content["events_default"] = level
        await _put_state(client, room_id, "m.room.power_levels", content)
        return True


async def release(client: AsyncClient, room_id: str) -> bool:
    """Undo :func:`hold`: the room's ``events_default`` as it was; False when not held."""
    async with _lock(client, f"pl:{room_id}"):
        previous = await _held_from(client, room_id)
        if previous is None:
            return False
        pl = await get_power_levels(client, room_id)
        content = json.loads(json.dumps(dict(pl.content)))
        content["events_default"] = previous
        await _put_state(client, room_id, "m.room.power_levels", content)
        await _put_state(client, room_id, HOLD_STATE_TYPE, {})
        return True


async def _mute_records(client: AsyncClient, room_id: str) -> dict[str, int]:
    content = await _get_state(client, room_id, MUTE_STATE_TYPE) or {}
    levels = content.get("previous_levels") or {}
    return {str(u): _int(v, 0) for u, v in levels.items()} if isinstance(levels, dict) else {}


async def _put_mute_records(client: AsyncClient, room_id: str, records: dict[str, int]) -> None:
    await _put_state(client, room_id, MUTE_STATE_TYPE, {"previous_levels": records})


async def mute(client: AsyncClient, room_id: str, user_id: str) -> int:
    """Mute ``user_id``: power level one below ``events_default``; returns the previous level.

    The previous level is remembered in room state (:data:`MUTE_STATE_TYPE`) so
    :func:`unmute` restores it even after a bot restart. Muting a muted user changes
    nothing and returns the remembered level.
    """
    async with _lock(client, f"pl:{room_id}"):
        pl = await get_power_levels(client, room_id)
        current = pl.user_level(user_id)
        held_from = await _held_from(client, room_id)  # a mute outlasts a hold on newcomers
        target = min(pl.events_default, pl.events_default if held_from is None else held_from) - 1
        records = await _mute_records(client, room_id)
        if current <= target:
            return records.get(user_id, current)
        records[user_id] = current
        await _put_mute_records(client, room_id, records)
        await _put_state(client, room_id, "m.room.power_levels", pl.with_user(user_id, target))
        return current


async def unmute(client: AsyncClient, room_id: str, user_id: str, *, level: int | None = None) -> int:
    """Undo :func:`mute`: restore ``level``, else the remembered level, else the default.

    Returns the level the user now has. A user who is not muted is left alone.
    """
    async with _lock(client, f"pl:{room_id}"):
        pl = await get_power_levels(client, room_id)
        records = await _mute_records(client, room_id)
        current = pl.user_level(user_id)
        if level is None:
            level = records.get(user_id, pl.users_default)
        if current < pl.events_default and level != current:
            await _put_state(client, room_id, "m.room.power_levels", pl.with_user(user_id, level))
            current = level
        if records.pop(user_id, None) is not None:
            await _put_mute_records(client, room_id, records)
        return current


async def missing_permissions(
    client: AsyncClient,
    room_id: str,
    *,
    redact: bool = False,
    kick: bool = False,
    ban: bool = False,
    invite: bool = False,
    state_events: Iterable[str] = (),
    events: Iterable[str] = (),
    user_id: str | None = None,
) -> list[str]:
    """Which of the asked permissions ``user_id`` (default: us) lacks in the room.

    Returns names like ``"redact"``, ``"kick"``, ``"ban"``, ``"invite"``,
    ``"state:m.room.power_levels"``, ``"event:m.reaction"``; empty when all are granted.
    Redacting others' events needs both the ``redact`` level and the level for sending
    ``m.room.redaction``.
    """
    pl = await get_power_levels(client, room_id)
    mine = pl.user_level(user_id or client.user_id)
    missing: list[str] = []
    redact_level = max(pl.redact, pl.event_level("m.room.redaction"))
    for wanted, name, needed in (
        (redact, "redact", redact_level),
        (kick, "kick", pl.kick),
        (ban, "ban", pl.ban),
        (invite, "invite", pl.invite),
    ):
        if wanted and mine < needed:
            missing.append(name)
    missing += [f"state:{t}" for t in state_events if mine < pl.event_level(t, state=True)]
    missing += [f"event:{t}" for t in events if mine < pl.event_level(t)]
    return missing


# ----------------------------------------------------------------------------- membership


async def invite(client: AsyncClient, room_id: str, user_id: str) -> None:
    """Invite ``user_id`` to the room."""
    check(await client.room_invite(room_id, user_id), "invite")


async def invite_once(client: AsyncClient, room_id: str, user_id: str) -> bool:
    """Invite ``user_id`` unless they are joined or invited already (True: invited now)."""
    if await _membership(client, room_id, user_id) in ("join", "invite"):
        return False
    await invite(client, room_id, user_id)
    return True


async def join(client: AsyncClient, room: str) -> str:
    """Join a room by id or alias; returns the room id."""
    room_id: str = check(await client.join(room), "join").room_id
    return room_id


async def kick(client: AsyncClient, room_id: str, user_id: str, *, reason: str | None = None) -> None:
    """Kick ``user_id`` (also revokes a pending invite)."""
    check(await client.room_kick(room_id, user_id, reason=reason), "kick")


async def remove_from_room(client: AsyncClient, room_id: str, user_id: str, *,
                           reason: str | None = None) -> bool:
    """Kick ``user_id`` if joined or invited (True); one who is not in the room is left alone."""
    if await _membership(client, room_id, user_id) not in ("join", "invite"):
        return False
    await kick(client, room_id, user_id, reason=reason)
    return True


async def ban(client: AsyncClient, room_id: str, user_id: str, *, reason: str | None = None) -> None:
    """Ban ``user_id`` from the room."""
    check(await client.room_ban(room_id, user_id, reason=reason), "ban")


async def unban(client: AsyncClient, room_id: str, user_id: str) -> None:
    """Lift a ban."""
    check(await client.room_unban(room_id, user_id), "unban")


# ----------------------------------------------------------------------------- spaces


@dataclass(frozen=True, slots=True)
class SpaceChild:
    """One ``m.space.child`` entry of a space."""

    room_id: str
    via: tuple[str, ...]
    order: str | None = None
    suggested: bool = False


async def create_space(
    client: AsyncClient,
    name: str,
    *,
    topic: str | None = None,
    public: bool = False,
    invite: Sequence[str] = (),
) -> str:
    """Create a space (``m.space`` room); returns its room id."""
    resp = await client.room_create(
        space=True,
        name=name,
        topic=topic,
        preset=RoomPreset.public_chat if public else RoomPreset.private_chat,
        visibility=RoomVisibility.public if public else RoomVisibility.private,
        invite=invite,
    )
    room_id: str = check(resp, "create space").room_id
    return room_id


async def add_space_child(
    client: AsyncClient,
    space_id: str,
    room_id: str,
    *,
    via: Sequence[str] | None = None,
    suggested: bool = False,
    order: str | None = None,
    set_parent: bool = True,
) -> None:
    """Link ``room_id`` into the space (``m.space.child``) and, if asked, back (parent)."""
    via = list(via or [_server_name(client.user_id)])
    child: dict[str, Any] = {"via": via, "suggested": suggested}
    if order is not None:
        child["order"] = order
    await _put_state(client, space_id, "m.space.child", child, state_key=room_id)
    if set_parent:
        parent = {"via": via, "canonical": True}
        await _put_state(client, room_id, "m.space.parent", parent, state_key=space_id)


async def remove_space_child(client: AsyncClient, space_id: str, room_id: str) -> None:
    """Unlink ``room_id`` from the space (empty ``m.space.child`` content)."""
    await _put_state(client, space_id, "m.space.child", {}, state_key=room_id)


async def create_private_room_in_space(
    client: AsyncClient,
    space_id: str,
    name: str,
    *,
    topic: str | None = None,
    invite: Sequence[str] = (),
    via: Sequence[str] | None = None,
    suggested: bool = False,
    created: Callable[[str], Awaitable[None]] | None = None,
) -> str:
    """Create an invite-only room inside a space; returns its room id.

    The room is created with ``m.space.parent`` in its initial state; then
    ``created(room_id)`` is awaited (to record the room before the space shows it);
    then the space gets the ``m.space.child`` entry (with ``via``).
    """
    via = list(via or [_server_name(client.user_id)])
    resp = await client.room_create(
        name=name,
        topic=topic,
        preset=RoomPreset.private_chat,
        invite=invite,
        initial_state=[
            {
                "type": "m.space.parent",
                "state_key": space_id,
                "content": {"via": via, "canonical": True},
            }
        ],
    )
    room_id: str = check(resp, "create room").room_id
    if created is not None:
        await created(room_id)
    await add_space_child(client, space_id, room_id, via=via, suggested=suggested, set_parent=False)
    return room_id


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


async def list_space_rooms(client: AsyncClient, space_id: str) -> list[SpaceChild]:
    """The space's children from its ``m.space.child`` state (entries without ``via``
    are removed links and skipped), ordered as the spec says: ``order``, then room id.
    """
    children = [
        SpaceChild(
            room_id=ev["state_key"],
            via=tuple(ev["content"]["via"]),
            order=_str_or_none(ev["content"].get("order")),
            suggested=bool(ev["content"].get("suggested", False)),
        )
        for ev in await _room_state(client, space_id)
        if ev.get("type") == "m.space.child"
        and isinstance((ev.get("content") or {}).get("via"), list)
        and ev["content"]["via"]
    ]
    return sorted(children, key=lambda c: (c.order is None, c.order or "", c.room_id))


# ----------------------------------------------------------------------------- pins


async def get_pinned_events(client: AsyncClient, room_id: str) -> list[str]:
    """Event ids in the room's ``m.room.pinned_events`` (empty when none)."""
    content = await _get_state(client, room_id, "m.room.pinned_events") or {}
    return [str(e) for e in content.get("pinned") or []]


async def pin(client: AsyncClient, room_id: str, event_id: str) -> list[str]:
    """Pin ``event_id`` (appended; no-op if pinned); returns the new pinned list."""
    async with _lock(client, f"pins:{room_id}"):
        pinned = await get_pinned_events(client, room_id)
        if event_id not in pinned:
            pinned.append(event_id)
            await _put_state(client, room_id, "m.room.pinned_events", {"pinned": pinned})
        return pinned


async def unpin(client: AsyncClient, room_id: str, event_id: str) -> list[str]:
    """Unpin ``event_id``; returns the new pinned list."""
    async with _lock(client, f"pins:{room_id}"):
        pinned = await get_pinned_events(client, room_id)
        if event_id in pinned:
            pinned = [e for e in pinned if e != event_id]
            await _put_state(client, room_id, "m.room.pinned_events", {"pinned": pinned})
        return pinned


# ----------------------------------------------------------------------------- room info


async def is_encrypted(client: AsyncClient, room_id: str) -> bool:
    """True when the room has ``m.room.encryption`` state (this module cannot read it)."""
    content = await _get_state(client, room_id, "m.room.encryption")
    return bool(content and content.get("algorithm"))


# ----------------------------------------------------------------------------- dissolve


@dataclass(slots=True)
class DissolveResult:
    """What :func:`dissolve_room` did."""

    unlinked_spaces: list[str] = field(default_factory=list)
    removed_users: list[str] = field(default_factory=list)
    tombstone_event_id: str | None = None
    admin_delete_status: str | None = None  # "complete"/"failed", None when not attempted


async def is_server_admin(client: AsyncClient) -> bool:
    """Whether our user is a Synapse server admin (False on non-Synapse servers)."""
    path = f"{SYNAPSE_ADMIN}/v1/users/{_q(client.user_id)}/admin"
    try:
        data = await raw_request(client, "GET", path, operation="is server admin")
    except MatrixOpError:
        return False
    return bool(data.get("admin"))


async def synapse_admin_delete_room(
    client: AsyncClient, room_id: str, *, purge: bool = True, wait_seconds: float = 30.0
) -> str:
    """Delete a room with Synapse's admin API (we must be a server admin).

    Waits for the background deletion; returns its final status (``complete``/``failed``).
    """
    path = f"{SYNAPSE_ADMIN}/v2/rooms/{_q(room_id)}"
    started = await raw_request(client, "DELETE", path, {"purge": purge}, operation="admin delete")
    status_path = f"{SYNAPSE_ADMIN}/v2/rooms/delete_status/{_q(started['delete_id'])}"
    deadline = time.monotonic() + wait_seconds
    while True:
        status = str((await raw_request(client, "GET", status_path))["status"])
        if status in ("complete", "failed"):
            return status
        if time.monotonic() > deadline:
            raise MatrixOpError(
                None, None, f"still {status} after {wait_seconds} s", operation="admin delete"
            )
        await asyncio.sleep(0.05)


async def dissolve_room(
    client: AsyncClient,
    room_id: str,
    *,
    reason: str = "This room has been closed.",
    replacement_room: str | None = None,
    space_ids: Iterable[str] | None = None,
    admin_delete: bool = False,
) -> DissolveResult:
    """Close a room for good.

    1. remove it from its spaces (``space_ids``, default: its ``m.space.parent`` events;
       spaces where we lack permission are skipped with a warning);
    2. make it invite-only; 3. kick every other member and revoke pending invites;
    4. send ``m.room.tombstone`` (``reason``, optional ``replacement_room``); 5. leave and
    forget it; 6. with ``admin_delete`` and if we are a server admin, purge it through the
    Synapse admin API.
    """
    result = DissolveResult()
    state = await _room_state(client, room_id)
    discovered = space_ids is None
    if space_ids is None:
        space_ids = [
            ev["state_key"]
            for ev in state
            if ev.get("type") == "m.space.parent" and (ev.get("content") or {}).get("via")
        ]
    for space_id in space_ids:
        try:
            await remove_space_child(client, space_id, room_id)
        except (MatrixForbidden, MatrixNotFound) as exc:
            if not discovered:
                raise
            log.warning("cannot unlink %s from space %s: %s", room_id, space_id, exc)
            continue
        result.unlinked_spaces.append(space_id)

    await _put_state(client, room_id, "m.room.join_rules", {"join_rule": "invite"})
    for ev in state:
        if ev.get("type") != "m.room.member" or ev.get("state_key") == client.user_id:
            continue
        if (ev.get("content") or {}).get("membership") in ("join", "invite", "knock"):
            await kick(client, room_id, ev["state_key"], reason=reason)
            result.removed_users.append(ev["state_key"])

    # replacement_room is required (Synapse rejects a tombstone without it); "" = none
    tombstone = {"body": reason, "replacement_room": replacement_room or ""}
    result.tombstone_event_id = await _put_state(client, room_id, "m.room.tombstone", tombstone)
    check(await client.room_leave(room_id), "leave")
    check(await client.room_forget(room_id), "forget")

    if admin_delete:
        if await is_server_admin(client):
            result.admin_delete_status = await synapse_admin_delete_room(client, room_id)
        else:
            log.info("not a server admin: %s left in place (tombstoned)", room_id)
    return result
