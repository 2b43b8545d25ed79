"""Breakout grouping at scale: time per round, quality against random, repeated pairs.

``--members`` people (10,000 by default) answer a questionnaire with skewed
(Zipf-like) answers: three single-choice questions and two multiple-choice
ones. About 10% are leaders and 10% newcomers. Rounds of ``--size`` (5) are
planned one after another, each avoiding the pairs of the ``--avoid`` (3)
rounds before it; the first ``--avoid`` rounds make the history, and every
round is timed. Quality is the mean number of answers a pair in a group
shares, against the exact expectation for a random grouping of the same
people and against a cheap upper bound (docs/plugins/breakout.md).

    python benchmarks/breakout.py [--members 10000] [--size 5] [--avoid 3] [--rounds 4]
"""

from __future__ import annotations

import argparse
import random
import time

from hearth.plugins.breakout.grouping import Person, plan

QUESTIONS: list[tuple[str, int, tuple[int, int]]] = [
    # key, choices, (fewest, most) picked
    ("career", 10, (1, 1)),
    ("city", 16, (1, 1)),
    ("situation", 5, (1, 1)),
    ("interests", 14, (1, 4)),
    ("habits", 8, (1, 3)),
]


def zipf_weights(count: int, s: float = 1.1) -> list[float]:
    return [1 / (rank ** s) for rank in range(1, count + 1)]


def people(count: int, rng: random.Random) -> list[Person]:
    made = []
    for n in range(count):
        answers: set[str] = set()
        for key, choices, (low, high) in QUESTIONS:
            weights = zipf_weights(choices)
            picks = rng.randint(low, high)
            while sum(1 for a in answers if a.startswith(key + "=")) < picks:
                answers.add(f"{key}={rng.choices(range(choices), weights)[0]}")
        role = rng.random()
        made.append(Person(id=f"m{n}", answers=frozenset(answers), leader=role < 0.1,
                           newcomer=0.1 <= role < 0.2))
    return made


def calibration() -> float:
    """CPU seconds for a plain loop, to compare figures taken on different (or loaded) machines."""
    cpu, total = time.process_time(), 0
    for n in range(10_000_000):
        total += n
    return time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=5)
    parser.add_argument("--avoid", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    everyone = people(args.members, random.Random(args.seed))
    print(f"this machine: a loop of 10 million additions takes {calibration():.2f} s of CPU")
    history: list[list[tuple[str, ...]]] = []
    print(f"{args.members} members, groups of {args.size}, avoiding the last {args.avoid} rounds")
    print(f"{'round':>5} {'groups':>7} {'wall s':>7} {'cpu s':>6} {'ties/pair':>10} {'random':>7} "
          f"{'ratio':>6} {'bound':>6} {'repeats':>8}")
    for number in range(1, args.rounds + 1):
        window = [g for past in history[-args.avoid:] for g in past]
        started, cpu = time.perf_counter(), time.process_time()
        result = plan(everyone, group_size=args.size, history=window, seed=number)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        q = result.quality
        print(f"{number:>5} {len(result.groups):>7} {took:>7.2f} {cpu:>6.2f} {q.mean_ties:>10.3f} "
              f"{q.random_ties:>7.3f} {q.ratio:>6.2f} {q.upper_bound:>6.2f} {len(result.repeats):>8}")
        history.append(list(result.groups))


if __name__ == "__main__":
    main()
