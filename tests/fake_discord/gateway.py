"""Gateway v10 (WebSocket, JSON, optional zlib-stream) side of the fake Discord."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import secrets
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .state import JSON, State
from .waiting import Signal

log = logging.getLogger(__name__)

MEMBERS_PER_CHUNK = 1000  # Discord's GUILD_MEMBERS_CHUNK size


class Op:
    """Gateway opcodes."""

    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    PRESENCE_UPDATE = 3
    VOICE_STATE_UPDATE = 4
    RESUME = 6
    RECONNECT = 7
    REQUEST_GUILD_MEMBERS = 8
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11


class Intents:
    """Gateway intent bits the fake filters on."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MODERATION = 1 << 2
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    DIRECT_MESSAGES = 1 << 12
    DIRECT_MESSAGE_REACTIONS = 1 << 13
    MESSAGE_CONTENT = 1 << 15
    PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT
    ALL = (1 << 26) - 1


class CloseCode:
    """Gateway close codes used by the fake."""

    UNKNOWN_ERROR = 4000
    UNKNOWN_OPCODE = 4001
    DECODE_ERROR = 4002
    NOT_AUTHENTICATED = 4003
    AUTHENTICATION_FAILED = 4004
    ALREADY_AUTHENTICATED = 4005
    INVALID_API_VERSION = 4012
    INVALID_INTENTS = 4013
    DISALLOWED_INTENTS = 4014


# The payload given to dispatch: fixed JSON, or a function of the receiving session
# returning its JSON (None: the session does not get the event).
EventData = JSON | Callable[["GatewaySession"], JSON | None]


@dataclass
class GatewayFrame:
    """One gateway payload seen by the fake (``direction`` is "recv" or "send")."""

    direction: str
    op: int
    t: str | None
    s: int | None
    d: Any
    session_id: str | None
    at: float = field(default_factory=time.perf_counter)


class Connection:
    """One WebSocket connection from a client."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, compress: bool) -> None:
        self.ws = ws
        self.transport = request.transport
        self.compressor = zlib.compressobj() if compress else None
        self.queue: asyncio.Queue[JSON | None] = asyncio.Queue()
        self.session: GatewaySession | None = None
        self.dropped = False
        self.done = asyncio.Event()
        self.writer = asyncio.create_task(self._write_loop())

    def send(self, payload: JSON) -> None:
        """Queue a payload; the writer task sends queued payloads in order."""
        self.queue.put_nowait(payload)

    async def _write_loop(self) -> None:
        try:
            while True:
                payload = await self.queue.get()
                if payload is None:
                    return
                raw = json.dumps(payload, separators=(",", ":"))
                if self.compressor is not None:
                    data = self.compressor.compress(raw.encode()) + self.compressor.flush(
                        zlib.Z_SYNC_FLUSH
                    )
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(raw)
        except (ConnectionError, RuntimeError) as exc:  # peer gone
            log.debug("gateway writer stopped: %r", exc)

    def abort(self) -> None:
        """Cut the TCP connection with no close frame (clients see code 1006)."""
        self.dropped = True
        if self.transport is not None:
            self.transport.abort()
        self.writer.cancel()

    async def close(self, code: int, message: str = "") -> None:
        """Send pending payloads, then a close frame with ``code``."""
        self.queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.writer, 1.0)
        await self.ws.close(code=code, message=message.encode())


@dataclass
class GatewaySession:
    """An identified gateway session: it outlives connections until resumed or closed."""

    id: str
    intents: int
    shard: list[int] | None
    buffer: collections.deque[JSON]
    seq: int = 0
    connection: Connection | None = None
    ended: bool = False
    resumable: bool = True
    large_threshold: int = 250

    def wants(self, intent: int) -> bool:
        return not intent or bool(self.intents & intent)

    def serves(self, guild_id: int | None) -> bool:
        """True when this session's shard carries ``guild_id`` (None: a DM, on shard 0)."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return (0 if guild_id is None else (guild_id >> 22) % count) == shard_id

    def push(self, event: str, data: JSON) -> int:
        """Assign the next sequence number, buffer for RESUME and send if connected."""
        self.seq += 1
        payload = {"op": Op.DISPATCH, "t": event, "s": self.seq, "d": data}
        self.buffer.append(payload)
        if self.connection is not None:
            self.connection.send(payload)
        return self.seq


