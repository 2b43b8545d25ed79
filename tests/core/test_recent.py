"""The bounded memory behind de-duplication and reply attribution."""

from __future__ import annotations

from hearth.recent import Recent


def test_the_newest_keys_are_remembered_and_old_ones_forgotten() -> None:
    recent: Recent[int, str] = Recent(3)
    for n in range(10):
        recent[n] = f"v{n}"
        # at least the newest three, at most twice as many
        assert all(recent.get(k) == f"v{k}" and k in recent for k in range(max(0, n - 2), n + 1))
        assert 3 <= len(recent) <= 6 or n < 3
    assert 0 not in recent and recent.get(0) is None


def test_a_falsy_value_is_still_found_in_the_older_half() -> None:
    recent: Recent[str, str] = Recent(2)
    recent["bot"] = ""  # the bot's own messages have the empty author
    recent["x"] = "alice"
    assert recent.get("bot") == "" and "bot" in recent


def test_values_are_discarded_in_both_halves() -> None:
    recent: Recent[int, str] = Recent(3)
    for n, who in enumerate(["alice", "bob", "alice", "carl"]):
        recent[n] = who
    recent.discard_values(lambda who: who == "alice")
    assert [recent.get(n) for n in range(4)] == [None, "bob", None, "carl"]


def test_adding_tells_whether_the_key_was_new() -> None:
    recent: Recent[int, bool] = Recent(2)
    assert recent.add(1, True) and recent.add(2, True)
    assert not recent.add(1, False) and recent.get(1) is True  # older half: still known
    assert recent.add(3, True) and recent.add(4, True)  # 1 and 2 forgotten
    assert recent.add(1, True)
