"""The activity chart: messages and active members per day, as PNG (chat) or SVG (pages).

Drawn with matplotlib (see docs/plugins/pulse.md for why), imported only
when a chart is drawn, so a bot that never reports does not pay its memory.
Its object API is used (no ``pyplot``): no global state, no display needed.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from hearth import DayTotals

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Format = Literal["png", "svg"]
#: matplotlib's settings are global: one chart is drawn at a time (drawing runs in threads)
_DRAWING = threading.Lock()
MESSAGES_COLOUR = "#d9822b"
ACTIVE_COLOUR = "#2b6cb0"
#: fonts tried for labels in Chinese (whichever is installed), before matplotlib's default
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "Source Han Sans SC",
             "Microsoft YaHei", "SimHei"]


def _cjk_fonts() -> list[str]:
    """The installed fonts of :data:`CJK_FONTS`."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in CJK_FONTS if name in installed]


def _figure(days: Sequence[DayTotals], labels: tuple[str, str], title: str) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(9, 3.6), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    x = [d.day for d in days]
    ax.bar(x, [d.messages for d in days], color=MESSAGES_COLOUR, alpha=0.55, label=labels[0], width=0.9)
    ax.set_ylabel(labels[0], color=MESSAGES_COLOUR)
    twin = ax.twinx()
    twin.plot(x, [d.active_members for d in days], color=ACTIVE_COLOUR, linewidth=2, label=labels[1])
    twin.set_ylabel(labels[1], color=ACTIVE_COLOUR)
    for axis in (ax, twin):
        axis.set_ylim(bottom=0)
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
        axis.spines["top"].set_visible(False)
    ax.set_title(title, fontsize=11)
    ax.tick_params(axis="x", labelsize=8, rotation=30)
    return fig


def draw(days: Sequence[DayTotals], *, labels: tuple[str, str], title: str,
         fmt: Format = "png") -> bytes:
    """The chart of ``days`` (oldest first): bars of messages, a line of active members.

    Safe to call from several threads at once (they take turns)."""
    from matplotlib import rc_context

    settings: dict[str, Any] = {"svg.hashsalt": "hearth", "svg.fonttype": "path"}
    if any(ord(c) >= 0x2E80 for c in "".join([*labels, title])):
        fonts = _cjk_fonts()
        if fonts:
            settings["font.family"] = [*fonts, "DejaVu Sans"]
        else:  # no font here shows these labels: English rather than empty boxes
            labels, title = ("messages", "active members"), ""
    with _DRAWING, rc_context(settings):  # type: ignore[arg-type]
        fig = _figure(days, labels, title)
        out = io.BytesIO()
        fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return out.getvalue()
