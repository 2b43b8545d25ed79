"""Names that look like a bare ``name.tld`` but are what people talk about, not where they send you.

A bare ``name.tld`` (no ``http://``, ``www.`` or path) matching one of these is
never a link: ``ASP.NET``, ``Socket.IO``, ``Agar.io``. Written with a scheme,
``www.`` or a path it is a link like any other.
"""

from __future__ import annotations

TECH_NAMES = frozenset(
    """
    asp.net vb.net ado.net ml.net dot.net f.net
    socket.io agar.io slither.io diep.io krunker.io surviv.io moomoo.io paper.io hole.io
    deeeep.io zombs.io starve.io shellshock.io skribbl.io gartic.io wings.io mope.io
    itch.io draw.io fly.io glitch.io github.io gitlab.io pages.dev
    last.fm deno.land nim.land crates.io pub.dev go.dev
    node.js vue.js next.js nuxt.js chart.js three.js p5.js d3.js ember.js express.js
    """.split()
)
"""Well-known technology, game and service names written ``name.tld``."""

FILE_SUFFIXES = frozenset("py md sh rs pl pm ps cs fs so zip mov".split())
"""Top-level domains that are also common file extensions: ``main.py``, ``README.md``."""
