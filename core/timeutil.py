"""Durations, times of day and weekdays as written in config and commands."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_DURATION_RE = re.compile(r"(\d+)\s*(w|d|h|m|s)", re.IGNORECASE)
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
DURATION_HINT = "a duration such as 90s, 10m, 2h, 1h30m or 7d"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DURATION = timedelta(days=366)
"""The longest duration accepted where no other bound is given (config keys, commands)."""


class DurationTooLong(ValueError):
    """A well-formed duration over the bound it is checked against."""


def parse_duration(text: str, *, longest: timedelta = MAX_DURATION) -> timedelta:
    """Parse ``"1h30m"`` into a timedelta of at most ``longest``.

    ``ValueError`` says what is expected (:class:`DurationTooLong` when it is
    well formed but too long).
    """
    s = text.strip().replace(" ", "").lower()
    if not s:
        raise ValueError(f"expected {DURATION_HINT}")
    pos, seconds = 0, 0
    limit = longest.total_seconds()
    for m in _DURATION_RE.finditer(s):
        if m.start() != pos:
            break
        digits = m.group(1).lstrip("0")
        # More digits than any bound could need: too long, without converting them.
        seconds += int(digits[:15] or 0) * _UNITS[m.group(2).lower()] if len(digits) <= 15 else 10**16
        pos = m.end()
    if pos != len(s):
        raise ValueError(f"{text!r} is not {DURATION_HINT}")
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    if seconds > limit:
        shown = text.strip() if len(text.strip()) <= 24 else text.strip()[:20] + "…"
        raise DurationTooLong(f"{shown!r} is longer than {format_duration(longest)}, the most allowed here")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """``timedelta(hours=1, minutes=30)`` -> ``"1h30m"`` (whole seconds)."""
    total = int(delta.total_seconds())
    if total <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, total = divmod(total, size)
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts)


def parse_time_of_day(text: str) -> time:
    """Parse ``"20:00"``; ``ValueError`` says what is expected."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59:
        raise ValueError(f"{text!r} is not a time of day like 20:00")
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour == 24:
        if minute:
            raise ValueError(f"{text!r} is not a time of day like 20:00")
        return time(23, 59, 59, 999999)
    return time(hour, minute)


def parse_day(text: str) -> int:
    """``"fri"`` -> 4 (Monday is 0)."""
    key = text.strip().lower()[:3]
    if key not in DAYS or not text.strip().lower().startswith(key):
        raise ValueError(f"{text!r} is not a day (expected one of: {', '.join(DAYS)})")
    return DAYS.index(key)


def get_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ``ValueError`` suggests close names."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        import difflib

        close = difflib.get_close_matches(name, sorted(available_timezones()), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ValueError(
            f"unknown timezone {name!r} (expected an IANA name such as Europe/Paris{hint})"
        ) from exc


def wall_time(zone: ZoneInfo, day: date, at: time) -> datetime:
    """The instant of wall-clock ``at`` on local ``day`` in ``zone``.

    Handles DST: a wall time skipped by a spring-forward gap resolves to the
    instant just after the gap; an ambiguous one to its first occurrence.
    """
    # fold=0 reads a skipped wall time with the offset in force before the gap, which
    # lands just after it (02:30 -> 03:30); an ambiguous one is its first occurrence.
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)


def add_calendar(start: datetime, delta: timedelta, zone: ZoneInfo) -> datetime:
    """``start + delta``, stepping whole days on the local calendar.

    ``every: 7d`` keeps the same local wall-clock time across a DST change;
    sub-day intervals are absolute.
    """
    if delta.total_seconds() % 86400 == 0:
        local = start.astimezone(zone)
        naive = local.replace(tzinfo=None) + delta
        return wall_time(zone, naive.date(), naive.time())
    return start + delta


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ms(when: datetime) -> int:
    """``when`` as stored: integer milliseconds since the epoch (UTC)."""
    return (when - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    """A stored time (epoch milliseconds) as an aware UTC datetime."""
    return _EPOCH + timedelta(milliseconds=ms)
