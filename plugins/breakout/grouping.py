"""Breakout grouping: small groups of people who share weak ties (pure: no I/O, no clock).

:func:`plan` splits the people who answered the questionnaire into groups of
about ``group_size`` that share as many answers as possible, a rare shared
answer weighing more than a common one, under hard and soft constraints:

* sizes (hard): :func:`group_sizes`, every group within one of ``group_size``,
  or, where the numbers make that impossible, one odd-sized group;
* classes (hard): with ``seat_leader`` the leaders are spread one per group
  while they last (evenly beyond that), and with ``mix_newcomers`` so are the
  newcomers, so each group has established members where there are enough;
* repeats (first objective): no two people who shared a group in ``history``
  (the last rounds) together again; where that is impossible, as few such
  pairs as possible, reported in :attr:`Plan.repeats`;
* ties (second objective): the sum over pairs in a group of the weights of
  the answers they share, an answer held by ``c`` of ``n`` people weighing
  ``log(n / c)`` (inverse document frequency).

The method (docs/plugins/breakout.md explains it with figures):

1. **Seats.** The sizes are fixed first, then each group's seats per class
   (leaders, newcomers, the others), water-filling so classes spread evenly.
2. **Greedy construction.** People are ordered by their answers, rarest
   first, so those with the same rare answer stand together; each group takes
   its first person from the front of its class and fills every further seat
   with the best of the next :data:`WINDOW` people of that class: fewest
   repeats with the group so far, then the most weight shared with it.
3. **Local search.** For each person, swaps with people of the same class in
   other groups (which keep sizes and classes as they are) are scored
   incrementally: each group keeps the count of every answer in it, so the
   weight a person shares with a group is one short sum over the person's own
   answers, and a swap's change is four such sums. Candidates are drawn from
   the people who share the person's rarest answers and a few at random (all
   of the class when it is small); the best swap that removes a repeat, or
   keeps repeats and gains weight, is made. Passes repeat over the people whose
   groups changed until none improves or the effort is spent; when repeats
   remain, a few random kicks and another descent are tried (the best plan
   is kept).

:class:`Quality` compares the result with a random grouping of the same
people (the exact expectation: every pair is equally likely to meet) and with
a cheap upper bound.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import mul
from typing import Any, TypeVar

#: how many people of a class the greedy construction looks ahead to fill a seat
WINDOW = 12
#: local-search candidates per person: from the rarest shared answers, and at random
FROM_INDEX, AT_RANDOM = 8, 3
#: a class this small is searched in full
SMALL = 64
#: rounds of kicks and descents tried while repeats remain
KICKS = 20

LEADER, NEWCOMER, OTHER = 0, 1, 2

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Person:
    """Someone taking part in a round: an id and their answers (``"question=choice"`` tokens)."""

    id: str
    answers: frozenset[str]
    leader: bool = False
    newcomer: bool = False


@dataclass(frozen=True, slots=True)
class Quality:
    """Mean shared answers per pair within groups, against a random grouping and an upper bound."""

    pairs: int
    mean_ties: float
    #: the expected mean for a random grouping of the same people into the same sizes
    random_ties: float
    #: no grouping into these sizes can have a higher mean (a cheap bound, not always reached)
    upper_bound: float

    @property
    def ratio(self) -> float:
        """``mean_ties`` over ``random_ties`` (1.0 when random has no ties at all)."""
        return self.mean_ties / self.random_ties if self.random_ties else 1.0


@dataclass(frozen=True, slots=True)
class Plan:
    """The groups of one round and how good they are."""

    groups: tuple[tuple[str, ...], ...]
    #: pairs put together again within the history (only where unavoidable)
    repeats: tuple[tuple[str, str], ...]
    quality: Quality
    #: per group: the answers at least two of its members share, most shared (then rarest) first
    shared: tuple[tuple[tuple[str, int], ...], ...]
    #: people left over by ``max_groups`` (first in line next round), in the order given
    waiting: tuple[str, ...] = ()
    #: the objective: the weight of the answers shared by the pairs in groups
    score: float = 0.0


def smallest_round(group_size: int) -> int:
    """The fewest people a round needs: one group within one of ``group_size`` (at least 2)."""
    return max(2, group_size - 1)


def group_sizes(n: int, group_size: int) -> list[int]:
    """Sizes for ``n`` people: each within one of ``group_size`` where possible (largest first),
    else all of ``group_size`` but one odd group; empty below :func:`smallest_round`."""
    if group_size < 2:
        raise ValueError("group_size is at least 2")
    if n < smallest_round(group_size):
        return []
    low, high = -(-n // (group_size + 1)), n // smallest_round(group_size)
    if low <= high:
        count = min(max(round(n / group_size), low), high)
        base, extra = divmod(n, count)
        return [base + 1] * extra + [base] * (count - extra)
    whole, rest = divmod(n, group_size)
    if whole == 0:
        return [n]
    # One odd group: the remainder on its own, or merged into one group, whichever is nearer.
    if rest >= 2 and group_size - rest <= rest:
        return [group_size] * whole + [rest]
    return [group_size + rest] + [group_size] * (whole - 1)


def _seats(sizes: Sequence[int], counts: Sequence[int]) -> list[list[int]]:
    """Seats per group per class: each class spread as evenly as the groups' room allows."""
    room = list(sizes)
    seats = [[0, 0, 0] for _ in sizes]
    for cls in (LEADER, NEWCOMER):
        heap = [(0, -room[g], g) for g in range(len(sizes)) if room[g] > 0]
        heapq.heapify(heap)
        for _ in range(counts[cls]):
            taken, _r, g = heapq.heappop(heap)
            seats[g][cls] += 1
            room[g] -= 1
            if room[g] > 0:
                heapq.heappush(heap, (taken + 1, -room[g], g))
    for g in range(len(sizes)):
        seats[g][OTHER] = room[g]
    return seats


