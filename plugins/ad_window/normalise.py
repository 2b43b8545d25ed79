"""Undoing the ways ads are written to slip past filters, in time linear in the text.

:func:`view` turns a message into the forms the detectors read: NFKC (full-width
and styled letters), invisible characters removed (zero-width, soft hyphens,
direction marks), dot lookalikes (``。 ∙ ⋅ ‧ ۔``) and ``[.]``, ``(dot)``, `` dot ``
read as dots, ``hxxp`` as ``http``, whitespace runs (line breaks included)
collapsed to one space, and dots written with spaces around them before a
usual spam domain joined (``cheap . com``). The ``skeleton`` also maps
letters that look Latin (Cyrillic ``а``, Greek ``ο``…) to the Latin letter, so
``wеchat`` (with a Cyrillic ``е``) reads ``wechat``.

Every regular expression with unbounded repetition runs on RE2 (no
backtracking), and nothing loops over the text more than a fixed number of
times: the cost grows linearly with the message, whatever it holds.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import re2

from hearth import INVISIBLE

MAX_CHARS = 65_536
"""Only the first this-many characters are examined (the longest message Matrix carries)."""


def rx(pattern: str, *, ignore_case: bool = True) -> Any:
    """An RE2 pattern (linear time); every pattern of the detector is built here."""
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.log_errors = False
    return re2.compile(pattern, options)


# Dots in other scripts and typography (after NFKC, which already maps "．" "｡" "․" "﹒").
_DOTS = "。・·•∙⋅‧۔︒"
# Characters that render as nothing are removed (a zero-width space inside "cheap\u200btea.com").
_TRANSLATE: dict[int, Any] = dict.fromkeys(INVISIBLE) | {ord(d): "." for d in _DOTS}

# Letters that look like Latin ones (after lower-casing), each to one Latin letter, so a
# skeleton has the same length as the text it comes from.
CONFUSABLES: dict[int, str] = {ord(k): v for k, v in {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k",
    "ӏ": "l", "м": "m", "н": "h", "о": "o", "п": "n", "р": "p", "ԛ": "q", "г": "r", "ѕ": "s",
    "с": "c", "т": "t", "у": "y", "ү": "y", "ѵ": "v", "ԝ": "w", "х": "x", "ԁ": "d", "ɡ": "g",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j", "ζ": "z",
    # Armenian and Latin lookalikes
    "օ": "o", "ս": "u", "ց": "g", "հ": "h", "ո": "n", "ɑ": "a", "ı": "i", "ɩ": "i", "ʏ": "y",
}.items()}

# These have no unbounded repetition (whitespace is collapsed first), so an attempt
# costs at most their own length and Python's re runs them in linear time; it also
# substitutes many matches far faster than the RE2 binding.
_HXXP = re.compile(r"\bh(?:xx|\*\*|tt)p(s?) ?(?::|\[:\]) ?/ ?/", re.IGNORECASE)
_BRACKET_DOT = re.compile(
    r" ?(?:\[ ?(?:\.|dot) ?\]|\( ?(?:\.|dot) ?\)|\{ ?(?:\.|dot) ?\}|< ?(?:\.|dot) ?>) ?", re.IGNORECASE
)
_WORD_DOT = re.compile(r"(?<=[a-z0-9]) dot (?=[a-z0-9])", re.IGNORECASE)
# The usual spam domains: only before these is a dot with spaces around it joined.
SPACED_TLDS = "com|net|org|cn|ru|xyz|top|io|gg|vip|info|biz|cc"
# "the .com era", "my .net app": a word, then the domain as a word of its own.
FUNCTION_WORDS = frozenset(
    "the a an this that these those my your our his her their it its of in on at to and or but "
    "is was for with from about old new i me we you he she they go do no so be up ok".split()
)
"""Words that are no site name in ``word .tld`` or ``word.tld`` ("the .com era", "run it.now")."""
_SPACED = rx(rf"((?:[\p{{L}}\p{{N}}][\p{{L}}\p{{N}}-]* ?\. ?)+)({SPACED_TLDS})\b")
_SPACED_HINT = re.compile(rf"(?: \.|\. )(?:{SPACED_TLDS})\b", re.IGNORECASE)  # cheap, bounded


@dataclass(slots=True)
class View:
    """One message as the detectors read it.

    ``base`` keeps the case; ``lower`` is ``base`` lower-cased and ``skeleton`` is
    ``lower`` with lookalike letters mapped (same length, same positions).
    ``rewritten``: undoing evasions may have changed a host (non-ASCII text, ``[.]``,
    ``(dot)``…). ``evasive`` holds hosts written with spaces on both sides of a dot;
    ``loose`` those with a space on one side only (``the .com era``), which alone say nothing.
    """

    raw: str
    base: str
    lower: str
    skeleton: str
    rewritten: bool = False
    evasive: set[str] = field(default_factory=set)
    loose: set[str] = field(default_factory=set)


def _undo(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    return " ".join(text.split())


def view(text: str) -> View:
    """``text`` (its first :data:`MAX_CHARS` characters) with every evasion undone."""
    raw = text[:MAX_CHARS]
    base = _undo(raw)
    low = base.lower()
    rewritten = not raw.isascii()
    if "xx" in low or "**" in low or "tt" in low:
        base = _HXXP.sub(r"http\1://", base)
    if "dot" in low or "[" in base or "(" in base or "{" in base or "<" in base:
        dotted = _WORD_DOT.sub(".", _BRACKET_DOT.sub(".", base))
        rewritten = rewritten or dotted != base
        base = dotted
    evasive: set[str] = set()
    loose: set[str] = set()
    if (". " in base or " ." in base) and _SPACED_HINT.search(base):

        def join(m: Any) -> str:
            name, tld = m.group(1), m.group(2)
            if " " not in name:
                return str(m.group(0))
            host = (name.replace(" ", "") + tld).lower()
            if " . " in name:
                evasive.add(host)
            elif tld.islower() and name.split(" ", 1)[0].lower() not in FUNCTION_WORDS:
                loose.add(host)
            else:
                return str(m.group(0))  # "I love .NET": not a host
            return str(name.replace(" ", "") + tld)

        base = _SPACED.sub(join, base)
    lower = base.lower()
    if len(lower) != len(base):  # a few letters lower-case to two characters
        base = lower
    skeleton = lower if lower.isascii() else lower.translate(CONFUSABLES)
    return View(raw, base, lower, skeleton, rewritten, evasive, loose)


def fold(text: str) -> str:
    """The text reduced to what makes two copies "the same": case, spacing, lookalikes ignored."""
    lower = _undo(text[:MAX_CHARS]).lower()
    return lower if lower.isascii() else lower.translate(CONFUSABLES)


def mixed_script(label: str) -> bool:
    """Whether ``label`` mixes ASCII letters with other letters (``cheap-tеa``)."""
    ascii_letter = other_letter = False
    for ch in label:
        if ch.isascii():
            ascii_letter = ascii_letter or ch.isalpha()
        elif ch.isalpha():
            other_letter = True
    return ascii_letter and other_letter
