"""Influence scores for a large community: time and memory.

``--members`` members (10,000 by default) and ``--interactions`` interactions
(1,000,000) over ``--days`` days (30): each interaction's target is drawn with
a heavy-tailed popularity (a few people are answered by many, as in a real
group), its source and day uniformly. The interactions are summed per pair
and decayed by age (half-life 14 days) as ``ctx.interactions`` returns them,
then scored with :func:`hearth.plugins.leaders.influence.influence`.

Reported: the account graph's size, the scoring's wall time, and the memory
the scoring allocated at its peak (tracemalloc, numpy's arrays included),
beside the process's peak RSS (which includes the generated graph).
Reading the graph from the ledger is not part of this figure.

    python benchmarks/influence.py [--members 10000] [--interactions 1000000] [--days 30]
"""

from __future__ import annotations

import argparse
import random
import resource
import time
import tracemalloc

from hearth.plugins.leaders.influence import influence, top

Account = tuple[str, str]


def graph(members: int, interactions: int, days: int, seed: int = 1) -> dict[tuple[Account, Account], float]:
    rng = random.Random(seed)
    accounts = [("discord", str(i)) for i in range(members)]
    popularity = [rng.paretovariate(1.2) for _ in range(members)]
    edges: dict[tuple[Account, Account], float] = {}
    for target in rng.choices(range(members), weights=popularity, k=interactions):
        source, age = rng.randrange(members), rng.randrange(days)
        key = (accounts[source], accounts[target])
        edges[key] = edges.get(key, 0.0) + 0.5 ** (age / 14)
    return edges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    edges = graph(args.members, args.interactions, args.days)
    import numpy  # noqa: F401  (imported before timing: it is loaded once per process)

    tracemalloc.start()
    started = time.perf_counter()
    scores = influence(edges, lambda account: account[1])
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    best = top(scores, 3)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.members} members, {args.interactions} interactions over {args.days} days:"
          f" {len(edges)} pairs")
    print(f"scoring: {elapsed:.2f} s, {peak / 2**20:.0f} MiB allocated at peak"
          f" (process peak RSS {rss:.0f} MiB, with the generated graph)")
    print("top 3:", ", ".join(f"{s.person} {s.score:.1f} ({s.distinct} people)" for s in best))


if __name__ == "__main__":
    main()
