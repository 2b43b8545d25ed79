"""The influence score: volume, self-talk and bots do not buy influence; linked accounts are one person."""

from __future__ import annotations

from hearth.plugins.leaders.influence import influence, top

Account = tuple[str, str]
BOT: Account = ("discord", "bot")


def acc(name: str, platform: str = "discord") -> Account:
    return (platform, name)


def person(account: Account) -> str | None:
    """Accounts map to their name; the bot to nobody; m1's Matrix account is m1 too."""
    return None if account == BOT else account[1]


def community(size: int = 10) -> dict[tuple[Account, Account], float]:
    """Everyone answers ``star`` once; members also talk a little in a ring."""
    edges: dict[tuple[Account, Account], float] = {}
    for i in range(size):
        edges[(acc(f"m{i}"), acc("star"))] = 1.0
        edges[(acc(f"m{i}"), acc(f"m{(i + 1) % size}"))] = 1.0
    return edges


def test_the_person_everyone_answers_ranks_first() -> None:
    scores = influence(community(), person)
    assert top(scores, 1)[0].person == "star"
    assert scores["star"].distinct == 10
    assert abs(sum(s.score for s in scores.values()) / len(scores) - 1.0) < 1e-9


def test_a_spammer_replying_to_themselves_gains_nothing() -> None:
    edges = community()
    edges[(acc("spammer"), acc("spammer"))] = 10_000.0
    edges[(acc("spammer"), acc("m0"))] = 1.0
    scores = influence(edges, person)
    assert scores["spammer"].distinct == 0
    assert scores["spammer"].score == min(s.score for s in scores.values())
    assert "spammer" not in [s.person for s in top(scores, 5)]


def test_one_pair_exchanging_a_thousand_messages_is_one_voice() -> None:
    edges = community()
    edges[(acc("a"), acc("b"))] = 1000.0
    edges[(acc("b"), acc("a"))] = 1000.0
    scores = influence(edges, person)
    # b is endorsed by one person, however loudly; star by ten
    assert scores["star"].score > 2 * scores["b"].score
    assert scores["b"].received < 1.0
    quiet = dict(edges)
    quiet[(acc("a"), acc("b"))] = 10.0
    quiet[(acc("b"), acc("a"))] = 10.0
    # a hundred times the volume moves the pair's score by less than 1 per cent
    assert abs(influence(quiet, person)["b"].score - scores["b"].score) < 0.01 * scores["b"].score


def test_the_bot_is_left_out_and_gives_no_influence() -> None:
    edges = community()
    for i in range(10):
        edges[(acc(f"m{i}"), BOT)] = 50.0
    edges[(BOT, acc("m3"))] = 500.0
    scores = influence(edges, person)
    assert None not in scores and "bot" not in scores
    assert scores == influence(community(), person)


def test_linked_accounts_are_one_person() -> None:
    edges = community(6)
    # three people answer star's Matrix account, which is linked to star
    for i in range(3):
        edges[(acc(f"x{i}", "matrix"), acc("star", "matrix"))] = 1.0
    # star talking to their own other account is self-talk
    edges[(acc("star"), acc("star", "matrix"))] = 100.0
    scores = influence(edges, person)
    assert scores["star"].distinct == 9
    assert len([p for p in scores if p == "star"]) == 1


def test_people_without_interactions_are_scored_but_never_proposed() -> None:
    scores = influence(community(3), person, people=["lurker"])
    assert scores["lurker"].distinct == 0
    assert "lurker" not in [s.person for s in top(scores, 10)]
    assert influence({}, person) == {}


def test_top_leaves_out_the_excluded() -> None:
    scores = influence(community(), person)
    assert [s.person for s in top(scores, 1, exclude={"star"})] != ["star"]
    assert len(top(scores, 3)) == 3
