"""The breakout grouping (a pure module): sizes, classes, repeats, weights, quality."""

from __future__ import annotations

import random
from collections import Counter
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hearth.plugins.breakout.grouping import Person, group_sizes, plan, quality, smallest_round


def person(pid: str, *answers: str, leader: bool = False, newcomer: bool = False) -> Person:
    return Person(id=pid, answers=frozenset(answers), leader=leader, newcomer=newcomer)


def clusters(count: int = 4, size: int = 4) -> list[Person]:
    """``count`` clusters of ``size`` people who answer alike; the first of each is a leader."""
    made = [person(f"c{c}m{i}", f"career={c}", f"city={c}", "tea=yes", leader=i == 0)
            for c in range(count) for i in range(size)]
    random.Random(3).shuffle(made)
    return made


def pairs(groups: object) -> set[frozenset[str]]:
    return {frozenset(p) for g in groups for p in combinations(g, 2)}  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize(("n", "size", "expected"), [
    (0, 5, []), (3, 5, []), (4, 5, [4]), (6, 5, [6]), (7, 5, [7]), (10, 5, [5, 5]),
    (11, 5, [6, 5]), (13, 5, [5, 4, 4]), (5, 3, [3, 2]), (2, 2, [2]), (3, 2, [3]), (9, 4, [5, 4]),
])
def test_group_sizes(n: int, size: int, expected: list[int]) -> None:
    assert group_sizes(n, size) == expected


@given(st.integers(0, 400), st.integers(2, 12))
def test_sizes_are_within_one_of_the_target_but_for_one_odd_group(n: int, size: int) -> None:
    sizes = group_sizes(n, size)
    if n < smallest_round(size):
        assert sizes == []
        return
    assert sum(sizes) == n
    odd = [s for s in sizes if abs(s - size) > 1]
    assert len(odd) <= 1
    if odd:  # only where no split within one exists
        assert not any(g * (size - 1) <= n <= g * (size + 1) for g in range(1, n + 1))


def test_a_group_size_under_two_is_refused() -> None:
    with pytest.raises(ValueError):
        group_sizes(10, 1)


# --------------------------------------------------------------------------- the done-when cases


def test_four_clusters_of_four_form_exactly_those_groups_each_with_one_leader() -> None:
    people = clusters()
    first = plan(people, group_size=4)
    assert {frozenset(g) for g in first.groups} == {
        frozenset(f"c{c}m{i}" for i in range(4)) for c in range(4)}
    leaders = {p.id for p in people if p.leader}
    assert all(len(leaders & set(g)) == 1 for g in first.groups)
    assert first.repeats == ()
    assert first.quality.mean_ties == 3.0  # career, city and tea

    second = plan(people, group_size=4, history=first.groups)
    assert second.repeats == ()
    assert not pairs(first.groups) & pairs(second.groups)
    assert all(len(leaders & set(g)) == 1 for g in second.groups)


def test_a_rare_shared_answer_weighs_more_than_a_common_one() -> None:
    # p1 and p2 share the rare r; pairing p1-p3 and p2-p4 instead would share more common answers.
    people = [person("p1", "r", "a"), person("p2", "r", "b"), person("p3", "a"), person("p4", "b"),
              *(person(f"q{n}", "a", "b") for n in range(4))]
    result = plan(people, group_size=2)
    assert ("p1", "p2") in result.groups
    assert result.shared[result.groups.index(("p1", "p2"))] == (("r", 2),)


def test_repeats_are_as_few_as_possible_and_reported_when_unavoidable() -> None:
    people = [person(x, "a") for x in "abc"]
    result = plan(people, group_size=3, history=[("a", "b", "c")])
    assert result.groups == (("a", "b", "c"),)
    assert result.repeats == (("a", "b"), ("a", "c"), ("b", "c"))
    # Six people after one round of two triples: two repeats each way is the least possible.
    six = [person(x, "a") for x in "abcdef"]
    result = plan(six, group_size=3, history=[("a", "b", "c"), ("d", "e", "f")])
    assert len(result.repeats) == 2


def test_newcomers_are_spread_so_each_group_has_established_members() -> None:
    people = [person(f"n{i}", "x=1", newcomer=True) for i in range(4)]
    people += [person(f"o{i}", "x=2") for i in range(8)]  # the newcomers all answer alike
    result = plan(people, group_size=3)
    assert all(sum(m.startswith("n") for m in g) == 1 for g in result.groups)
    unmixed = plan(people, group_size=3, mix_newcomers=False)
    assert any(sum(m.startswith("n") for m in g) >= 2 for g in unmixed.groups)


