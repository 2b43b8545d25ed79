"""Cost of ad_window's detection per message, its precision/recall, and its worst cases.

Three figures, each for the detector in this tree and, with ``--compare REV``,
for ``plugins/ad_window/detect.py`` as it was at git revision ``REV`` (loaded
from ``git show``, so both run in the same process on the same machine):

* cost per message on ordinary chat, on ads, and on a realistic mix (about one ad
  in twenty messages) with repeat tracking, as in the moderation hook;
* precision and recall on the labelled corpus ``tests/plugins/ad_corpus.yaml``
  (the tests require every entry to be judged right);
* adversarial messages (issue 10: catastrophic backtracking), each timed in a
  child process that is stopped after ``--limit`` seconds.

    python benchmarks/ad_detection.py [--rounds 300] [--compare HEAD~5] [--limit 20]
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = yaml.safe_load((ROOT / "tests" / "plugins" / "ad_corpus.yaml").read_text(encoding="utf-8"))
CHAT: list[str] = CORPUS["chat"]
ADS: list[str] = CORPUS["ads"]
ALLOW = ["example.org", "tea-wiki.net"]

# The shapes issue 10 reported (seconds to minutes before the fix), at a few lengths.
ADVERSARIAL: dict[str, Callable[[int], str]] = {
    '"wechat" + spaces + "!."': lambda n: "wechat" + " " * (n - 8) + "!.",
    '"my ig" + spaces + "!."': lambda n: "my ig" + " " * (n - 7) + "!.",
    '"add me on line" + spaces + "!."': lambda n: "add me on line" + " " * (n - 16) + "!.",
    '"( " + spaces + "."': lambda n: "( " + " " * (n - 3) + ".",
}
LENGTHS = (250, 500, 1000, 2000, 4000, 65_536)


def load_current() -> ModuleType:
    from hearth.plugins.ad_window import detect

    return detect


def load_revision(rev: str) -> ModuleType:
    """``detect.py`` as it was at ``rev`` (its imports resolve against this tree)."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:plugins/ad_window/detect.py"],
        check=True, capture_output=True, text=True,
    ).stdout
    path = Path(tempfile.mkdtemp(prefix="hearth-bench-")) / "detect_at_rev.py"
    path.write_text(source)
    return _load_path(path)


def _load_path(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    module.__file__ = str(path)
    return module


def build(module: ModuleType) -> Any:
    return module.Detector.build(allow_domains=ALLOW, internal_rooms=["!gen:example.org"],
                                 own_guilds=["123456789012345678"])


def per_message_us(module: ModuleType, texts: list[str], rounds: int, track: bool) -> float:
    detector = build(module)
    tracker = module.RepeatTracker(3, timedelta(minutes=10))
    seen = getattr(tracker, "seen", None)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    start = time.perf_counter()
    for r in range(rounds):
        for i, text in enumerate(texts):
            member, mid = ("discord", f"m{i % 50}"), f"{r}:{i}"
            if seen is not None and track:  # fingerprints (this tree)
                key = module.repeat_key(text)
                if detector.detect(text, repeated=seen(member, key, now, mid)) is None:
                    tracker.record(member, key, now, mid)
            elif detector.detect(text) is None and track:  # texts (before)
                tracker.record(member, text, now, mid)
    return (time.perf_counter() - start) / (rounds * len(texts)) * 1e6


def quality(module: ModuleType) -> tuple[float, float, list[str], list[str]]:
    detector = build(module)
    false_pos = [t for t in CHAT if detector.detect(t) is not None]
    missed = [t for t in ADS if detector.detect(t) is None]
    tp = len(ADS) - len(missed)
    precision = tp / (tp + len(false_pos)) if tp + len(false_pos) else 1.0
    return precision, tp / len(ADS), false_pos, missed


def _time_one(path: str | None, shape: str, length: int, out: Any) -> None:
    module = load_current() if path is None else _load_path(Path(path))
    detector = build(module)
    text = ADVERSARIAL[shape](length)
    start = time.perf_counter()
    detector.detect(text)
    out.put(time.perf_counter() - start)


def adversarial_seconds(module: ModuleType, current: bool, shape: str, length: int,
                        limit: float) -> float | None:
    """Seconds to judge one adversarial message, or None when it took longer than ``limit``."""
    queue: Any = multiprocessing.Queue()
    path = None if current else module.__file__
    child = multiprocessing.Process(target=_time_one, args=(path, shape, length, queue))
    child.start()
    child.join(limit)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return float(queue.get())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--compare", metavar="REV", help="also measure detect.py at this git revision")
    parser.add_argument("--limit", type=float, default=20.0,
                        help="seconds after which an adversarial message is given up on")
    args = parser.parse_args()
    versions: list[tuple[str, ModuleType, bool]] = [("this tree", load_current(), True)]
    if args.compare:
        versions.insert(0, (args.compare, load_revision(args.compare), False))

    mix = CHAT * 8 + ADS
    print(f"corpus: {len(CHAT)} ordinary messages, {len(ADS)} ads; mix {len(CHAT) * 8}:{len(ADS)}")
    for _, module, _ in versions:
        per_message_us(module, mix, 3, True)  # warm up (the public-suffix list loads on first use)
    # The versions take turns, five times, and each keeps its fastest turn: load from other
    # processes only ever adds time, and it then weighs on both alike.
    best: dict[str, list[float]] = {label: [float("inf")] * 3 for label, _, _ in versions}
    for _ in range(5):
        for label, module, _ in versions:
            turn = (per_message_us(module, CHAT, args.rounds // 5 or 1, False),
                    per_message_us(module, ADS, args.rounds // 5 or 1, False),
                    per_message_us(module, mix, args.rounds // 25 or 1, True))
            best[label] = [min(a, b) for a, b in zip(best[label], turn, strict=True)]
    for label, module, _ in versions:
        chat_us, ads_us, mix_us = best[label]
        precision, recall, false_pos, missed = quality(module)
        print(f"\n== {label}")
        print(f"ordinary chat : {chat_us:7.2f} µs/message (detection)")
        print(f"ads           : {ads_us:7.2f} µs/message (detection)")
        print(f"overall mix   : {mix_us:7.2f} µs/message (detection + repeat tracking)")
        print(f"precision {precision:.3f}, recall {recall:.3f} "
              f"({len(false_pos)} false positives, {len(missed)} missed)")
        for text in false_pos:
            print(f"  false positive: {text!r}")
        for text in missed:
            print(f"  missed: {text!r}")

    print(f"\nadversarial messages (seconds; '>{args.limit:g}' = stopped):")
    header = "".join(f"{n:>10}" for n in LENGTHS)
    for label, module, current in versions:
        print(f"== {label}\n{'shape':34}{header}")
        for shape in ADVERSARIAL:
            cells = []
            slow = False
            for n in LENGTHS:
                took = None if slow else adversarial_seconds(module, current, shape, n, args.limit)
                slow = took is None  # longer texts would take longer still
                cells.append(f"{'>' + format(args.limit, 'g'):>10}" if took is None else f"{took:10.4f}")
            print(f"{shape:34}{''.join(cells)}")


if __name__ == "__main__":
    main()
