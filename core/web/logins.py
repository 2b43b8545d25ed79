"""Dashboard logins: one-time links, signed session cookies and CSRF tokens.

No password is stored. A login link carries a random token valid for
:data:`LINK_TTL`; only its SHA-256 is kept (``web_logins``), and using it
marks it used in the same statement, so a link works once even with several
processes. A session is a cookie naming the account, signed (HMAC-SHA256)
with the key from ``HEARTH_WEB_SECRET`` or, without it, a random key kept in
the database (shared by every process). Nothing here imports aiohttp: ``!dashboard``
and ``hearth login`` issue links without the web server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

from hearth.clock import Clock
from hearth.storage import Database, Migration, Store
from hearth.timeutil import to_ms

NAMESPACE = "web"
#: a login link works once, this long
LINK_TTL = timedelta(minutes=10)
#: a session lasts this long (then log in again)
SESSION_TTL = timedelta(hours=12)
#: the environment variable holding the cookie signing key (else it is kept in the database)
SECRET_ENV = "HEARTH_WEB_SECRET"

Account = tuple[str, str]


async def _v1(store: Store) -> None:
    await store.execute(
        f"CREATE TABLE {store.table('logins')} (token_hash TEXT PRIMARY KEY, community TEXT NOT NULL,"
        " platform TEXT NOT NULL, member_id TEXT NOT NULL, created_ms BIGINT NOT NULL,"
        " expires_ms BIGINT NOT NULL, used_ms BIGINT)")


MIGRATIONS: tuple[Migration, ...] = (_v1,)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Login:
    """Who a login link is for, and the community it was asked in."""

    community: str
    account: Account


class Logins:
    """One-time login links and the cookie signing key, in the database."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock
        self._store = Store(db, NAMESPACE)
        self._table = self._store.table("logins")
        self._key: bytes | None = None

    async def open(self) -> None:
        await self.db.migrate(self._store, MIGRATIONS)

    def _now(self) -> int:
        return to_ms(self.clock.now())

    async def issue(self, community: str, account: Account) -> str:
        """A new login token for ``account`` (put it in a link); expired ones are pruned."""
        token = secrets.token_urlsafe(32)
        now = self._now()
        await self.db.execute(f"DELETE FROM {self._table} WHERE expires_ms < ?", (now - 86_400_000,))
        await self.db.execute(
            f"INSERT INTO {self._table} (token_hash, community, platform, member_id, created_ms,"
            " expires_ms) VALUES (?, ?, ?, ?, ?, ?)",
            (_hash(token), community, account[0], account[1], now,
             now + int(LINK_TTL.total_seconds() * 1000)))
        return token

    async def peek(self, token: str) -> Login | None:
        """Who ``token`` is for, when it is still usable (unused, unexpired); uses nothing."""
        row = await self.db.fetchrow(
            f"SELECT community, platform, member_id FROM {self._table}"
            " WHERE token_hash = ? AND used_ms IS NULL AND expires_ms > ?", (_hash(token), self._now()))
        return None if row is None else Login(row["community"], (row["platform"], row["member_id"]))

    async def use(self, token: str) -> Login | None:
        """Use ``token`` up: who it was for, or None when it was used, expired or unknown."""
        now = self._now()
        rows = await self.db.fetch(
            f"UPDATE {self._table} SET used_ms = ? WHERE token_hash = ? AND used_ms IS NULL"
            " AND expires_ms > ? RETURNING community, platform, member_id", (now, _hash(token), now))
        if not rows:
            return None
        return Login(rows[0]["community"], (rows[0]["platform"], rows[0]["member_id"]))

    async def key(self) -> bytes:
        """The cookie signing key: ``HEARTH_WEB_SECRET``, else one kept in the database."""
        if self._key is None:
            secret = os.environ.get(SECRET_ENV)
            if secret:
                self._key = secret.encode()
            else:
                await self.db.execute(
                    "INSERT INTO hearth_kv (namespace, key, value) VALUES (?, ?, ?)"
                    " ON CONFLICT (namespace, key) DO NOTHING",
                    (NAMESPACE, "signing_key", secrets.token_hex(32)))
                value = await self.db.fetchval(
                    "SELECT value FROM hearth_kv WHERE namespace = ? AND key = ?", (NAMESPACE, "signing_key"))
                self._key = str(value).encode()
        return self._key


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in account; ``nonce`` makes its CSRF token differ from any other session's."""

    account: Account
    expires_ms: int
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, session: Session) -> str:
    """The cookie value for ``session``: its JSON and its HMAC."""
    body = _b64(json.dumps([*session.account, session.expires_ms, session.nonce]).encode())
    mac = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def verify(key: bytes, cookie: str, now_ms: int) -> Session | None:
    """The session a cookie holds; None when it was tampered with, malformed or expired."""
    body, _, mac = cookie.partition(".")
    want = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not mac or not hmac.compare_digest(mac, want):
        return None
    try:
        platform, member_id, expires_ms, nonce = json.loads(_unb64(body))
    except ValueError:
        return None
    if not all(isinstance(v, str) for v in (platform, member_id, nonce)) or not isinstance(expires_ms, int):
        return None
    if expires_ms <= now_ms:
        return None
    return Session((platform, member_id), expires_ms, nonce)


def csrf_token(key: bytes, session: Session) -> str:
    """The token every POST of ``session`` must carry (bound to the session, so not guessable)."""
    return _b64(hmac.new(key, f"csrf:{session.nonce}".encode(), hashlib.sha256).digest())
