"""The dashboard's charts: drawn on the server with matplotlib, as SVG.

The same library as ``pulse``'s report, imported only when a chart is drawn,
through its object API (no ``pyplot``: no global state, no display). Drawing
runs in a thread (:func:`asyncio.to_thread` in the server), one chart at a
time, so the community workers never wait for it. A sparkline is a few
points: it is written as an SVG polyline directly.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Any

#: matplotlib's settings are global: one chart is drawn at a time
_DRAWING = threading.Lock()
COLOURS = ("#d9822b", "#2b6cb0")
#: fonts tried for Chinese labels (whichever is installed), as pulse's chart does
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "Source Han Sans SC",
             "Microsoft YaHei", "SimHei"]


def _cjk(words: str) -> bool:
    return any(ord(c) >= 0x2E80 for c in words)


def _cjk_fonts() -> list[str]:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in CJK_FONTS if name in installed]


def can_write(words: str) -> bool:
    """Whether a chart can show ``words`` (Chinese needs a CJK font installed)."""
    return not _cjk(words) or bool(_cjk_fonts())


def _settings(words: str) -> dict[str, Any]:
    settings: dict[str, Any] = {"svg.hashsalt": "hearth", "svg.fonttype": "path"}
    if _cjk(words):
        settings["font.family"] = [*_cjk_fonts(), "DejaVu Sans"]
    return settings


def draw(days: Sequence[date], series: Sequence[tuple[str, Sequence[float]]], title: str) -> bytes:
    """An SVG chart over ``days``: the first series as bars, a second (if any) as a line."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    words = title + "".join(label for label, _ in series)
    with _DRAWING, rc_context(_settings(words)):  # type: ignore[arg-type]
        fig = Figure(figsize=(7, 2.8), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        x = list(range(len(days)))
        label, values = series[0]
        ax.bar(x, list(values), color=COLOURS[0], alpha=0.6, label=label, width=0.9)
        for label, values in series[1:2]:
            ax.plot(x, list(values), color=COLOURS[1], linewidth=2, label=label)
        ax.set_ylim(bottom=0, top=max(1.0, *(max(v, default=0) for _, v in series)) * 1.1)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        step = max(1, len(days) // 8)
        ax.set_xticks(x[::step], [d.strftime("%m-%d") for d in days[::step]], fontsize=8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_title(title, fontsize=11)
        if len(series) > 1:
            ax.legend(fontsize=8, frameon=False, loc="upper left")
        out = io.BytesIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def sparkline(values: Sequence[float], *, width: int = 120, height: int = 28, label: str = "") -> str:
    """A small inline SVG line of ``values`` (oldest first)."""
    top = max(values, default=0) or 1
    step = width / max(1, len(values) - 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - v / top * (height - 4):.1f}"
                      for i, v in enumerate(values))
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(label)}"><polyline fill="none" stroke="{COLOURS[1]}" '
            f'stroke-width="1.5" points="{points}"/></svg>')