def _guild_of(event: str, payload: JSON) -> int | None:
    """The guild an event is about (its shard carries it); None for a DM."""
    found = payload.get("id") if event.startswith("GUILD_") and "guild_id" not in payload \
        else payload.get("guild_id")
    return int(found) if found is not None else None


class Gateway:
    """Accepts gateway connections and fans dispatch events out to sessions."""

    def __init__(
        self,
        state: State,
        *,
        token: str,
        gateway_url: Callable[[], str],
        privileged_intents: int,
        heartbeat_interval_ms: int,
        members_in_guild_create: bool,
        buffer_size: int = 2000,
    ) -> None:
        self.state = state
        self.token = token
        self._gateway_url = gateway_url
        self.privileged_intents = privileged_intents
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.members_in_guild_create = members_in_guild_create
        self.ack_heartbeats = True
        self.buffer_size = buffer_size
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: set[Connection] = set()
        self.frames: list[GatewayFrame] = []
        self.connect_queries: list[dict[str, str]] = []
        self.errors: list[str] = []
        self.changed = Signal()

    # -- dispatch ------------------------------------------------------------------------

    def live_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if not s.ended]

    def dispatch(self, event: str, data: EventData, intent: int = 0) -> int:
        """Send (or queue for RESUME) ``event`` to every session having ``intent``.

        Returns how many sessions got it.
        """
        count = 0
        for session in self.live_sessions():
            if not session.wants(intent):
                continue
            payload = data(session) if callable(data) else data
            if payload is None or not session.serves(_guild_of(event, payload)):
                continue
            self._push(session, event, payload)
            count += 1
        return count

    def _push(self, session: GatewaySession, event: str, data: JSON) -> int:
        seq = session.push(event, data)
        self._record("send", Op.DISPATCH, event, seq, data, session.id)
        return seq

    def _record(
        self, direction: str, op: int, t: str | None, s: int | None, d: Any, sid: str | None
    ) -> None:
        self.frames.append(GatewayFrame(direction, op, t, s, d, sid))
        self.changed.notify()

    # -- fault injection -----------------------------------------------------------------

    async def drop(self, *, resumable: bool = True) -> int:
        """Abruptly cut every gateway connection; returns how many were cut."""
        connections = list(self.connections)
        for conn in connections:
            if conn.session is not None:
                conn.session.resumable = resumable
            conn.abort()
        for conn in connections:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(conn.done.wait(), 2.0)
        return len(connections)

    async def close_with(self, code: int, message: str = "") -> int:
        """Close every gateway connection with ``code`` (its session ends); returns how many."""
        connections = list(self.connections)
        for conn in connections:
            if conn.session is not None:
                conn.session.resumable = False
            await conn.close(code, message)
        for conn in connections:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(conn.done.wait(), 2.0)
        return len(connections)

    async def reconnect_request(self) -> None:
        """Send op 7 RECONNECT to every connection (client should resume)."""
        for conn in list(self.connections):
            conn.send({"op": Op.RECONNECT, "d": None})

    async def close_all(self) -> None:
        for conn in list(self.connections):
            conn.abort()
        for conn in list(self.connections):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(conn.done.wait(), 2.0)

    # -- connection handling -------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress", "")
        encoding = request.query.get("encoding", "json")
        conn = Connection(ws, request, compress == "zlib-stream")
        self.connections.add(conn)
        self.connect_queries.append(dict(request.query))
        self.changed.notify()
        try:
            if compress not in ("", "zlib-stream") or encoding != "json":
                # 4012 is one of the codes discord.py does not reconnect on, so a
                # client asking for zstd-stream (``zstandard`` installed) fails fast.
                error = f"fake Discord supports zlib-stream/json only, not {compress}/{encoding}"
                log.error(error)
                self.errors.append(error)
                await conn.close(CloseCode.INVALID_API_VERSION, error[:120])
                return ws
            if request.query.get("v", "10") != "10":
                await conn.close(CloseCode.INVALID_API_VERSION, "Invalid API version")
                return ws
            self._send_op(conn, Op.HELLO, {"heartbeat_interval": self.heartbeat_interval_ms})
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    raw = msg.data if isinstance(msg.data, str) else msg.data.decode()
                    try:
                        payload = json.loads(raw)
                    except ValueError:
                        await conn.close(CloseCode.DECODE_ERROR, "Error while decoding payload.")
                        break
                    if not await self._on_payload(conn, payload):
                        break
        finally:
            self._forget(conn)
        return ws

    def _forget(self, conn: Connection) -> None:
        self.connections.discard(conn)
        session = conn.session
        if session is not None and session.connection is conn:
            session.connection = None
            client_closed_cleanly = not conn.dropped and conn.ws.close_code in (1000, 1001)
            if client_closed_cleanly or not session.resumable:
                session.ended = True
        if not conn.writer.done():
            conn.writer.cancel()
        conn.done.set()
        self.changed.notify()

    def _send_op(self, conn: Connection, op: int, d: Any) -> None:
        conn.send({"op": op, "d": d})
        self._record("send", op, None, None, d, conn.session.id if conn.session else None)

    async def _on_payload(self, conn: Connection, payload: JSON) -> bool:
        """Handle one client payload; False ends the connection."""
        op = payload.get("op")
        d = payload.get("d")
        self._record("recv", op if isinstance(op, int) else -1, None, None, d,
                     conn.session.id if conn.session else None)
        if op == Op.HEARTBEAT:
            if self.ack_heartbeats:
                self._send_op(conn, Op.HEARTBEAT_ACK, None)
            return True
        if op == Op.IDENTIFY:
            return await self._identify(conn, d or {})
        if op == Op.RESUME:
            return self._resume(conn, d or {})
        if op == Op.REQUEST_GUILD_MEMBERS:
            if conn.session is None:
                await conn.close(CloseCode.NOT_AUTHENTICATED, "Not authenticated.")
                return False
            self._members_chunk(conn.session, d or {})
            return True
        if op in (Op.PRESENCE_UPDATE, Op.VOICE_STATE_UPDATE):
            return True
        await conn.close(CloseCode.UNKNOWN_OPCODE, "Unknown opcode.")
        return False

    async def _identify(self, conn: Connection, d: JSON) -> bool:
        if conn.session is not None:
            await conn.close(CloseCode.ALREADY_AUTHENTICATED, "Already authenticated.")
            return False
        if d.get("token") != self.token and d.get("token") != f"Bot {self.token}":
            await conn.close(CloseCode.AUTHENTICATION_FAILED, "Authentication failed.")
            return False
        intents = d.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents > Intents.ALL:
            await conn.close(CloseCode.INVALID_INTENTS, "Invalid intent(s).")
            return False
        if intents & Intents.PRIVILEGED & ~self.privileged_intents:
            await conn.close(CloseCode.DISALLOWED_INTENTS, "Disallowed intent(s).")
            return False
        session = GatewaySession(
            id=secrets.token_hex(16),
            intents=intents,
            shard=d.get("shard"),
            buffer=collections.deque(maxlen=self.buffer_size),
            connection=conn,
            large_threshold=int(d.get("large_threshold") or 50),
        )
        conn.session = session
        self.sessions[session.id] = session
        self.state.session_starts_remaining -= 1
        self._push(session, "READY", self._ready_payload(session))
        for guild_id in list(self.state.guilds):
            if session.serves(guild_id):
                self._push(session, "GUILD_CREATE", self.guild_create_payload(guild_id, session))
        return True

    def _ready_payload(self, session: GatewaySession) -> JSON:
        bot = self.state.bot.to_payload()
        bot.update(verified=True, mfa_enabled=False, email=None)
        payload: JSON = {
            "v": 10,
            "user": bot,
            "guilds": [{"id": str(gid), "unavailable": True} for gid in self.state.guilds
                       if session.serves(gid)],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self._gateway_url(),
            "application": {"id": str(self.state.application_id), "flags": self.app_flags()},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["us-east"],
            "user_settings": {},
            "auth": {},
        }
        if session.shard is not None:
            payload["shard"] = session.shard
        return payload

    def app_flags(self) -> int:
        """Application flags telling which privileged intents are enabled."""
        flags = 0
        if self.privileged_intents & Intents.GUILD_PRESENCES:
            flags |= 1 << 13
        if self.privileged_intents & Intents.GUILD_MEMBERS:
            flags |= 1 << 15
        if self.privileged_intents & Intents.MESSAGE_CONTENT:
            flags |= 1 << 19
        return flags

    def guild_create_payload(self, guild_id: int, session: GatewaySession) -> JSON:
        guild = self.state.guilds[guild_id]
        payload = guild.to_payload(full=True)
        large = len(guild.members) > session.large_threshold
        full = (
            session.wants(Intents.GUILD_MEMBERS)
            if self.members_in_guild_create
            else session.wants(Intents.GUILD_PRESENCES) and not large
        )
        payload["large"] = large
        if not full:
            # Like Discord without presences (or for a large guild): only the bot's member.
            bot_member = guild.members.get(self.state.bot.id)
            payload["members"] = [bot_member.to_payload()] if bot_member else []
        return payload

    def _resume(self, conn: Connection, d: JSON) -> bool:
        session = self.sessions.get(str(d.get("session_id")))
        seq = d.get("seq")
        ok = (
            session is not None
            and not session.ended
            and session.resumable
            and d.get("token") in (self.token, f"Bot {self.token}")
            and isinstance(seq, int)
        )
        if ok and session is not None and isinstance(seq, int):
            missed = [p for p in session.buffer if p["s"] > seq]
            oldest = session.buffer[0]["s"] if session.buffer else session.seq + 1
            if seq + 1 < oldest and session.seq > seq:
                ok = False
            else:
                previous = session.connection
                if previous is not None and previous is not conn:
                    previous.abort()  # Discord drops the zombie connection on RESUME
                conn.session = session
                session.connection = conn
                for payload in missed:
                    conn.send(payload)
                    self._record("send", Op.DISPATCH, payload["t"], payload["s"], payload["d"],
                                 session.id)
                self._push(session, "RESUMED", {})
                return True
        if session is not None and session.connection is None:
            session.ended = True
        self._send_op(conn, Op.INVALID_SESSION, False)
        return True

    def _members_chunk(self, session: GatewaySession, d: JSON) -> None:
        guild = self.state.guilds.get(int(d.get("guild_id", 0)))
        if guild is None:
            return
        members = list(guild.members.values())
        not_found: list[str] = []
        if d.get("user_ids"):
            wanted = d["user_ids"] if isinstance(d["user_ids"], list) else [d["user_ids"]]
            wanted_ids = [int(u) for u in wanted]
            members = [m for m in members if m.user.id in wanted_ids]
            found = {m.user.id for m in members}
            not_found = [str(u) for u in wanted_ids if u not in found]
        else:
            query = str(d.get("query", "")).lower()
            members = [m for m in members if m.user.username.lower().startswith(query)]
            limit = int(d.get("limit", 0) or 0)
            if limit:
                members = members[:limit]
        # Like Discord: at most 1000 members per chunk, each chunk numbered.
        parts = [members[i:i + MEMBERS_PER_CHUNK]
                 for i in range(0, len(members), MEMBERS_PER_CHUNK)] or [[]]
        for index, part in enumerate(parts):
            chunk: JSON = {
                "guild_id": str(guild.id),
                "members": [m.to_payload() for m in part],
                "chunk_index": index,
                "chunk_count": len(parts),
            }
            if not_found and index == len(parts) - 1:
                chunk["not_found"] = not_found
            if d.get("presences"):
                chunk["presences"] = []
            if "nonce" in d:
                chunk["nonce"] = d["nonce"]
            self._push(session, "GUILD_MEMBERS_CHUNK", chunk)
