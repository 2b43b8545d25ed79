"""Word lists: blocked words and phrases, found however they are written, in linear time.

Text and words are read through :func:`hearth.plain` (NFKC, so full-width and
styled letters are plain ones; invisible characters removed; case folded;
whitespace collapsed). A word written in a script with spaces between words
matches whole words only (``ass`` is not found in ``class``); one holding
Chinese, Japanese or Korean characters matches anywhere, since those scripts
put no spaces between words. All words are one RE2 pattern (linear time,
whatever the message holds); the operator's ``patterns`` run on RE2 too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import re2

from hearth import SafePattern, plain

_CJK = re2.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]"
)


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    return options


@dataclass(frozen=True, slots=True)
class WordList:
    """The words and patterns of ``words:`` in one community."""

    words: Any | None = None  # one RE2 pattern for every word, or None
    patterns: tuple[SafePattern, ...] = ()

    @classmethod
    def build(cls, block: Iterable[str], patterns: Iterable[SafePattern] = ()) -> WordList:
        spaced: list[str] = []
        unspaced: list[str] = []
        for word in dict.fromkeys(plain(w) for w in block):
            if not word:
                continue
            (unspaced if _CJK.search(word) else spaced).append(re2.escape(word).replace(r"\ ", " "))
        parts = []
        if spaced:
            # a whole word: no letter or digit right before or after it
            parts.append(rf"(?:^|[^\p{{L}}\p{{N}}])({'|'.join(spaced)})(?:$|[^\p{{L}}\p{{N}}])")
        if unspaced:
            parts.append(f"({'|'.join(unspaced)})")
        words = re2.compile("|".join(parts), _options()) if parts else None
        return cls(words, tuple(patterns))

    def __bool__(self) -> bool:
        return self.words is not None or bool(self.patterns)

    def find(self, text: str) -> str | None:
        """The blocked word or pattern match ``text`` holds (as normalised), or None."""
        if not text or not self:
            return None
        norm = plain(text)
        if self.words is not None:
            m = self.words.search(norm)
            if m is not None:
                return next(str(g) for g in m.groups() if g)
        for pattern in self.patterns:
            hit = pattern.search(text)
            if hit is None and norm != text:
                hit = pattern.search(norm)
            if hit is not None:
                return hit
        return None
