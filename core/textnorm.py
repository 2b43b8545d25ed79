"""Text as a filter should read it: the same letters however they were written.

Full-width and styled letters (``ｂａｄ``, ``𝐛𝐚𝐝``) become plain ones (Unicode
NFKC), characters that render as nothing (zero-width spaces and joiners, soft
hyphens, direction marks, variation selectors, tag characters) are removed,
case is folded and whitespace runs become one space. Word lists and ad
detection read text through this, so none of those tricks slips past them.
"""

from __future__ import annotations

import unicodedata

INVISIBLE: frozenset[int] = frozenset([
    0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF, 0xFFA0,
    *range(0x200B, 0x2010),  # zero-width space/joiners, direction marks
    *range(0x202A, 0x202F),  # direction embeddings and overrides
    *range(0x2060, 0x2070),  # word joiner, invisible operators, isolates
    *range(0xFE00, 0xFE10),  # variation selectors
    *range(0xFFF9, 0xFFFC),
    *range(0x1BCA0, 0x1BCA4),
    *range(0xE0000, 0xE0080),  # tag characters
])
"""Code points that render as nothing; :func:`plain` removes them."""

_DROP = dict.fromkeys(INVISIBLE)


def plain(text: str) -> str:
    """``text`` in NFKC, without invisible characters, case-folded, whitespace collapsed."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_DROP)
    return " ".join(text.casefold().split())
