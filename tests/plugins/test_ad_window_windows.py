"""Window arithmetic: edges, midnight, DST (pure functions, no bot)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hearth.plugins.ad_window.config import Window
from hearth.plugins.ad_window.windows import current, next_closing, next_opening, occurrence_on

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY = [Window(days=[4], start=time(20), end=time(22))]
LATE = [Window(days=[4], start=time(22), end=time(2))]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_first_and_last_minute_are_inside_the_edges_outside():
    assert current(FRIDAY, SHANGHAI, at("2026-11-20T19:59:59+08:00")) is None
    first = current(FRIDAY, SHANGHAI, at("2026-11-20T20:00:00+08:00"))
    assert first is not None and first.opens == at("2026-11-20T20:00:00+08:00")
    assert current(FRIDAY, SHANGHAI, at("2026-11-20T21:59:59+08:00")) == first
    assert current(FRIDAY, SHANGHAI, at("2026-11-20T22:00:00+08:00")) is None
    assert current(FRIDAY, SHANGHAI, at("2026-11-21T21:00:00+08:00")) is None  # Saturday


def test_next_opening_is_strictly_after_now():
    assert next_opening(FRIDAY, SHANGHAI, at("2026-11-20T19:00:00+08:00")).opens == at(
        "2026-11-20T20:00:00+08:00")
    assert next_opening(FRIDAY, SHANGHAI, at("2026-11-20T20:00:00+08:00")).opens == at(
        "2026-11-27T20:00:00+08:00")
    assert next_closing(FRIDAY, SHANGHAI, at("2026-11-20T20:30:00+08:00")).closes == at(
        "2026-11-20T22:00:00+08:00")
    assert next_closing(FRIDAY, SHANGHAI, at("2026-11-20T22:00:00+08:00")).closes == at(
        "2026-11-27T22:00:00+08:00")


def test_window_crossing_midnight_belongs_to_the_day_it_opens():
    inside = current(LATE, SHANGHAI, at("2026-11-21T01:30:00+08:00"))  # Saturday morning
    assert inside is not None
    assert inside.opens == at("2026-11-20T22:00:00+08:00")
    assert inside.closes == at("2026-11-21T02:00:00+08:00")
    assert current(LATE, SHANGHAI, at("2026-11-21T01:59:00+08:00")) == inside
    assert current(LATE, SHANGHAI, at("2026-11-21T02:00:00+08:00")) is None
    assert current(LATE, SHANGHAI, at("2026-11-20T21:59:00+08:00")) is None
    # Friday 01:00 belongs to Thursday, which is not a window day.
    assert current(LATE, SHANGHAI, at("2026-11-20T01:00:00+08:00")) is None


def test_weekly_window_keeps_local_hours_across_spring_forward():
    before = at("2026-03-27T20:30:00+01:00")  # Friday, CET
    this = current(FRIDAY, BERLIN, before)
    assert this is not None and this.opens == at("2026-03-27T20:00:00+01:00")
    following = next_opening(FRIDAY, BERLIN, before)
    assert following.opens == at("2026-04-03T20:00:00+02:00")  # CEST: still 20:00 local
    assert following.opens - this.opens == timedelta(days=7, hours=-1)
    assert current(FRIDAY, BERLIN, at("2026-04-03T19:30:00+02:00")) is None
    assert current(FRIDAY, BERLIN, at("2026-04-03T20:00:00+02:00")) == following


def test_weekly_window_keeps_local_hours_across_fall_back():
    this = next_opening(FRIDAY, BERLIN, at("2026-10-23T12:00:00+02:00"))
    following = next_opening(FRIDAY, BERLIN, this.opens)
    assert following.opens == at("2026-10-30T20:00:00+01:00")
    assert following.opens - this.opens == timedelta(days=7, hours=1)


def test_window_over_the_dst_night_lasts_its_real_length():
    night = [Window(days=[5], start=time(23), end=time(4))]  # Saturday 23:00 -> Sunday 04:00
    spring = occurrence_on(night[0], BERLIN, at("2026-03-28T12:00:00+01:00").date())
    assert spring.closes - spring.opens == timedelta(hours=4)  # one hour is skipped
    autumn = occurrence_on(night[0], BERLIN, at("2026-10-24T12:00:00+02:00").date())
    assert autumn.closes - autumn.opens == timedelta(hours=6)  # one hour is lived twice


def test_opening_in_the_spring_gap_opens_after_the_gap():
    gap = [Window(days=[6], start=time(2, 30), end=time(5))]
    sunday = occurrence_on(gap[0], BERLIN, at("2026-03-29T12:00:00+02:00").date())
    assert sunday.opens.astimezone(BERLIN).utcoffset() == timedelta(hours=2)
    assert sunday.opens == at("2026-03-29T03:30:00+02:00")


def test_several_windows_and_days():
    spec = [Window(days=[1, 3], start=time(12), end=time(13)), Window(days=[6], start=time(9), end=time(10))]
    now = at("2026-11-20T19:00:00+08:00")  # Friday
    assert next_opening(spec, SHANGHAI, now).opens == at("2026-11-22T09:00:00+08:00")  # Sunday
    assert next_opening(spec, SHANGHAI, at("2026-11-22T09:30:00+08:00")).opens == at(
        "2026-11-24T12:00:00+08:00")  # Tuesday


def test_no_windows():
    assert current([], SHANGHAI, at("2026-11-20T20:00:00+08:00")) is None
    assert next_opening([], SHANGHAI, at("2026-11-20T20:00:00+08:00")) is None
