"""Everything breakout stores, and all its SQL (one small module, so the store API can change here).

Tables (namespaced ``breakout_…``; integer epoch milliseconds, a ``community``
column, explicit keys, no rowid):

* ``answers``: one row per person, question and take (``draft`` 1 while a
  questionnaire is under way; a finished take replaces the earlier answers);
* ``people``: who left the rounds (``stopped``) and who waits since a round
  that had no room for them (``waiting_since``: first in line next round);
* ``rounds`` and ``placements``: each round and who was in which group, the
  history that ``avoid_repeat_rounds`` reads;
* ``candidates``: each ended group's most active member (``representatives``).

People are keyed on the core's person id (``ctx.person``), so linked accounts
share one set of answers; ``answers.account`` keeps which account answered, so
``hearth forget`` can erase the person's rows from the account alone.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from hearth import PluginContext, Store


def ms(when: datetime) -> int:
    return round(when.timestamp() * 1000)


def dt(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


async def upgrade_v1(store: Store) -> None:
    answers, people, rounds, placements, candidates = (
        store.table(t) for t in ("answers", "people", "rounds", "placements", "candidates"))
    await store.execute(
        f"CREATE TABLE {answers} (community TEXT NOT NULL, person BIGINT NOT NULL,"
        " account TEXT NOT NULL, question TEXT NOT NULL, draft INTEGER NOT NULL, choices TEXT NOT NULL,"
        " answered_ms BIGINT NOT NULL, PRIMARY KEY (community, person, question, draft))")
    await store.execute(
        f"CREATE TABLE {people} (community TEXT NOT NULL, person BIGINT NOT NULL,"
        " stopped INTEGER NOT NULL DEFAULT 0, waiting_since INTEGER,"
        " PRIMARY KEY (community, person))")
    await store.execute(
        f"CREATE TABLE {rounds} (community TEXT NOT NULL, number INTEGER NOT NULL,"
        " started_ms BIGINT NOT NULL, group_count INTEGER NOT NULL, people_count INTEGER NOT NULL,"
        " PRIMARY KEY (community, number))")
    await store.execute(
        f"CREATE TABLE {placements} (community TEXT NOT NULL, round INTEGER NOT NULL,"
        " person BIGINT NOT NULL, group_no INTEGER NOT NULL, PRIMARY KEY (community, round, person))")
    await store.execute(
        f"CREATE TABLE {candidates} (community TEXT NOT NULL, person BIGINT NOT NULL,"
        " round INTEGER NOT NULL, messages INTEGER NOT NULL, group_name TEXT NOT NULL,"
        " since_ms BIGINT NOT NULL, PRIMARY KEY (community, person, round))")


MIGRATIONS = (upgrade_v1,)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A group's most active member, offered to ``leaders``."""

    person: int
    round: int
    messages: int
    group: str
    since: datetime


