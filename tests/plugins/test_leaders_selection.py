"""Who is proposed as a leader, and how members are spread over leaders' cohorts."""

from __future__ import annotations

from hearth.plugins.leaders.cohorts import assign, missing_leaders
from hearth.plugins.leaders.influence import influence
from hearth.plugins.leaders.proposals import propose, wanted


def twenty() -> dict:
    """20 members; everyone answers, mentions and thanks ann and ben; a little chatter besides."""
    edges = {}
    names = [f"m{i}" for i in range(18)]
    for i, name in enumerate(names):
        for star in ("ann", "ben"):
            edges[(name, star)] = 3.0
        edges[(name, names[(i + 1) % 18])] = 1.0
    edges[("ann", "ben")] = 1.0
    edges[("ben", "m0")] = 1.0
    return influence(edges, lambda a: a)


def test_wanted_is_the_share_within_min_and_max() -> None:
    assert wanted(20, 0.10, 1, 20) == 2
    assert wanted(5, 0.10, 1, 20) == 1
    assert wanted(1000, 0.10, 1, 20) == 20
    assert wanted(0, 0.10, 1, 20) == 0
    assert wanted(21, 0.10, 1, 20) == 3  # rounded up


def test_the_two_people_everyone_answers_are_proposed_in_a_community_of_twenty() -> None:
    found = propose(twenty(), members=20, leaders=0, share=0.10, low=1, high=20)
    assert {p.person for p in found} == {"ann", "ben"}
    assert all(p.distinct >= 18 for p in found)


def test_leaders_admins_and_owner_are_not_proposed_and_leaders_fill_the_share() -> None:
    found = propose(twenty(), members=20, leaders=1, share=0.10, low=1, high=20, exclude={"ann"})
    assert [p.person for p in found] == ["ben"]
    assert propose(twenty(), members=20, leaders=2, share=0.10, low=1, high=20, exclude={"ann", "ben"}) == []


def test_candidates_of_other_plugins_come_first_with_their_reason_within_the_share() -> None:
    found = propose(twenty(), members=20, leaders=0, share=0.10, low=1, high=20,
                    candidates={"m5": "group representative", "ann": "group representative"})
    assert [p.person for p in found] == ["ann", "m5"]
    assert found[1].reasons == ("group representative",)
    # a candidate already excluded (a leader) is not listed again
    found = propose(twenty(), members=20, leaders=1, share=0.10, low=1, high=20, exclude={"m5"},
                    candidates={"m5": "group representative"})
    assert len(found) == 1 and found[0].person in {"ann", "ben"} and not found[0].reasons


def test_cohorts_respect_span_and_keep_members_with_their_leader() -> None:
    members = [f"m{i}" for i in range(18)]
    cohorts = assign(members, ["ann", "ben"], span=9)
    assert sorted(len(c) for c in cohorts.values()) == [9, 9]
    assert sorted(m for c in cohorts.values() for m in c) == sorted(members)
    previous = {m: lead for lead, c in cohorts.items() for m in c}
    # one leaves, a newcomer invited by a member of ben's cohort joins: the rest stay put
    newcomer_inviter = cohorts["ben"][0]
    left = cohorts["ann"][0]
    after = assign([*(m for m in members if m != left), "new"], ["ann", "ben"], span=9,
                   previous=previous, inviters={"new": newcomer_inviter})
    assert "new" in after["ann"]  # ben's cohort is full, so the smallest
    assert all(previous[m] == lead for lead, c in after.items() for m in c if m != "new")
    after = assign([*members[1:], "new"], ["ann", "ben"], span=10, previous=previous,
                   inviters={"new": newcomer_inviter})
    assert "new" in after["ben"]  # the inviter's leader has room


def test_cohorts_grow_past_span_when_leaders_are_missing() -> None:
    members = [f"m{i}" for i in range(30)]
    cohorts = assign(members, ["ann", "ben"], span=9)
    assert sorted(len(c) for c in cohorts.values()) == [15, 15]
    assert missing_leaders(30, 2, 9) == 2
    assert missing_leaders(18, 2, 9) == 0
    # a demoted leader's cohort is redistributed over the others
    previous = {m: lead for lead, c in assign(members[:18], ["ann", "ben", "cy"], span=9).items() for m in c}
    after = assign(members[:18], ["ann", "ben"], span=9, previous=previous)
    assert sorted(len(c) for c in after.values()) == [9, 9]
    assert assign(members, [], span=9) == {}


def test_open_offers_count_and_a_crowded_cohort_asks_for_one_more() -> None:
    # one leader, one offer still open: the aim of 2 is met
    assert propose(twenty(), members=20, leaders=1, waiting=1, share=0.10, low=1, high=20) == []
    # a cohort over span: one more than leaders and open offers, even past the share
    found = propose(twenty(), members=20, leaders=2, waiting=0, crowded=True, share=0.10, low=1, high=20,
                    exclude={"ann", "ben"})
    assert len(found) == 1
    assert propose(twenty(), members=20, leaders=2, crowded=True, share=0.10, low=1, high=2,
                   exclude={"ann", "ben"}) == []
