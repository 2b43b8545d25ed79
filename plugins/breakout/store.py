"""Everything breakout stores, and all its SQL (one small module, so the store API can change here).

Tables (namespaced ``breakout_…``; integer epoch milliseconds, a ``community``
column that ``ctx.store`` fills and filters, explicit keys, no rowid):

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

from hearth import SQL, CommunityStore, PluginContext, Store


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
    """Breakout's records in one community (``ctx.store`` fills and filters ``community``)."""

    def __init__(self, ctx: PluginContext) -> None:
        self._store: CommunityStore = ctx.store

    # -- answers -------------------------------------------------------------
    async def start_take(self, person: int) -> None:
        """A new questionnaire: drop an unfinished one."""
        await self._store.delete("answers", "person = ? AND draft = 1", (person,))

    async def draft(self, person: int, account: str, question: str, choices: list[str],
                    when: datetime) -> None:
        await self._store.insert(
            "answers", {"person": person, "account": account, "question": question, "draft": 1,
                        "choices": json.dumps(choices), "answered_ms": ms(when)},
            on_conflict=("person", "question", "draft"), update=("account", "choices", "answered_ms"))

    async def finish_take(self, person: int, keys: list[str]) -> bool:
        """When the draft answers every question in ``keys``, they replace the earlier answers."""
        async with self._store.transaction():
            rows = await self._store.select("answers", "person = ? AND draft = 1", (person,),
                                            columns="question")
            if not set(keys) <= {r["question"] for r in rows}:
                return False
            await self._store.delete("answers", "person = ? AND draft = 0", (person,))
            await self._store.update("answers", {"draft": 0}, "person = ? AND draft = 1", (person,))
        return True

    async def answers(self) -> dict[int, dict[str, list[str]]]:
        """Every person's finished answers: person -> question -> labels picked."""
        rows = await self._store.select("answers", "draft = 0", columns="person, question, choices",
                                        order_by="person, question")
        found: dict[int, dict[str, list[str]]] = defaultdict(dict)
        for r in rows:
            found[int(r["person"])][r["question"]] = json.loads(r["choices"])
        return dict(found)

    async def has_answers(self, person: int) -> bool:
        return await self._store.select_one("answers", "person = ?", (person,),
                                            columns="person") is not None

    async def forget(self, account: str) -> None:
        """Erase every row of the person (or persons) who answered from ``account``."""
        rows = await self._store.select("answers", "account = ?", (account,),
                                        columns="DISTINCT person", order_by="person")
        for person in (int(r["person"]) for r in rows):
            for table in ("answers", "people", "placements", "candidates"):
                await self._store.delete(table, "person = ?", (person,))

    # -- taking part ---------------------------------------------------------
    async def set_stopped(self, person: int, stopped: bool) -> None:
        await self._store.insert("people", {"person": person, "stopped": int(stopped)},
                                 on_conflict=("person",), update=("stopped",))

    async def stopped(self) -> set[int]:
        rows = await self._store.select("people", "stopped = 1", columns="person", order_by="person")
        return {int(r["person"]) for r in rows}

    async def waiting(self) -> dict[int, int]:
        """Who was left over, and since which round (the longest waiting first in line)."""
        rows = await self._store.select("people", "waiting_since IS NOT NULL",
                                        columns="person, waiting_since", order_by="person")
        return {int(r["person"]): int(r["waiting_since"]) for r in rows}

    # -- rounds --------------------------------------------------------------
    async def last_round(self) -> tuple[int, datetime | None]:
        row = await self._store.select_one("rounds", columns="number, started_ms",
                                           order_by="number DESC")
        return (int(row["number"]), dt(row["started_ms"])) if row else (0, None)

    async def rounds(self, limit: int = 8) -> list[tuple[int, datetime, int, int]]:
        """The latest rounds, newest first: (number, started, groups, people)."""
        rows = await self._store.select("rounds", order_by="number DESC", limit=limit)
        return [(int(r["number"]), dt(r["started_ms"]), int(r["group_count"]), int(r["people_count"]))
                for r in rows]

    async def history(self, rounds: int, before: int) -> list[list[int]]:
        """The groups of the ``rounds`` rounds before round ``before``."""
        if rounds <= 0:
            return []
        rows = await self._store.select(
            "placements", "round >= ? AND round < ?", (before - rounds, before),
            columns="round, group_no, person", order_by="round, group_no, person")
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for r in rows:
            groups[(int(r["round"]), int(r["group_no"]))].append(int(r["person"]))
        return list(groups.values())

    async def record_round(self, number: int, when: datetime, groups: list[list[int]],
                           waiting: list[int]) -> None:
        """Round ``number``'s groups (as formed) and who waits; the grouped wait no more."""
        async with self._store.transaction():
            await self._store.insert("rounds", {
                "number": number, "started_ms": ms(when), "group_count": len(groups),
                "people_count": sum(len(g) for g in groups)})
            for n, group in enumerate(groups, start=1):
                for person in group:
                    await self._store.insert("placements",
                                             {"round": number, "person": person, "group_no": n})
                    await self._store.update("people", {"waiting_since": None}, "person = ?",
                                             (person,))
            for person in waiting:
                await self._store.insert(
                    "people", {"person": person, "waiting_since": number}, on_conflict=("person",),
                    update={"waiting_since": SQL("COALESCE("
                                                 f"{self._store.table('people')}.waiting_since,"
                                                 " excluded.waiting_since)")})

    # -- leader candidates ---------------------------------------------------
    async def add_candidate(self, candidate: Candidate) -> None:
        await self._store.insert("candidates", {
            "person": candidate.person, "round": candidate.round, "messages": candidate.messages,
            "group_name": candidate.group, "since_ms": ms(candidate.since)},
            on_conflict=("person", "round"))

    async def candidates(self, since: datetime) -> list[Candidate]:
        rows = await self._store.select("candidates", "since_ms >= ?", (ms(since),),
                                        order_by="since_ms DESC, person")
        return [Candidate(person=int(r["person"]), round=int(r["round"]), messages=int(r["messages"]),
                          group=r["group_name"], since=dt(r["since_ms"])) for r in rows]
