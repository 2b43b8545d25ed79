"""Link codes: how a member proves that two accounts on two networks are theirs.

``!link`` from one account gives a short code by direct message; ``!link
CODE`` from the member's account on another network joins the two into one
person (:meth:`hearth.app.App.join_persons`). A code is valid for
:data:`LIFETIME`, once, in the community it was given in; asking again
replaces it. Wrong codes are throttled per account: after :data:`WRONG_MAX`
wrong codes within :data:`WRONG_WITHIN`, the account may not try again until
the oldest of them is that old.
"""

from __future__ import annotations

import secrets
from collections import deque
from dataclasses import dataclass
from datetime import timedelta

from hearth.people.records import Account
from hearth.storage import Database

#: how long a code is valid
LIFETIME = timedelta(minutes=10)
#: wrong codes an account may send within :data:`WRONG_WITHIN`
WRONG_MAX = 5
WRONG_WITHIN = timedelta(minutes=10)
#: letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L, 5/S, 8/B, 2/Z)
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 8

_MS = 1000


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * _MS)


def normalise(code: str) -> str:
    """A code as typed (any case, spaces or dashes) in its stored form."""
    return "".join(c for c in code.upper() if c.isalnum())


@dataclass(frozen=True, slots=True)
class Code:
    """A code given to ``account``, valid until ``expires_ms``."""

    code: str
    account: Account
    expires_ms: int

    @property
    def shown(self) -> str:
        """The code as members read it (``ABCD-EFGH``)."""
        half = len(self.code) // 2
        return f"{self.code[:half]}-{self.code[half:]}"


class LinkCodes:
    """Codes in ``hearth_link_codes``; wrong attempts in memory."""

    def __init__(self) -> None:
        self.db: Database | None = None
        self._wrong: dict[tuple[str, Account], deque[int]] = {}

    def _db(self) -> Database:
        assert self.db is not None, "link codes are not open"
        return self.db

    async def give(self, community: str, account: Account, now_ms: int) -> Code:
        """A new code for ``account`` (replacing any it had), valid for :data:`LIFETIME`."""
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        expires = now_ms + _ms(LIFETIME)
        db = self._db()
        async with db.transaction():
            await db.execute(
                "DELETE FROM hearth_link_codes WHERE (community = ? AND platform = ? AND member_id = ?)"
                " OR expires_ms <= ?", (community, *account, now_ms))
            await db.execute(
                "INSERT INTO hearth_link_codes (community, code, platform, member_id, created_ms,"
                " expires_ms) VALUES (?, ?, ?, ?, ?, ?)", (community, code, *account, now_ms, expires))
        return Code(code, account, expires)

    def blocked_for(self, community: str, account: Account, now_ms: int) -> int:
        """How many ms ``account`` must wait before trying a code again (0: it may now)."""
        wrong = self._wrong.get((community, account))
        if not wrong:
            return 0
        while wrong and wrong[0] <= now_ms - _ms(WRONG_WITHIN):
            wrong.popleft()
        if len(wrong) < WRONG_MAX:
            return 0
        return wrong[0] + _ms(WRONG_WITHIN) - now_ms

    async def take(self, community: str, typed: str, account: Account, now_ms: int) -> Code | None:
        """The valid code ``typed``, used up now; None (counted as a wrong try) when there is none.

        Call :meth:`blocked_for` first: a blocked account must not try at all.
        """
        code = normalise(typed)
        db = self._db()
        async with db.transaction():
            row = await db.fetchrow(
                "SELECT platform, member_id, expires_ms FROM hearth_link_codes"
                " WHERE community = ? AND code = ?", (community, code))
            if row is not None:
                await db.execute("DELETE FROM hearth_link_codes WHERE community = ? AND code = ?",
                                 (community, code))
        if row is None or row[2] <= now_ms:
            self._wrong.setdefault((community, account), deque()).append(now_ms)
            return None
        return Code(code, (row[0], row[1]), int(row[2]))

    async def forget(self, db: Database, account: Account) -> int:
        """Erase the codes given to ``account`` (inside the caller's transaction)."""
        for key in [k for k in self._wrong if k[1] == account]:
            del self._wrong[key]
        return await db.execute(
            "DELETE FROM hearth_link_codes WHERE platform = ? AND member_id = ?", account)
