"""The activity ledger: what each member did each day, and who interacted with whom.

Per member and day (a day in the community's timezone): messages, replies
given and received, reactions given and received, commands. Per ordered pair
of members and day: replies, mentions and reactions from one to the other.
Per community and day: the bot's own messages.

The hot path only adds to counters in memory. They are written in batches,
one transaction per batch: every ``flush_every`` (:meth:`Ledger.write_periodically`),
as soon as ``batch_size`` rows of counts are held, before every read, and at
shutdown. Daily rows are the roll-up; rows older than the retention
(``activity.retention``) are folded into per-community daily totals and
dropped, so the ledger stays bounded.

Who wrote the message a reply or a reaction answers is remembered for the
last :data:`AUTHORS_KEPT` members' messages seen at least (by the message's id
and the author's directory entry); older ones (and the bot's) count as given
but not as received. A mention counts when it names a member the directory knows (not
the bot, not another bot). Messages and reactions of other bots are not counted; the bot's own
messages are counted apart (:meth:`Ledger.bot_message`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hearth.clock import Clock
from hearth.errors import StorageError
from hearth.models import Message, Reaction, SentMessage
from hearth.people.directory import Changes, Directory, Entry
from hearth.people.persons import Persons
from hearth.people.records import Account, Activity, DayTotals, InteractionGraph
from hearth.recent import Recent
from hearth.storage import Database
from hearth.timeutil import from_ms, to_ms

log = logging.getLogger(__name__)

AUTHORS_KEPT = 200_000
DAY_MS = 86_400_000

#: default weight of each kind of interaction in :meth:`Ledger.graph`
WEIGHTS: Mapping[str, float] = {"replies": 1.0, "mentions": 1.0, "reactions": 0.5}


def _real(value: float) -> str:
    """A float as a SQL literal of the same type on SQLite and PostgreSQL (not NUMERIC)."""
    return f"CAST({float(value)!r} AS DOUBLE PRECISION)"


# indexes into a member's day counters, and into a pair's
MESSAGES, REPLIES_GIVEN, REPLIES_RECEIVED, REACTIONS_GIVEN, REACTIONS_RECEIVED, COMMANDS = range(6)
REPLIES, MENTIONS, REACTIONS = range(3)

_DAY_UPSERT = (
    "INSERT INTO hearth_activity (community, day_ms, platform, member_id, messages, replies_given,"
    " replies_received, reactions_given, reactions_received, commands)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (community, day_ms, platform, member_id) DO UPDATE SET"
    " messages = hearth_activity.messages + excluded.messages,"
    " replies_given = hearth_activity.replies_given + excluded.replies_given,"
    " replies_received = hearth_activity.replies_received + excluded.replies_received,"
    " reactions_given = hearth_activity.reactions_given + excluded.reactions_given,"
    " reactions_received = hearth_activity.reactions_received + excluded.reactions_received,"
    " commands = hearth_activity.commands + excluded.commands"
)
_PAIR_UPSERT = (
    "INSERT INTO hearth_interactions (community, day_ms, platform, source_id, target_id, replies,"
    " mentions, reactions) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (community, day_ms, platform, source_id, target_id) DO UPDATE SET"
    " replies = hearth_interactions.replies + excluded.replies,"
    " mentions = hearth_interactions.mentions + excluded.mentions,"
    " reactions = hearth_interactions.reactions + excluded.reactions"
)
_BOT_UPSERT = (
    "INSERT INTO hearth_community_days (community, day_ms, bot_messages) VALUES (?, ?, ?)"
    " ON CONFLICT (community, day_ms) DO UPDATE SET"
    " bot_messages = hearth_community_days.bot_messages + excluded.bot_messages"
)
_ACTIVE = "CASE WHEN messages + reactions_given + commands > 0 THEN 1 ELSE 0 END"

DayKey = tuple[str, int, str, str]  # community, day, platform, member
PairKey = tuple[str, int, str, str, str]  # community, day, platform, source, target


class Ledger:
    """Counts activity in memory and writes it in batches (see the module docstring)."""

    def __init__(
        self,
        clock: Clock,
        directory: Directory,
        zone_of: Callable[[str], ZoneInfo],
        retention: timedelta,
        *,
        batch_size: int = 20_000,
        flush_every: timedelta = timedelta(seconds=10),
    ) -> None:
        self._clock = clock
        self.directory = directory
        #: every member first seen gets a person in the batch that writes them
        self.persons: Persons | None = None
        self._zone_of = zone_of
        self.retention = retention
        self.batch_size = batch_size
        self._flush_every_ms = int(flush_every.total_seconds() * 1000)
        #: off: nothing is counted (the pipeline benchmark measures the ledger's cost with it)
        self.enabled = True
        self.db: Database | None = None
        self._days: dict[DayKey, list[int]] = {}
        #: the directory entries that keep a row of ``_days`` (made stale when it is written)
        self._holders: list[Entry] = []
        self._pairs: dict[PairKey, list[int]] = {}
        self._bot: dict[tuple[str, int], int] = {}
        # hash(message id) -> the author's directory entry: the hash instead of the id, and the
        # entry (one per member) instead of the author's id (a network's payload brings a fresh
        # copy with every message), keep this table small (it holds at least AUTHORS_KEPT
        # messages). Message ids of different networks do not collide (numbers, $event ids);
        # the entry's account tells the network all the same.
        self._authors: Recent[int, Entry] = Recent(AUTHORS_KEPT)
        self._day_cache: dict[str, tuple[int, int]] = {}
        self._flush_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._pruned_ms: int | None = None
        self._failing = False

    async def open(self, db: Database) -> None:
        self.db = db
        await self.prune()

    # ------------------------------------------------------------------ days
    def day_of(self, community: str, ms: int) -> int:
        """The start (epoch ms) of the community's local day holding ``ms``."""
        return self._day_bounds(community, ms)[0]

    def _day_bounds(self, community: str, ms: int) -> tuple[int, int]:
        """The start and end (epoch ms) of the community's local day holding ``ms``."""
        cached = self._day_cache.get(community)
        if cached is not None and cached[0] <= ms < cached[1]:
            return cached
        zone = self._zone_of(community)
        local = from_ms(ms).astimezone(zone).date()
        start = to_ms(datetime.combine(local, time(0), zone))
        end = to_ms(datetime.combine(local + timedelta(days=1), time(0), zone))
        cached = self._day_cache[community] = (start, end)
        return cached

    def _date(self, community: str, day_ms: int) -> date:
        return from_ms(day_ms).astimezone(self._zone_of(community)).date()

    # ------------------------------------------------------------------ counting (hot path)
    def _day_row(self, key: DayKey) -> list[int]:
        row = self._days.get(key)
        if row is None:
            row = self._days[key] = [0, 0, 0, 0, 0, 0]
            self._new_row()
        return row

    def _new_row(self) -> None:
        """A row of counts was added: a full batch is written now."""
        if len(self._days) + len(self._pairs) + len(self._bot) >= self.batch_size:
            self._flush_soon()

    def _own_row(self, entry: Entry, community: str, ms: int, platform: str, member_id: str
                 ) -> list[int]:
        """A member's row of the day holding ``ms`` in this batch, kept on their directory
        ``entry`` with the day's bounds (found there without the day or the row's key);
        ``entry.counts_from`` is then that day. A written batch makes the bounds empty."""
        row = entry.counts
        if not entry.counts_from <= ms < entry.counts_until:
            day, end = self._day_bounds(community, ms)
            row = self._day_row((community, day, platform, member_id))
            entry.counts, entry.counts_from, entry.counts_until = row, day, end
            self._holders.append(entry)
        return row

    def _pair_row(self, key: PairKey) -> list[int]:
        row = self._pairs.get(key)
        if row is None:
            row = self._pairs[key] = [0, 0, 0]
            self._new_row()
        return row

    def _target(self, platform: str, message_id: str) -> str | None:
        """The id of the member who wrote message ``message_id``, when remembered."""
        entry = self._authors.get(hash(message_id))
        return None if entry is None or entry.account[0] != platform else entry.account[1]

    def message(self, community: str, message: Message) -> None:
        """A member's message in a community channel passed moderation."""
        # The hot path of every message: helpers inlined, attributes read once.
        author = message.author
        if author.is_bot or not self.enabled:
            return
        ms = message.time_ms
        platform, author_id = message.platform, author.id
        entry = self.directory.active(community, author, ms)
        authors = self._authors
        new = authors.new  # item assignment, inline
        new[hash(message.id)] = entry
        if len(new) >= authors.size:
            authors.old, authors.new = new, {}
        row = entry.counts  # as _own_row finds it (a new day or batch: by _own_row)
        if not entry.counts_from <= ms < entry.counts_until:
            row = self._own_row(entry, community, ms, platform, author_id)
        row[MESSAGES] += 1
        day = entry.counts_from
        if message.reply_to is not None:
            row[REPLIES_GIVEN] += 1
            target = self._target(platform, message.reply_to)
            if target and target != author_id:
                self._day_row((community, day, platform, target))[REPLIES_RECEIVED] += 1
                self._pair_row((community, day, platform, author_id, target))[REPLIES] += 1
        for target in message.mentions:
            if target != author_id and self.directory.is_person(community, (platform, target)):
                self._pair_row((community, day, platform, author_id, target))[MENTIONS] += 1

    def reaction(self, community: str, reaction: Reaction) -> None:
        """A member reacted to a message."""
        member = reaction.member
        if not self.enabled or member.is_bot:
            return
        ms = to_ms(reaction.time)
        platform = reaction.platform
        entry = self.directory.active(community, member, ms)
        self._own_row(entry, community, ms, platform, member.id)[REACTIONS_GIVEN] += 1
        day = entry.counts_from
        target = self._target(platform, reaction.message_id)
        if target and target != member.id:
            self._day_row((community, day, platform, target))[REACTIONS_RECEIVED] += 1
            self._pair_row((community, day, platform, member.id, target))[REACTIONS] += 1

    def command(self, community: str, message: Message) -> None:
        """A member ran a command (typed or native)."""
        author = message.author
        if not self.enabled or author.is_bot:
            return
        ms = message.time_ms
        entry = self.directory.active(community, author, ms)
        self._own_row(entry, community, ms, message.platform, author.id)[COMMANDS] += 1

    def bot_message(self, community: str, sent: SentMessage) -> None:
        """The bot posted ``sent`` (a direct message is not counted)."""
        if not self.enabled or sent.channel.dm_with is not None:
            return
        # Not remembered as an author: a reply to the bot counts as given, never as received.
        ms = self._clock.now_ms()
        key = (community, self.day_of(community, ms))
        bot = self._bot
        if key in bot:
            bot[key] += 1
        else:
            bot[key] = 1
            self._new_row()

    # ------------------------------------------------------------------ writing
    @property
    def pending(self) -> int:
        """Rows of counts held in memory and not yet written."""
        return len(self._days) + len(self._pairs) + len(self._bot)

    def _flush_soon(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush_logged(), name="hearth-ledger-flush")

    async def _flush_logged(self) -> None:
        try:
            await self.flush()
        except StorageError as exc:
            log.warning("activity could not be written (kept in memory, retried): %s", exc)

    async def flush(self, *, all_activity: bool = False) -> None:
        """Write everything counted so far in one transaction (nothing when nothing is pending).

        ``all_activity``: also every member's last activity (see :mod:`.directory`).
        """
        async with self._flush_lock:
            db = self.db
            if db is None:
                return
            days, pairs, bot = self._days, self._pairs, self._bot
            members = self.directory.take_changes(all_activity=all_activity)
            self._days, self._pairs, self._bot = {}, {}, {}
            for entry in self._holders:
                entry.counts_until = 0  # their rows are this batch's
            self._holders = []
            if not (days or pairs or bot or members):
                return
            assigned: list[tuple[str, Account]] = []
            try:
                async with db.transaction():
                    await self.directory.write(db, members)
                    if self.persons is not None and members.members:
                        assigned = await self.persons.assign(
                            db, [(r[0], (r[1], r[2])) for r in members.members], members.members[0][-1])
                    # in key order: neighbouring rows are written together
                    if days:
                        await db.executemany(_DAY_UPSERT, [(*k, *days[k]) for k in sorted(days)])
                    if pairs:
                        await db.executemany(_PAIR_UPSERT, [(*k, *pairs[k]) for k in sorted(pairs)])
                    if bot:
                        await db.executemany(_BOT_UPSERT, [(*k, v) for k, v in bot.items()])
            except BaseException:
                if self.persons is not None:
                    self.persons.unassign(assigned)
                self._restore(days, pairs, bot, members)
                raise
            if self._failing:
                self._failing = False
                log.info("activity is written again")
        now = to_ms(self._clock.now())
        if self._pruned_ms is None or now - self._pruned_ms >= DAY_MS:
            await self.prune()

    def _restore(self, days: dict[DayKey, list[int]], pairs: dict[PairKey, list[int]],
                 bot: dict[tuple[str, int], int], members: Changes) -> None:
        """Put a batch that could not be written back, to be written with the next one."""
        self._failing = True
        for key, counts in days.items():
            row = self._day_row(key)
            for i, n in enumerate(counts):
                row[i] += n
        for pkey, counts in pairs.items():
            prow = self._pair_row(pkey)
            for i, n in enumerate(counts):
                prow[i] += n
        for bkey, n in bot.items():
            self._bot[bkey] = self._bot.get(bkey, 0) + n
        self.directory.mark_changed(members)

    async def write_periodically(self) -> None:
        """Write what is pending every ``flush_every`` (real time), so a quiet spell holds nothing back."""
        every = timedelta(milliseconds=self._flush_every_ms)
        while True:
            await self._clock.sleep_until(self._clock.now() + every)
            if self.pending or self.directory.pending or self.directory.activity_due():
                self._flush_soon()
                assert self._task is not None
                # Stopping cancels this loop, never a batch half-written: close() awaits it.
                await asyncio.shield(self._task)

    async def close(self) -> None:
        """Write what is pending (at shutdown)."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush(all_activity=True)

    async def prune(self) -> None:
        """Fold per-member rows older than the retention into the community totals; drop them."""
        db = self.db
        if db is None:
            return
        now = to_ms(self._clock.now())
        self._pruned_ms = now
        cutoff = now - int(self.retention.total_seconds() * 1000)
        async with db.transaction():
            await db.execute(
                "INSERT INTO hearth_community_days (community, day_ms, messages, active_members)"
                f" SELECT community, day_ms, SUM(messages), SUM({_ACTIVE}) FROM hearth_activity"
                " WHERE day_ms < ? GROUP BY community, day_ms"
                " ON CONFLICT (community, day_ms) DO UPDATE SET"
                " messages = hearth_community_days.messages + excluded.messages,"
                " active_members = hearth_community_days.active_members + excluded.active_members",
                (cutoff,),
            )
            await db.execute(
                "INSERT INTO hearth_community_days (community, day_ms, interactions)"
                " SELECT community, day_ms, SUM(replies + mentions + reactions)"
                " FROM hearth_interactions WHERE day_ms < ? GROUP BY community, day_ms"
                " ON CONFLICT (community, day_ms) DO UPDATE SET"
                " interactions = hearth_community_days.interactions + excluded.interactions",
                (cutoff,),
            )
            dropped = await db.execute("DELETE FROM hearth_activity WHERE day_ms < ?", (cutoff,))
            dropped += await db.execute("DELETE FROM hearth_interactions WHERE day_ms < ?", (cutoff,))
        if dropped:
            log.info("activity: %d daily rows older than %s rolled up", dropped, self.retention)

    # ------------------------------------------------------------------ reading
    def _window(self, community: str, since: datetime, until: datetime | None) -> tuple[int, int]:
        end = until or self._clock.now()
        return self.day_of(community, to_ms(since)), self.day_of(community, to_ms(end))

    async def activity(self, community: str, account: Account, since: datetime,
                       until: datetime | None = None) -> Activity:
        """What ``account`` did on the days from ``since`` to ``until`` (default: now)."""
        await self.flush()
        assert self.db is not None
        first, last = self._window(community, since, until)
        row = await self.db.fetchrow(
            "SELECT SUM(messages), SUM(replies_given), SUM(replies_received), SUM(reactions_given),"
            f" SUM(reactions_received), SUM(commands), SUM({_ACTIVE}) FROM hearth_activity"
            " WHERE community = ? AND platform = ? AND member_id = ? AND day_ms >= ? AND day_ms <= ?",
            (community, account[0], account[1], first, last),
        )
        n = [int(v or 0) for v in row] if row is not None else [0] * 7
        return Activity(account=account, messages=n[0], replies_given=n[1], replies_received=n[2],
                        reactions_given=n[3], reactions_received=n[4], commands=n[5],
                        active_days=n[6])

    async def speakers(self, community: str, since: datetime, until: datetime | None = None) -> int:
        """How many members wrote at least one message on the days from ``since`` to ``until``."""
        await self.flush()
        assert self.db is not None
        first, last = self._window(community, since, until)
        count = await self.db.fetchval(
            "SELECT COUNT(*) FROM (SELECT DISTINCT platform, member_id FROM hearth_activity"
            " WHERE community = ? AND day_ms >= ? AND day_ms <= ? AND messages > 0) AS spoke",
            (community, first, last),
        )
        return int(count or 0)

    async def graph(
        self,
        community: str,
        since: datetime,
        until: datetime | None = None,
        *,
        half_life: timedelta | None = timedelta(days=14),
        weights: Mapping[str, float] = WEIGHTS,
    ) -> InteractionGraph:
        """Interactions between members from ``since`` to ``until``, decayed by age.

        A day's count weighs ``0.5 ** (days_ago / half_life)`` (``half_life``
        None: no decay), times the weight of its kind (replies, mentions,
        reactions; see :data:`WEIGHTS`).
        """
        await self.flush()
        assert self.db is not None
        first, last = self._window(community, since, until)
        unknown = set(weights) - set(WEIGHTS)
        if unknown:
            raise ValueError(f"unknown interaction kinds {sorted(unknown)} (expected {sorted(WEIGHTS)})")
        w = [float(weights.get(k, 0.0)) for k in ("replies", "mentions", "reactions")]
        # Summed per pair in SQL: each local day's decay is a constant of the query (a CASE
        # over the window's days), so only one row per pair comes back, not one per pair and day.
        decay = "1" if half_life is None else self._decay(community, first, last, half_life)
        value = f"({_real(w[0])} * replies + {_real(w[1])} * mentions + {_real(w[2])} * reactions)"
        rows = await self.db.fetch(
            f"SELECT platform, source_id, target_id, SUM({value} * {decay})"
            " FROM hearth_interactions WHERE community = ? AND day_ms >= ? AND day_ms <= ?"
            " GROUP BY platform, source_id, target_id",
            (community, first, last),
        )
        # one tuple per account, shared by its edges (a large graph has far fewer accounts than pairs)
        accounts: dict[tuple[str, str], Account] = {}
        edges: dict[tuple[Account, Account], float] = {}
        for platform, source, target, total in rows:
            if total > 0:
                a = accounts.setdefault((platform, source), (platform, source))
                b = accounts.setdefault((platform, target), (platform, target))
                edges[(a, b)] = float(total)
        return InteractionGraph(edges)

    def _decay(self, community: str, first: int, last: int, half_life: timedelta) -> str:
        """A SQL expression of ``day_ms``: each local day's weight ``0.5 ** (days_ago / half_life)``."""
        half = half_life.total_seconds() * 1000
        cases, day = [], first
        while day <= last:
            days_ago = round((last - day) / DAY_MS)
            cases.append(f"WHEN {int(day)} THEN {_real(0.5 ** (days_ago * DAY_MS / half))}")
            day = self.day_of(community, day + DAY_MS + DAY_MS // 12)  # a 23 h or 25 h day too
        return f"(CASE day_ms {' '.join(cases)} ELSE {_real(0.0)} END)"

    async def totals(self, community: str, since: datetime,
                     until: datetime | None = None) -> list[DayTotals]:
        """The community's totals for every day from ``since`` to ``until`` (default: today)."""
        await self.flush()
        assert self.db is not None
        first, last = self._window(community, since, until)
        span = (community, first, last)
        sums: dict[int, list[int]] = {}
        for day_ms, messages, active in await self.db.fetch(
            f"SELECT day_ms, SUM(messages), SUM({_ACTIVE}) FROM hearth_activity"
            " WHERE community = ? AND day_ms >= ? AND day_ms <= ? GROUP BY day_ms", span
        ):
            sums.setdefault(day_ms, [0, 0, 0, 0])[0:2] = [int(messages), int(active)]
        for day_ms, count in await self.db.fetch(
            "SELECT day_ms, SUM(replies + mentions + reactions) FROM hearth_interactions"
            " WHERE community = ? AND day_ms >= ? AND day_ms <= ? GROUP BY day_ms", span
        ):
            sums.setdefault(day_ms, [0, 0, 0, 0])[2] = int(count)
        for day_ms, messages, active, interactions, bot in await self.db.fetch(
            "SELECT day_ms, messages, active_members, interactions, bot_messages"
            " FROM hearth_community_days WHERE community = ? AND day_ms >= ? AND day_ms <= ?", span
        ):
            row = sums.setdefault(day_ms, [0, 0, 0, 0])
            for i, n in enumerate((messages, active, interactions, bot)):
                row[i] += int(n)
        by_date = {self._date(community, d): v for d, v in sums.items()}
        zone = self._zone_of(community)
        moves = self.directory.joins_and_leaves(community, lambda when: when.astimezone(zone).date())
        out = []
        day, end = self._date(community, first), self._date(community, last)
        while day <= end:
            n = by_date.get(day, [0, 0, 0, 0])
            joins, leaves = moves.get(day, (0, 0))
            out.append(DayTotals(day=day, messages=n[0], active_members=n[1], interactions=n[2],
                                 bot_messages=n[3], joins=joins, leaves=leaves))
            day += timedelta(days=1)
        return out

    # ------------------------------------------------------------------ forgetting
    async def forget(self, account: Account) -> int:
        """Erase ``account``'s activity (rows and what is pending); return the rows erased."""
        platform, member_id = account
        self._days = {k: v for k, v in self._days.items() if (k[2], k[3]) != account}
        self._pairs = {k: v for k, v in self._pairs.items()
                       if k[2] != platform or member_id not in (k[3], k[4])}
        self._authors.discard_values(lambda author: author.account == account)
        assert self.db is not None
        async with self.db.transaction():
            erased = await self.db.execute(
                "DELETE FROM hearth_activity WHERE platform = ? AND member_id = ?", account)
            erased += await self.db.execute(
                "DELETE FROM hearth_interactions WHERE platform = ? AND (source_id = ? OR target_id = ?)",
                (platform, member_id, member_id))
        return erased
