"""The Discord adapter's resume position and backlog, on their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hearth.adapters.discord.catchup import Backlog, Progress


def test_position_never_passes_a_message_still_being_handed_over() -> None:
    progress = Progress(guild_id=1, channels={7: 5})
    progress.handing(7, 10)
    progress.handing(7, 11)
    progress.handed(7, 11, queued=True)  # 11 got through first; 10 still waits for the core
    assert progress.position(7) == 9
    snapshot = progress.take()
    assert snapshot is not None and snapshot.channels == {7: 9}
    progress.handed(7, 10, queued=True)
    assert progress.position(7) == 11
    progress.handing(7, 12)
    progress.handed(7, 12, queued=False)  # not taken (stopping): the position stays
    assert progress.position(7) == 11


def test_nothing_is_taken_while_catching_up_and_a_failed_save_is_retried() -> None:
    progress = Progress(guild_id=1, channels={7: 5}, members={1: "ann"})
    progress.begin_session()
    progress.advance(7, 20)  # a live message of the new session
    progress.joined(2, "bob")
    assert progress.take() is None and progress.resume == {7: 5}
    progress.end_catch_up()
    snapshot = progress.take()
    assert snapshot is not None and snapshot.channels == {7: 20}
    assert snapshot.members == {1: "ann", 2: "bob"}
    assert progress.take() is None
    progress.untake(snapshot)  # the save failed
    assert progress.take() == snapshot


def test_backlog_keeps_the_newest_in_order_and_counts_the_rest() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    backlog: Backlog[int] = Backlog(3)
    for n in (4, 0, 5, 2, 1, 3):
        backlog.add(start + timedelta(seconds=n), n)
    assert backlog.oldest_first() == [3, 4, 5]
    assert (backlog.total, backlog.skipped) == (6, 3)
    nothing: Backlog[int] = Backlog(0)
    nothing.add(start, 1)
    assert nothing.oldest_first() == [] and nothing.skipped == 1
