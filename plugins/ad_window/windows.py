"""Weekly ad windows as instants: pure functions over a timezone (DST-correct).

A window ``{days: [fri], from: "22:00", to: "02:00"}`` crossing midnight belongs
to the day it opens on (Friday 22:00 until Saturday 02:00). Wall-clock times are
turned into instants per local date, so a window keeps its local hours across a
DST change; a time skipped by a spring-forward gap is moved forward by the gap
(02:30 becomes 03:30), an ambiguous one is its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from hearth import to_ms


class WindowSpec(Protocol):
    days: Sequence[int]
    start: time
    end: time


@dataclass(frozen=True, slots=True, order=True)
class Occurrence:
    """One opening of a window: from ``opens`` (inclusive) to ``closes`` (exclusive), UTC."""

    opens: datetime
    closes: datetime

    def contains(self, when: datetime) -> bool:
        return self.opens <= when < self.closes

    @property
    def key(self) -> int:
        """The occurrence's identity for quotas: its opening instant in epoch milliseconds."""
        return to_ms(self.opens)


def _wall(zone: ZoneInfo, day: date, at: time) -> datetime:
    # fold=0 is what PEP 495 defines: the first of two ambiguous instants, and for a
    # time inside a gap the offset from before it, which lands after the gap.
    # (hearth.timeutil.wall_time switches to fold=1 in a gap, which lands before it.)
    return datetime.combine(day, at, tzinfo=zone)


def occurrence_on(spec: WindowSpec, zone: ZoneInfo, day: date) -> Occurrence:
    """The occurrence of ``spec`` opening on local ``day`` (whether or not ``day`` is one of its days)."""
    opens = _wall(zone, day, spec.start)
    end_day = day + timedelta(days=1) if spec.end <= spec.start else day
    closes = _wall(zone, end_day, spec.end)
    return Occurrence(opens.astimezone(UTC), closes.astimezone(UTC))


def occurrences(
    specs: Iterable[WindowSpec], zone: ZoneInfo, around: datetime, *, before: int = 2, after: int = 8
) -> Iterator[Occurrence]:
    """The occurrences opening from ``before`` local days before ``around`` to ``after`` days after.

    Sorted by opening instant, duplicates removed.
    """
    today = around.astimezone(zone).date()
    found = []
    for spec in specs:
        days = set(spec.days)
        for offset in range(-before, after + 1):
            day = today + timedelta(days=offset)
            if day.weekday() in days:
                found.append(occurrence_on(spec, zone, day))
    return iter(sorted(set(found)))


def current(specs: Sequence[WindowSpec], zone: ZoneInfo, now: datetime) -> Occurrence | None:
    """The occurrence open at ``now`` (the earliest-opening one when windows overlap), or None."""
    return next((o for o in occurrences(specs, zone, now) if o.contains(now)), None)


def next_opening(specs: Sequence[WindowSpec], zone: ZoneInfo, now: datetime) -> Occurrence | None:
    """The first occurrence opening strictly after ``now``; None when there are no windows."""
    return next((o for o in occurrences(specs, zone, now) if o.opens > now), None)


def next_closing(specs: Sequence[WindowSpec], zone: ZoneInfo, now: datetime) -> Occurrence | None:
    """The occurrence whose closing is the first one strictly after ``now``."""
    ahead = [o for o in occurrences(specs, zone, now) if o.closes > now]
    return min(ahead, key=lambda o: o.closes, default=None)
