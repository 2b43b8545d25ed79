"""Dialogs: a plugin asks a member a question by DM and gets the answer as a hook call.

One question is open per member per DM conversation (a platform and a member
id); later questions, from any plugin or community, wait their turn in a
persisted queue and are sent when the one before is answered, cancelled or
dropped. Each question names the community asking. A DM from a member with an
open question is the answer, taken before command handling and before the DM
is attributed to a community: it goes to the question's community and to the
asking plugin's ``on_answer``. A DM that starts with the command prefix stays a
command. Answers to numbered choices are numbers (``2``, or ``1 3`` when
several may be picked); an adapter with :attr:`~hearth.models.Capability.CHOICES`
also shows them as buttons or a menu (:class:`~hearth.events.ChoiceMadeEvent`).
A malformed answer gets a short re-ask; the question stays open. A question
that cannot reach its member (DMs refused, the member gone, a network without
DMs) is dropped with a warning, so it blocks no other.

Table ``hearth_questions`` (namespace ``hearth:dialogs``): explicit integer ids
(in asking order), times in integer epoch milliseconds.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from hearth.errors import Forbidden, NotFound
from hearth.models import Capability, Member, Prompt
from hearth.outbox import Request
from hearth.storage import Database, Migration, Row, Store
from hearth.storage.schema import rebuild
from hearth.text import Text

if TYPE_CHECKING:
    from hearth.app import App

log = logging.getLogger(__name__)

NAMESPACE = "hearth:dialogs"
#: the most choices a question may offer
MAX_CHOICES = 100
#: the longest question text accepted (the DM with its choices must fit a message)
MAX_QUESTION = 1000
#: the longest choice label accepted (adapters shorten it where the network wants less)
MAX_LABEL = 200
_NUMBERS = re.compile(r"[\s,;]+")


async def _v1(store: Store) -> None:
    await store.execute(
        "CREATE TABLE hearth_questions ("
        " id BIGINT PRIMARY KEY, community TEXT NOT NULL, plugin TEXT NOT NULL,"
        " platform TEXT NOT NULL, member_id TEXT NOT NULL, member_name TEXT NOT NULL,"
        " question_key TEXT NOT NULL, question TEXT NOT NULL, choices TEXT NOT NULL,"
        " multiple INTEGER NOT NULL, data TEXT NOT NULL, asked_ms BIGINT NOT NULL,"
        " shown INTEGER NOT NULL)"
    )
    await store.execute(
        "CREATE INDEX hearth_questions_conversation ON hearth_questions (platform, member_id, id)"
    )


async def _v2(store: Store) -> None:
    """A question that mentions members keeps its parts (``Text.to_json``), NULL otherwise."""
    await store.execute("ALTER TABLE hearth_questions ADD COLUMN question_parts TEXT")


_COLUMNS = ("community", "plugin", "platform", "member_id", "member_name", "question_key",
            "question", "choices", "multiple", "data", "asked_ms", "shown", "question_parts")


async def _v3(store: Store) -> None:
    """Ids from the database (an identity column), not ``MAX(id) + 1``: two processes
    asking at once got the same id (several processes on PostgreSQL); and never given
    again (a late pick on a deleted question's buttons must not answer a newer one)."""
    await rebuild(
        store, "hearth_questions",
        "id INTEGER PRIMARY KEY AUTOINCREMENT, community TEXT NOT NULL, plugin TEXT NOT NULL,"
        " platform TEXT NOT NULL, member_id TEXT NOT NULL, member_name TEXT NOT NULL,"
        " question_key TEXT NOT NULL, question TEXT NOT NULL, choices TEXT NOT NULL,"
        " multiple INTEGER NOT NULL, data TEXT NOT NULL, asked_ms BIGINT NOT NULL,"
        " shown INTEGER NOT NULL, question_parts TEXT",
        {"id": "id", **{c: c for c in _COLUMNS}},
        indexes=["CREATE INDEX hearth_questions_conversation"
                 " ON hearth_questions (platform, member_id, id)"])


MIGRATIONS: tuple[Migration, ...] = (_v1, _v2, _v3)


@dataclass(frozen=True, slots=True)
class Answer:
    """A member's answer to a question.

    ``text`` is what they wrote (free text), or the labels they picked joined
    by ", "; ``picked`` the 1-based numbers of the choices picked, in the
    order given (empty for free text); ``labels`` those choices' labels.
    """

    text: str
    picked: tuple[int, ...] = ()
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Question:
    """One question as stored: who asks whom, what, and with which choices."""

    id: int
    community: str
    plugin: str
    platform: str
    member_id: str
    member_name: str
    key: str
    text: str
    choices: tuple[str, ...]
    multiple: bool
    data: dict[str, Any] = field(default_factory=dict)
    asked_ms: int = 0

    @property
    def conversation(self) -> tuple[str, str]:
        return (self.platform, self.member_id)

    @property
    def member(self) -> Member:
        return Member(platform=self.platform, id=self.member_id, name=self.member_name)

    @classmethod
    def from_row(cls, row: Row) -> Question:
        return cls(
            id=int(row["id"]), community=row["community"], plugin=row["plugin"],
            platform=row["platform"], member_id=row["member_id"], member_name=row["member_name"],
            key=row["question_key"], text=_question(row), choices=tuple(json.loads(row["choices"])),
            multiple=bool(row["multiple"]), data=json.loads(row["data"]), asked_ms=int(row["asked_ms"]),
        )

    @property
    def parts(self) -> str | None:
        """The question's parts as stored when it mentions members (see :func:`_question`)."""
        text = self.text
        return json.dumps(text.to_json()) if isinstance(text, Text) and text.mentions else None

    def prompt(self) -> Prompt:
        """The DM: the community asking, the question, the numbered choices and how to answer."""
        lines = [f"[{self.community}] " + self.text]  # the question may mention members
        lines += [f"{n}. {label}" for n, label in enumerate(self.choices, start=1)]
        if self.choices:
            lines.append(self.hint())
        return Prompt(question=self.id, text=Text("\n").join(lines), choices=self.choices,
                      multiple=self.multiple)

    def hint(self) -> str:
        last = len(self.choices)
        if self.multiple:
            return f"Answer with one or more numbers from 1 to {last}, e.g. 1 3."
        return f"Answer with one number from 1 to {last}."

    def parse(self, text: str) -> Answer | None:
        """``text`` as an answer to this question; None when it is malformed."""
        text = text.strip()
        if not self.choices:
            return Answer(text=text) if text else None
        words = [w for w in _NUMBERS.split(text) if w]
        if not words or not all(w.isdigit() for w in words):
            return None
        return self.pick(tuple(int(w) for w in words))

    def pick(self, numbers: Sequence[int]) -> Answer | None:
        """The answer picking ``numbers`` (1-based); None when they do not fit the question."""
        picked = tuple(dict.fromkeys(numbers))
        if not picked or any(not 1 <= n <= len(self.choices) for n in picked):
            return None
        if len(picked) > 1 and not self.multiple:
            return None
        labels = tuple(self.choices[n - 1] for n in picked)
        return Answer(text=", ".join(labels), picked=picked, labels=labels)


def _question(row: Row) -> str:
    """A stored question's text, with its mentions when it has some."""
    parts = row["question_parts"]
    return Text.from_json(json.loads(parts)) if parts else str(row["question"])


def check_question(question: str, choices: Sequence[str] | None, multiple: bool) -> tuple[str, ...]:
    """The choices of a question as stored; ``ValueError`` saying what is wrong."""
    if not question.strip():
        raise ValueError("a question needs a text")
    if len(question) > MAX_QUESTION:
        raise ValueError(f"a question is at most {MAX_QUESTION} characters")
    if choices is None:
        if multiple:
            raise ValueError("multiple=True needs choices")
        return ()
    if isinstance(choices, str):
        raise ValueError("choices is a list of labels, not one string")
    labels = tuple(" ".join(str(c).split()) for c in choices)
    if not 2 <= len(labels) <= MAX_CHOICES:
        raise ValueError(f"a question offers 2 to {MAX_CHOICES} choices")
    if not all(labels) or any(len(label) > MAX_LABEL for label in labels):
        raise ValueError(f"each choice needs a label of 1 to {MAX_LABEL} characters")
    if len(set(labels)) != len(labels):
        raise ValueError("two choices have the same label")
    return labels


class Dialogs:
    """Every question of the app: asked, queued, sent in turn, answered."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._db: Database | None = None
        #: the open (first) question of each conversation that has one
        self._open: dict[tuple[str, str], Question] = {}

    @property
    def _store(self) -> Store:
        assert self._db is not None, "dialogs used before the app started"
        return Store(self._db, NAMESPACE)

    async def open(self, db: Database) -> None:
        """Migrate the table and load each conversation's open question."""
        self._db = db
        await db.migrate(self._store, MIGRATIONS)
        self._open = {}
        for row in await db.fetch("SELECT * FROM hearth_questions ORDER BY id"):
            question = Question.from_row(row)
            self._open.setdefault(question.conversation, question)

    async def resume(self) -> None:
        """After start-up: drop the questions of plugins no longer enabled in their community
        (nobody would hear the answer), and send the open ones never sent (the app stopped
        before it could)."""
        assert self._db is not None
        rows = await self._db.fetch("SELECT id, community, plugin, shown FROM hearth_questions")
        config = self._app.config.communities
        orphans = [int(r["id"]) for r in rows
                   if r["community"] not in config or r["plugin"] not in self._app.enabled(r["community"])]
        if orphans:
            log.warning("%d unanswered questions of plugins no longer enabled are dropped",
                        len(orphans))
            async with self._store.transaction():
                for qid in orphans:
                    await self._store.execute("DELETE FROM hearth_questions WHERE id = ?", (qid,))
            await self.open(self._db)
        unsent = {int(r["id"]) for r in rows if not r["shown"]} - set(orphans)
        for question in list(self._open.values()):
            if question.id in unsent:
                await self._show(question)

    # -- asking ------------------------------------------------------------
    async def ask(self, community: str, plugin: str, member: Member, question: str, *,
                  choices: Sequence[str] | None, multiple: bool, key: str,
                  data: dict[str, Any] | None) -> int:
        """Queue a question; it is sent now if the member has no other open. Returns its id."""
        labels = check_question(question, choices, multiple)
        if member.is_bot:
            raise ValueError("the bot asks members, not bots")
        stored = json.dumps(data or {})  # TypeError here when data is not JSON
        async with self._store.transaction():
            asked = Question(
                id=0, community=community, plugin=plugin, platform=member.platform,
                member_id=member.id, member_name=member.name, key=key, text=question.strip(),
                choices=labels, multiple=multiple, data=json.loads(stored),
                asked_ms=int(self._app.clock.now().timestamp() * 1000),
            )
            qid = int(await self._store.fetchval(
                "INSERT INTO hearth_questions (community, plugin, platform, member_id,"
                " member_name, question_key, question, question_parts, choices, multiple, data,"
                " asked_ms, shown) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING id",
                (community, plugin, member.platform, member.id, member.name, key,
                 str(asked.text), asked.parts, json.dumps(list(labels)), int(multiple), stored,
                 asked.asked_ms),
            ))
            asked = replace(asked, id=qid)
            first = asked.conversation not in self._open
            if first:
                self._open[asked.conversation] = asked
        if first:
            await self._show(asked)
        else:
            log.debug("question %d to %s waits its turn", qid, member.id)
        return qid

    async def _show(self, question: Question) -> None:
        """Queue the question's DM (through the asking community's outbound flow)."""
        app = self._app
        adapter = next((a for a in app.adapters_for(question.community)
                        if a.name == question.platform), None)
        if adapter is None or not adapter.can(Capability.DM):
            if adapter is not None:
                app.report_missing(question.community, question.plugin, adapter.name, Capability.DM)
            await self._undeliverable(question, "the network cannot send direct messages")
            return
        prompt, member, community = question.prompt(), question.member, question.community

        async def perform(_text: str | None, _reply: str | None) -> Any:
            try:
                sent = await adapter.ask(community, member, prompt)
            except (Forbidden, NotFound) as exc:  # refuses DMs, or gone: it can never be answered
                await self._undeliverable(question, str(exc))
                raise
            # Only now: a question still queued when the app stops is sent after the restart.
            await self._store.execute("UPDATE hearth_questions SET shown = 1 WHERE id = ?",
                                      (question.id,))
            return sent

        app.outbound(adapter).submit(("dm",), Request("dm", perform), community=community,
                                     plugin=question.plugin, dm_to=member.id)

    async def _undeliverable(self, question: Question, why: str) -> None:
        """A question that cannot reach its member is dropped, so it blocks no other."""
        log.warning("question %r of %s in %s to %s could not be sent (%s); dropped", question.key,
                    question.plugin, question.community, question.member_id, why)
        async with self._store.transaction():
            await self._store.execute("DELETE FROM hearth_questions WHERE id = ?", (question.id,))
            current = self._open.get(question.conversation)
            if current is not None and current.id == question.id:
                await self._next(question.conversation)

    async def _next(self, conversation: tuple[str, str]) -> None:
        """The conversation's open question was closed: open (and send) the next, if any."""
        self._open.pop(conversation, None)
        row = await self._store.fetchrow(
            "SELECT * FROM hearth_questions WHERE platform = ? AND member_id = ? ORDER BY id LIMIT 1",
            conversation,
        )
        if row is not None:
            following = Question.from_row(row)
            self._open[conversation] = following
            if not row["shown"]:
                await self._show(following)

    # -- answering ---------------------------------------------------------
    def asking(self, platform: str, member_id: str) -> Question | None:
        """The open question of a conversation, if any (no storage read: the hot path asks)."""
        return self._open.get((platform, member_id)) if self._open else None

    async def read_open(self, conversation: tuple[str, str]) -> Question | None:
        """The open question of a conversation as the database has it now (with several
        processes another may have asked or closed one since); remembered here too."""
        row = await self._store.fetchrow(
            "SELECT * FROM hearth_questions WHERE platform = ? AND member_id = ? ORDER BY id LIMIT 1",
            conversation)
        if row is None:
            self._open.pop(conversation, None)
            return None
        question = self._open[conversation] = Question.from_row(row)
        return question

    def question(self, question_id: int) -> Question | None:
        """The open question with this id, if it is open."""
        return next((q for q in self._open.values() if q.id == question_id), None)

    async def answer(self, question: Question, reply: str | Sequence[int]) -> Answer | None:
        """Take a DM ``reply`` (or choices picked natively) to the open ``question``.

        A well-formed answer closes the question (the next one of the
        conversation is sent) and is returned for the asking plugin; a
        malformed one gets a short re-ask and None is returned.
        """
        answer = question.parse(reply) if isinstance(reply, str) else question.pick(reply)
        if answer is None:
            await self._reask(question)
            return None
        async with self._store.transaction():
            await self._store.execute("DELETE FROM hearth_questions WHERE id = ?", (question.id,))
            await self._next(question.conversation)
        return answer

    async def _reask(self, question: Question) -> None:
        text = question.hint() if question.choices else "Please answer in words."
        ctx = self._app.contexts[question.community][question.plugin]
        await ctx.dm(question.member, f"[{question.community}] {text}")

    # -- ending questions without an answer --------------------------------
    async def cancel(self, community: str, plugin: str, member: Member | None,
                     keys: Sequence[str] | None) -> int:
        """Drop ``plugin``'s questions in ``community`` (to ``member``, with one of ``keys``,
        when given), open or waiting; returns how many were dropped."""
        where = "community = ? AND plugin = ?"
        params: tuple[str, ...] = (community, plugin)
        if member is not None:
            where += " AND platform = ? AND member_id = ?"
            params += member.key
        if keys is not None:
            if isinstance(keys, str):
                raise ValueError("keys is a list of question keys, not one string")
            if not keys:
                return 0
            where += f" AND question_key IN ({', '.join('?' * len(keys))})"
            params += tuple(keys)
        return await self._drop(where, params)

    async def member_left(self, community: str, member: Member) -> int:
        """Drop the questions ``community`` asked a member who left it."""
        return await self._drop("community = ? AND platform = ? AND member_id = ?",
                                (community, *member.key))

    async def _drop(self, where: str, params: tuple[str, ...]) -> int:
        async with self._store.transaction():
            rows = await self._store.fetch(
                f"SELECT id, platform, member_id FROM hearth_questions WHERE {where}", params)
            if not rows:
                return 0
            await self._store.execute(f"DELETE FROM hearth_questions WHERE {where}", params)
            dropped = {int(r["id"]) for r in rows}
            for conversation in {(r["platform"], r["member_id"]) for r in rows}:
                current = self._open.get(conversation)
                if current is not None and current.id in dropped:
                    await self._next(conversation)
        return len(rows)

    async def pending(self, community: str, plugin: str) -> list[Question]:
        """``plugin``'s questions in ``community`` not yet answered (open or waiting), oldest first."""
        rows = await self._store.fetch(
            "SELECT * FROM hearth_questions WHERE community = ? AND plugin = ? ORDER BY id",
            (community, plugin))
        return [Question.from_row(r) for r in rows]
