"""Influence scores: who the community turns to, from the interaction graph.

The measure is a weighted PageRank on the graph of *people* (linked accounts
merged), built so that volume alone cannot buy influence:

1. **People, not accounts.** Every edge ``(a, b)`` of the account graph is
   mapped to ``(person(a), person(b))``; accounts that map to no person (the
   bot, other bots) are dropped, and so is every edge from a person to
   themselves (a spammer replying to their own messages, or to their own
   linked account).
2. **Per-pair saturation.** The (already age-decayed) weight ``w`` one person
   directed at another counts as ``w / (w + k)`` (``k`` = :data:`SATURATION`):
   one interaction counts about a third, a handful almost fully, and a
   thousand never more than 1. One pair talking endlessly is one voice.
3. **PageRank.** Each person hands their score to the people they answered,
   mentioned or reacted to, in proportion to the saturated weights; being
   endorsed by people who are themselves endorsed weighs more. Damping
   :data:`DAMPING` (0.5); people who endorse nobody spread their share evenly.
   Scores are scaled so that the average person scores 1.0.

Recency comes from the graph itself (each day's count decays with the
half-life the graph was read with). The result also says from how many
distinct people each person received anything, for the reasons shown to the
owner.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

P = TypeVar("P", bound=Hashable)
A = TypeVar("A", bound=Hashable)

#: the weight at which a pair's interactions count half of their maximum (1)
SATURATION = 2.0
#: the share of a score handed on along edges. Lower than the web's 0.85: who endorses
#: you directly counts most, and a closed pair endorsing only each other (a rank
#: sink, amplified by 1 / (1 - damping)) stays near the average
DAMPING = 0.5
#: iterations stop when no score moves more than this (on the 1.0-mean scale)
TOLERANCE = 1e-6
MAX_ITERATIONS = 100


@dataclass(frozen=True, slots=True)
class Score(Generic[P]):
    """One person's influence."""

    person: P
    #: PageRank scaled so the average person scores 1.0
    score: float
    #: how many distinct people directed anything at this person
    distinct: int
    #: the saturated weight received, summed over those people
    received: float


def influence(
    edges: Mapping[tuple[A, A], float],
    person_of: Callable[[A], P | None],
    people: Iterable[P] = (),
    *,
    saturation: float = SATURATION,
    damping: float = DAMPING,
) -> dict[P, Score[P]]:
    """Every person's :class:`Score` from ``edges`` between accounts (see the module docstring).

    ``person_of`` maps an account to its person, or None to leave it out (the
    bot, other bots, someone no longer a member); it is called once per
    account. ``people`` adds persons with no edges at all (they score the floor).
    """
    import numpy as np  # lazy: only reviews need it, not start-up

    index: dict[P, int] = {}
    for p in people:
        index.setdefault(p, len(index))
    account_index: dict[A, int] = {}

    def number(account: A) -> int:
        person = person_of(account)
        found = -1 if person is None else index.setdefault(person, len(index))
        account_index[account] = found
        return found

    sources: list[int] = []
    targets: list[int] = []
    weights: list[float] = []
    for (a, b), w in edges.items():
        ia = account_index.get(a)
        if ia is None:
            ia = number(a)
        ib = account_index.get(b)
        if ib is None:
            ib = number(b)
        if ia < 0 or ib < 0 or ia == ib or w <= 0:
            continue
        sources.append(ia)
        targets.append(ib)
        weights.append(w)
    n = len(index)
    if n == 0:
        return {}
    # sum per pair of people (linked accounts are one person), then saturate
    pair = np.fromiter(sources, np.int64, len(sources)) * n + np.fromiter(targets, np.int64, len(targets))
    pairs, inverse = np.unique(pair, return_inverse=True)
    total = np.bincount(inverse, weights=np.fromiter(weights, np.float64, len(weights)))
    weight = total / (total + saturation)
    src, dst = pairs // n, pairs % n
    out = np.bincount(src, weights=weight, minlength=n)
    received = np.bincount(dst, weights=weight, minlength=n)
    distinct = np.bincount(dst, minlength=n)
    share = weight / out[src]  # the part of its source's score each edge carries
    dangling = out == 0.0
    rank = np.full(n, 1.0 / n)
    for _ in range(MAX_ITERATIONS):
        base = (1.0 - damping) / n + damping * rank[dangling].sum() / n
        new = base + damping * np.bincount(dst, weights=rank[src] * share, minlength=n)
        delta = float(np.abs(new - rank).max()) * n
        rank = new
        if delta < TOLERANCE:
            break
    scaled = (rank * n).tolist()
    got, counts = received.tolist(), distinct.tolist()
    return {p: Score(p, scaled[i], counts[i], got[i]) for i, p in enumerate(index)}


def top(scores: Mapping[P, Score[P]], count: int, *, exclude: Iterable[P] = ()) -> list[Score[P]]:
    """The ``count`` highest scores, leaving out ``exclude``; ties broken by distinct people.

    Only people someone interacted with qualify (a score from the floor alone is no influence).
    """
    skip = set(exclude)
    ranked = sorted(
        (s for s in scores.values() if s.person not in skip and s.distinct > 0),
        key=lambda s: (-s.score, -s.distinct),
    )
    return ranked[:count]
