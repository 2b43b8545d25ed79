"""Which members to propose as leaders: pure selection, no I/O.

The plugin aims for ``share`` of the members as leaders, never fewer than
``min`` nor more than ``max``; a review proposes the best-scoring members
(see :mod:`hearth.plugins.leaders.influence`) to fill the gap, leaving out
current leaders, admins and the owner. Candidates other plugins offer
(the ``leader_candidates`` hook) are always listed, first, within that number.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from hearth.plugins.leaders.influence import Score, top

P = TypeVar("P", bound=Hashable)


def wanted(members: int, share: float, low: int, high: int) -> int:
    """How many leaders a community of ``members`` should have: ``share`` of them, rounded
    up, within ``low``..``high`` (and never more than there are members)."""
    return min(max(math.ceil(members * share), low), high, members)


@dataclass(frozen=True, slots=True)
class Proposal(Generic[P]):
    """One person proposed, and why."""

    person: P
    #: the influence score (None for a candidate offered by another plugin without one)
    score: float | None = None
    #: distinct people who interacted with them over the window
    distinct: int = 0
    #: another plugin's reason, for a candidate it offered
    reasons: tuple[str, ...] = field(default=())


def propose(
    scores: Mapping[P, Score[P]],
    *,
    members: int,
    leaders: int,
    share: float,
    low: int,
    high: int,
    waiting: int = 0,
    crowded: bool = False,
    exclude: Iterable[P] = (),
    candidates: Mapping[P, str] | None = None,
) -> list[Proposal[P]]:
    """The proposals of one review: up to ``wanted(...) - leaders - waiting`` people.

    ``waiting``: offers still open (proposed or approved, not yet answered);
    ``crowded``: a cohort is over ``span``, so at least one more leader is
    proposed (still within ``high``). ``exclude``: current leaders, admins,
    the owner, bots and anyone already asked; ``candidates``: person ->
    reason, from other plugins, listed first (best score first) as long as
    the number allows.
    """
    aim = wanted(members, share, low, high)
    if crowded:
        aim = max(aim, min(leaders + waiting + 1, high))
    room = max(aim - leaders - waiting, 0)
    skip = set(exclude)
    offered = {p: r for p, r in (candidates or {}).items() if p not in skip}
    chosen: list[Proposal[P]] = []
    by_score = sorted(offered, key=lambda p: -(scores[p].score if p in scores else 0.0))
    for person in by_score[:room]:
        s = scores.get(person)
        chosen.append(Proposal(person, s.score if s else None, s.distinct if s else 0, (offered[person],)))
    taken = skip | {p.person for p in chosen}
    for s in top(scores, room - len(chosen), exclude=taken):
        chosen.append(Proposal(s.person, s.score, s.distinct))
    return chosen
