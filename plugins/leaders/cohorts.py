"""Cohorts: every member in one leader's cohort, at most ``span`` while leaders suffice.

Pure functions, no I/O. A member keeps their cohort while its leader stays a
leader; a newcomer joins their inviter's leader's cohort where it has room,
otherwise the smallest cohort. With more members than leaders x ``span``,
cohorts grow past ``span`` evenly and :func:`missing_leaders` says how many
leaders the pyramid lacks.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

P = TypeVar("P", bound=Hashable)


def assign(
    members: Iterable[P],
    leaders: Iterable[P],
    span: int,
    previous: Mapping[P, P] | None = None,
    inviters: Mapping[P, P] | None = None,
) -> dict[P, list[P]]:
    """Leader -> the members of their cohort (in ``members``' order).

    ``previous``: member -> leader of the last assignment (kept where that
    leader remains and the cohort has room); ``inviters``: member -> who
    invited them (a newcomer goes to the inviter's leader, or to the inviter
    if they lead). Leaders are not in cohorts.
    """
    heads = list(dict.fromkeys(leaders))
    cohorts: dict[P, list[P]] = {h: [] for h in heads}
    if not heads:
        return cohorts
    lead = set(heads)
    people = [m for m in dict.fromkeys(members) if m not in lead]
    # room per cohort: span while leaders suffice, else an even share of everyone
    limit = max(span, math.ceil(len(people) / len(heads)))
    previous = previous or {}
    inviters = inviters or {}
    placed: dict[P, P] = {}
    waiting: list[P] = []
    for m in people:
        head = previous.get(m)
        if head in cohorts and len(cohorts[head]) < limit:
            cohorts[head].append(m)
            placed[m] = head
        else:
            waiting.append(m)
    for m in waiting:
        inviter = inviters.get(m)
        head = inviter if inviter in lead else placed.get(inviter) if inviter is not None else None
        if head is None or len(cohorts[head]) >= limit:
            head = min(heads, key=lambda h: len(cohorts[h]))
        cohorts[head].append(m)
        placed[m] = head
    return cohorts


def missing_leaders(members: int, leaders: int, span: int) -> int:
    """How many more leaders keep every cohort within ``span`` (members excludes leaders)."""
    return max(math.ceil(members / span) - leaders, 0) if members else 0