class _Search:
    """The mutable state of one optimisation: people as integers, groups as lists."""

    def __init__(self, people: Sequence[Person], classes: list[int], history: Iterable[Iterable[str]],
                 rng: random.Random) -> None:
        self.rng = rng
        n = len(people)
        counts = Counter(a for p in people for a in p.answers)
        vocabulary = sorted(counts, key=lambda a: (counts[a], a))  # rarest first
        self.vocabulary = vocabulary
        self.token = {a: f for f, a in enumerate(vocabulary)}
        self.weight = [math.log(n / counts[a]) for a in vocabulary]
        self.feats = [tuple(sorted(self.token[a] for a in p.answers)) for p in people]
        self.featset = [frozenset(f) for f in self.feats]
        self.wfeats = [[self.weight[f] for f in fs] for fs in self.feats]
        self.selfw = [sum(w) for w in self.wfeats]
        self.cls = classes
        index = {p.id: i for i, p in enumerate(people)}
        self.forbid: list[set[int]] = [set() for _ in people]
        for past in history:
            together = {index[m] for m in past if m in index}
            for i in together:
                self.forbid[i] |= together
        for i, forbid in enumerate(self.forbid):
            forbid.discard(i)
        self.by_class: list[list[int]] = [[], [], []]
        for i, c in enumerate(classes):
            self.by_class[c].append(i)
        # per class, per answer: who has it (candidates for swaps)
        self.index: list[dict[int, list[int]]] = [defaultdict(list) for _ in range(3)]
        for i, fs in enumerate(self.feats):
            for f in fs:
                self.index[classes[i]][f].append(i)
        self.group_of = [-1] * n
        self.groups: list[list[int]] = []
        self.count: list[list[int]] = []
        #: the weight each person shares with the rest of their group
        self.own: list[float] = []

    # -- state ---------------------------------------------------------------
    def load(self, groups: list[list[int]]) -> None:
        self.groups = [list(g) for g in groups]
        self.count = [[0] * len(self.weight) for _ in groups]
        for g, members in enumerate(self.groups):
            for i in members:
                self.group_of[i] = g
                for f in self.feats[i]:
                    self.count[g][f] += 1
        self.own = [self.affinity(i, self.group_of[i]) - self.selfw[i] for i in range(len(self.feats))]

    def affinity(self, i: int, g: int) -> float:
        """The weight ``i`` shares with group ``g`` (counting ``i`` itself when inside)."""
        return sum(map(mul, self.wfeats[i], map(self.count[g].__getitem__, self.feats[i])))

    def clashes(self, i: int, g: int) -> int:
        forbid = self.forbid[i]
        return len(forbid.intersection(self.groups[g])) if forbid else 0

    def swap(self, i: int, j: int) -> None:
        a, b = self.group_of[i], self.group_of[j]
        ga, gb = self.groups[a], self.groups[b]
        ga[ga.index(i)] = j
        gb[gb.index(j)] = i
        self.group_of[i], self.group_of[j] = b, a
        ca, cb = self.count[a], self.count[b]
        for f in self.feats[i]:
            ca[f] -= 1
            cb[f] += 1
        for f in self.feats[j]:
            cb[f] -= 1
            ca[f] += 1
        for g, members in ((a, ga), (b, gb)):
            for m in members:
                self.own[m] = self.affinity(m, g) - self.selfw[m]

    def repeats(self) -> int:
        return sum(self.clashes(i, self.group_of[i]) for i in range(len(self.feats))) // 2

    def score(self) -> float:
        return sum(self.own) / 2

    # -- construction --------------------------------------------------------
    def construct(self, seats: list[list[int]]) -> list[list[int]]:
        order = sorted(range(len(self.feats)), key=lambda i: (self.feats[i], self.rng.random()))
        pools = [[i for i in order if self.cls[i] == c] for c in range(3)]
        feats, wfeats, forbid = self.feats, self.wfeats, self.forbid
        groups: list[list[int]] = []
        width = len(self.weight)
        for need in seats:
            members: list[int] = []
            count = [0] * width
            for cls in (LEADER, NEWCOMER, OTHER):
                pool = pools[cls]
                for _ in range(need[cls]):
                    at, best_clash, best_weight = 0, 0, -1.0
                    if members:
                        for k, i in enumerate(pool[:WINDOW]):
                            clash = len(forbid[i].intersection(members)) if forbid[i] else 0
                            weight = sum(map(mul, wfeats[i], map(count.__getitem__, feats[i])))
                            if k == 0 or clash < best_clash or (clash == best_clash and weight > best_weight):
                                at, best_clash, best_weight = k, clash, weight
                    pick = pool.pop(at)
                    members.append(pick)
                    for f in feats[pick]:
                        count[f] += 1
            groups.append(members)
        return groups

    # -- local search --------------------------------------------------------
    def candidates(self, i: int) -> list[int]:
        """People of ``i``'s class to try swapping with: sharing ``i``'s rarest answers, and a
        few at random (the whole class when it is small)."""
        cls = self.by_class[self.cls[i]]
        if len(cls) <= SMALL:
            return cls
        draw, index = self.rng.random, self.index[self.cls[i]]
        found: list[int] = []
        for f in self.feats[i][:3]:  # the rarest answers first
            holders = index[f]
            if len(holders) > 1:
                found += [holders[int(draw() * len(holders))] for _ in range(FROM_INDEX // 2)]
            if len(found) >= FROM_INDEX:
                break
        found += [cls[int(draw() * len(cls))] for _ in range(AT_RANDOM)]
        return found

    def descend(self, budget: int) -> int:
        """Best-improving swaps until none improves or ``budget`` evaluations are spent.

        The scoring of :meth:`gain` is inlined here: this loop is the hot path.
        """
        group_of, groups, count, own = self.group_of, self.groups, self.count, self.own
        feats, wfeats, featset, forbid = self.feats, self.wfeats, self.featset, self.forbid
        weight_of = self.weight.__getitem__
        todo = list(range(len(feats)))
        spent = 0
        while todo and spent < budget:
            # People who repeat a pair first, then those who share least with their group:
            # where a swap is most likely to help when the budget runs out before the pass ends.
            selfw = self.selfw
            todo.sort(key=lambda i: (not (forbid[i] and not forbid[i].isdisjoint(groups[group_of[i]])),
                                     own[i] / (selfw[i] or 1.0)))
            touched: set[int] = set()
            for i in todo:
                a = group_of[i]
                fi, wi, si, forbid_i, own_i = feats[i], wfeats[i], featset[i], forbid[i], own[i]
                count_a, group_a = count[a], groups[a]
                clash_ia = len(forbid_i.intersection(group_a)) if forbid_i else 0
                best_j, best_r, best_w = -1, 0, 1e-9
                for j in self.candidates(i):
                    b = group_of[j]
                    if b == a:
                        continue
                    spent += 1
                    weight = (sum(map(mul, wi, map(count[b].__getitem__, fi)))
                              + sum(map(mul, wfeats[j], map(count_a.__getitem__, feats[j])))
                              - 2 * sum(map(weight_of, si & featset[j])) - own_i - own[j])
                    forbid_j = forbid[j]
                    repeats = 0
                    if forbid_i or forbid_j:
                        # Most people share no history with a group: isdisjoint builds no set.
                        group_b = groups[b]
                        repeats = (
                            (0 if forbid_i.isdisjoint(group_b) else len(forbid_i.intersection(group_b)))
                            + (0 if forbid_j.isdisjoint(group_a) else len(forbid_j.intersection(group_a)))
                            - (0 if forbid_j.isdisjoint(group_b) else len(forbid_j.intersection(group_b)))
                            - (2 if j in forbid_i else 0) - clash_ia)
                    if repeats < best_r or (repeats == best_r and weight > best_w):
                        best_j, best_r, best_w = j, repeats, weight
                if best_j >= 0:
                    b = group_of[best_j]
                    self.swap(i, best_j)
                    touched.update(groups[a])
                    touched.update(groups[b])
                if spent >= budget:
                    break
            todo = list(touched)
        return spent

    def kick(self) -> None:
        """Swap each person who repeats a pair with a random person of their class elsewhere."""
        for i in range(len(self.feats)):
            if self.clashes(i, self.group_of[i]):
                cls = self.by_class[self.cls[i]]
                j = cls[self.rng.randrange(len(cls))]
                if self.group_of[j] != self.group_of[i]:
                    self.swap(i, j)


def plan(
    people: Sequence[Person],
    *,
    group_size: int,
    history: Iterable[Iterable[str]] = (),
    seat_leader: bool = True,
    mix_newcomers: bool = True,
    max_groups: int | None = None,
    seed: int = 0,
    effort: int = 4,
) -> Plan:
    """Group ``people`` (in priority order: those first in line come first).

    ``history``: the groups of the rounds to avoid repeating (ids not taking
    part are ignored). ``max_groups``: at most this many groups of
    ``group_size``; the rest wait (:attr:`Plan.waiting`). ``effort``: swap
    evaluations per person the local search may spend. Deterministic for a
    given ``seed``.
    """
    people = list({p.id: p for p in people}.values())
    waiting: tuple[str, ...] = ()
    if max_groups is not None and len(people) > max_groups * group_size:
        waiting = tuple(p.id for p in people[max_groups * group_size:])
        people = people[:max_groups * group_size]
    sizes = group_sizes(len(people), group_size)
    if not sizes:
        return Plan(groups=(), repeats=(), quality=Quality(0, 0.0, 0.0, 0.0), shared=(),
                    waiting=waiting + tuple(p.id for p in people))
    history = [tuple(g) for g in history]
    classes = [LEADER if seat_leader and p.leader else NEWCOMER if mix_newcomers and p.newcomer
               else OTHER for p in people]
    rng = random.Random(seed)
    search = _Search(people, classes, history, rng)
    seats = _seats(sizes, [classes.count(c) for c in range(3)])
    search.load(search.construct(seats))
    budget = effort * len(people)
    spent = search.descend(budget)
    best = ([list(g) for g in search.groups], search.repeats(), search.score())
    tries = 0
    while best[1] and spent < 2 * budget and tries < KICKS:
        tries += 1
        search.load(best[0])
        search.kick()
        spent += search.descend(budget // 4 + 1)
        found = (search.repeats(), search.score())
        if (found[0], -found[1]) < (best[1], -best[2]):
            best = ([list(g) for g in search.groups], *found)
    if tries:
        search.load(best[0])

    ids = [p.id for p in people]
    groups = tuple(tuple(ids[i] for i in sorted(g)) for g in search.groups)
    repeats = tuple(sorted(
        (ids[i], ids[j]) if ids[i] < ids[j] else (ids[j], ids[i])
        for g in search.groups for x, i in enumerate(g) for j in g[x + 1:] if j in search.forbid[i]))
    # Scored on the answers as integers (rarest first), which hash faster than the tokens.
    answers = {ids[i]: search.featset[i] for i in range(len(ids))}
    everyone = Counter(f for fs in search.feats for f in fs)
    vocabulary = search.vocabulary
    return Plan(groups=groups, repeats=repeats, quality=quality(groups, answers),
                shared=tuple(tuple((vocabulary[f], c) for f, c in shared(g, answers, everyone))
                             for g in groups),
                waiting=waiting, score=best[2])


def shared(group: Sequence[str], answers: Mapping[str, frozenset[T]],
           everyone: Counter[T]) -> tuple[tuple[T, int], ...]:
    """The answers at least two members of ``group`` share, with how many: most shared first,
    then the rarest (``everyone``: how many people hold each answer)."""
    here = Counter(a for m in group for a in answers[m])
    common = [(a, c) for a, c in here.items() if c >= 2]
    return tuple(sorted(common, key=lambda ac: (-ac[1], everyone[ac[0]], ac[0])))


def quality(groups: Sequence[Sequence[str]], answers: Mapping[str, frozenset[Any]]) -> Quality:
    """How many answers the pairs in ``groups`` share on average, against a random grouping of
    the same people into the same sizes and against an upper bound."""
    people = [m for g in groups for m in g]
    n = len(people)
    pairs = sum(len(g) * (len(g) - 1) // 2 for g in groups)
    if pairs == 0:
        return Quality(0, 0.0, 0.0, 0.0)
    ties = sum(len(answers[a] & answers[b]) for g in groups for x, a in enumerate(g) for b in g[x + 1:])
    counts = Counter(a for m in people for a in answers[m])
    # A random grouping puts any pair together with the same chance: the mean over all pairs.
    random_ties = sum(c * (c - 1) / 2 for c in counts.values()) / (n * (n - 1) / 2)
    # Each member shares an answer held by c people with at most min(c - 1, partners) partners.
    size = {m: len(g) for g in groups for m in g}
    bound = sum(min(counts[a] - 1, size[m] - 1) for m in people for a in answers[m]) / 2
    return Quality(pairs=pairs, mean_ties=ties / pairs, random_ties=random_ties,
                   upper_bound=bound / pairs)