def test_max_groups_leaves_the_last_in_line_waiting() -> None:
    people = [person(f"p{i:02}", "a") for i in range(23)]
    result = plan(people, group_size=5, max_groups=3)
    assert len(result.groups) == 3 and all(len(g) == 5 for g in result.groups)
    assert result.waiting == tuple(f"p{i:02}" for i in range(15, 23))


def test_too_few_people_form_no_group() -> None:
    result = plan([person("a", "x"), person("b", "x"), person("c", "x")], group_size=5)
    assert result.groups == () and result.waiting == ("a", "b", "c")


def test_quality_against_random_and_the_bound() -> None:
    answers = {"a": frozenset({"x", "y"}), "b": frozenset({"x", "y"}), "c": frozenset({"z"}),
               "d": frozenset({"z"})}
    q = quality([("a", "b"), ("c", "d")], answers)
    assert (q.pairs, q.mean_ties, q.upper_bound) == (2, 1.5, 1.5)
    assert q.random_ties == pytest.approx(3 / 6)  # x, y, z are each shared by one pair of six
    assert q.ratio == pytest.approx(3.0)


# --------------------------------------------------------------------------- properties


def crowd(draw: st.DrawFn) -> tuple[list[Person], int]:
    n = draw(st.integers(0, 70))
    size = draw(st.integers(2, 6))
    made = []
    for i in range(n):
        answers = draw(st.frozensets(st.sampled_from([f"q{q}={c}" for q in range(3) for c in range(4)]),
                                     max_size=5))
        made.append(Person(id=f"m{i}", answers=answers, leader=draw(st.booleans()) and i % 3 == 0,
                           newcomer=i % 5 == 1))
    return made, size


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_every_plan_keeps_its_constraints(data: st.DataObject) -> None:
    people, size = crowd(data.draw)
    rounds = data.draw(st.integers(0, 2))
    history: list[tuple[str, ...]] = []
    for n in range(rounds + 1):
        result = plan(people, group_size=size, history=history, seed=n)
        placed = [m for g in result.groups for m in g]
        assert len(placed) == len(set(placed))
        assert set(placed) | set(result.waiting) == {p.id for p in people}
        assert sorted(len(g) for g in result.groups) == sorted(group_sizes(len(placed), size))
        for flag in ("leader", "newcomer"):  # a leader who is new is seated as a leader
            marked = {p.id for p in people if getattr(p, flag) and (flag == "leader" or not p.leader)}
            per_group = [len(marked & set(g)) for g in result.groups]
            if per_group:
                assert max(per_group) - min(per_group) <= 1
        seen = pairs(history)
        assert set(map(frozenset, result.repeats)) == pairs(result.groups) & seen
        q = result.quality
        assert 0 <= q.mean_ties <= q.upper_bound + 1e-9
        history = [*history, *result.groups]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**16), st.integers(2, 4), st.integers(4, 8))
def test_no_repeat_where_the_numbers_allow_it(seed: int, size: int, groups: int) -> None:
    rng = random.Random(seed)
    people = [Person(id=f"m{i}", answers=frozenset({f"a={rng.randrange(3)}", f"b={rng.randrange(5)}"}))
              for i in range(size * max(groups, 2 * size))]
    first = plan(people, group_size=size, seed=seed)
    second = plan(people, group_size=size, history=first.groups, seed=seed + 1)
    assert second.repeats == ()


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**16))
def test_the_search_never_ends_worse_than_the_construction(seed: int) -> None:
    rng = random.Random(seed)
    people = [Person(id=f"m{i}", answers=frozenset(f"q{q}={int(rng.paretovariate(1.2)) % 6}"
                                                   for q in range(4)))
              for i in range(120)]
    built = plan(people, group_size=5, seed=seed, effort=0)
    searched = plan(people, group_size=5, seed=seed)
    assert searched.score >= built.score - 1e-9
    assert searched.quality.mean_ties > searched.quality.random_ties


def test_plans_are_deterministic_for_a_seed() -> None:
    people = clusters(5, 5)
    assert plan(people, group_size=4, seed=7) == plan(people, group_size=4, seed=7)


def test_shared_answers_are_most_shared_then_rarest_first() -> None:
    people = [person("a", "x", "r"), person("b", "x", "r"), person("c", "x"), person("d", "x", "y"),
              person("e", "y"), person("f", "y")]
    result = plan(people, group_size=3, effort=0, seat_leader=False)
    for group, shared in zip(result.groups, result.shared, strict=True):
        held = Counter(a for p in people if p.id in group for a in p.answers)
        assert dict(shared) == {a: c for a, c in held.items() if c >= 2}