class BreakoutStore:
    """Breakout's records in one community."""

    def __init__(self, ctx: PluginContext) -> None:
        self._store: Store = ctx.store
        self._community = ctx.key
        self._t = {t: ctx.store.table(t)
                   for t in ("answers", "people", "rounds", "placements", "candidates")}

    # -- answers -------------------------------------------------------------
    async def start_take(self, person: int) -> None:
        """A new questionnaire: drop an unfinished one."""
        await self._store.execute(
            f"DELETE FROM {self._t['answers']} WHERE community = ? AND person = ? AND draft = 1",
            (self._community, person))

    async def draft(self, person: int, account: str, question: str, choices: list[str],
                    when: datetime) -> None:
        await self._store.execute(
            f"INSERT INTO {self._t['answers']} (community, person, account, question, draft, choices,"
            " answered_ms) VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT (community, person, question, draft)"
            " DO UPDATE SET account = excluded.account, choices = excluded.choices,"
            " answered_ms = excluded.answered_ms",
            (self._community, person, account, question, json.dumps(choices), ms(when)))

    async def finish_take(self, person: int, keys: list[str]) -> bool:
        """When the draft answers every question in ``keys``, they replace the earlier answers."""
        t = self._t["answers"]
        async with self._store.transaction():
            rows = await self._store.fetchall(
                f"SELECT question FROM {t} WHERE community = ? AND person = ? AND draft = 1",
                (self._community, person))
            if not set(keys) <= {r["question"] for r in rows}:
                return False
            await self._store.execute(
                f"DELETE FROM {t} WHERE community = ? AND person = ? AND draft = 0",
                (self._community, person))
            await self._store.execute(
                f"UPDATE {t} SET draft = 0 WHERE community = ? AND person = ? AND draft = 1",
                (self._community, person))
        return True

    async def answers(self) -> dict[int, dict[str, list[str]]]:
        """Every person's finished answers: person -> question -> labels picked."""
        rows = await self._store.fetchall(
            f"SELECT person, question, choices FROM {self._t['answers']}"
            " WHERE community = ? AND draft = 0", (self._community,))
        found: dict[int, dict[str, list[str]]] = defaultdict(dict)
        for r in rows:
            found[int(r["person"])][r["question"]] = json.loads(r["choices"])
        return dict(found)

    async def has_answers(self, person: int) -> bool:
        row = await self._store.fetchone(
            f"SELECT 1 AS found FROM {self._t['answers']} WHERE community = ? AND person = ? LIMIT 1",
            (self._community, person))
        return row is not None

    async def forget(self, account: str) -> None:
        """Erase every row of the person (or persons) who answered from ``account``."""
        rows = await self._store.fetchall(
            f"SELECT DISTINCT person FROM {self._t['answers']} WHERE community = ? AND account = ?",
            (self._community, account))
        for person in (int(r["person"]) for r in rows):
            for table in ("answers", "people", "placements", "candidates"):
                await self._store.execute(
                    f"DELETE FROM {self._t[table]} WHERE community = ? AND person = ?",
                    (self._community, person))

    # -- taking part ---------------------------------------------------------
    async def set_stopped(self, person: int, stopped: bool) -> None:
        await self._store.execute(
            f"INSERT INTO {self._t['people']} (community, person, stopped) VALUES (?, ?, ?)"
            " ON CONFLICT (community, person) DO UPDATE SET stopped = excluded.stopped",
            (self._community, person, int(stopped)))

    async def stopped(self) -> set[int]:
        rows = await self._store.fetchall(
            f"SELECT person FROM {self._t['people']} WHERE community = ? AND stopped = 1",
            (self._community,))
        return {int(r["person"]) for r in rows}

    async def waiting(self) -> dict[int, int]:
        """Who was left over, and since which round (the longest waiting first in line)."""
        rows = await self._store.fetchall(
            f"SELECT person, waiting_since FROM {self._t['people']}"
            " WHERE community = ? AND waiting_since IS NOT NULL", (self._community,))
        return {int(r["person"]): int(r["waiting_since"]) for r in rows}

    # -- rounds --------------------------------------------------------------
    async def last_round(self) -> tuple[int, datetime | None]:
        row = await self._store.fetchone(
            f"SELECT number, started_ms FROM {self._t['rounds']} WHERE community = ?"
            " ORDER BY number DESC LIMIT 1", (self._community,))
        return (int(row["number"]), dt(row["started_ms"])) if row else (0, None)

    async def history(self, rounds: int, before: int) -> list[list[int]]:
        """The groups of the ``rounds`` rounds before round ``before``."""
        if rounds <= 0:
            return []
        rows = await self._store.fetchall(
            f"SELECT round, group_no, person FROM {self._t['placements']}"
            " WHERE community = ? AND round >= ? AND round < ? ORDER BY round, group_no, person",
            (self._community, before - rounds, before))
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for r in rows:
            groups[(int(r["round"]), int(r["group_no"]))].append(int(r["person"]))
        return list(groups.values())

    async def record_round(self, number: int, when: datetime, groups: list[list[int]],
                           waiting: list[int]) -> None:
        """Round ``number``'s groups (as formed) and who waits; the grouped wait no more."""
        async with self._store.transaction():
            await self._store.execute(
                f"INSERT INTO {self._t['rounds']} (community, number, started_ms, group_count,"
                " people_count)"
                " VALUES (?, ?, ?, ?, ?)",
                (self._community, number, ms(when), len(groups), sum(len(g) for g in groups)))
            for n, group in enumerate(groups, start=1):
                for person in group:
                    await self._store.execute(
                        f"INSERT INTO {self._t['placements']} (community, round, person, group_no)"
                        " VALUES (?, ?, ?, ?)", (self._community, number, person, n))
                    await self._store.execute(
                        f"UPDATE {self._t['people']} SET waiting_since = NULL"
                        " WHERE community = ? AND person = ?", (self._community, person))
            for person in waiting:
                await self._store.execute(
                    f"INSERT INTO {self._t['people']} (community, person, waiting_since)"
                    " VALUES (?, ?, ?) ON CONFLICT (community, person) DO UPDATE SET"
                    f" waiting_since = COALESCE({self._t['people']}.waiting_since, excluded.waiting_since)",
                    (self._community, person, number))

    # -- leader candidates ---------------------------------------------------
    async def add_candidate(self, candidate: Candidate) -> None:
        await self._store.execute(
            f"INSERT INTO {self._t['candidates']} (community, person, round, messages, group_name,"
            " since_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (community, person, round) DO NOTHING",
            (self._community, candidate.person, candidate.round, candidate.messages, candidate.group,
             ms(candidate.since)))

    async def candidates(self, since: datetime) -> list[Candidate]:
        rows = await self._store.fetchall(
            f"SELECT * FROM {self._t['candidates']} WHERE community = ? AND since_ms >= ?"
            " ORDER BY since_ms DESC, person", (self._community, ms(since)))
        return [Candidate(person=int(r["person"]), round=int(r["round"]), messages=int(r["messages"]),
                          group=r["group_name"], since=dt(r["since_ms"])) for r in rows]

