"""The dashboard in a real browser (headless Chromium, ``tests/browser.py``).

A probe page served from the dashboard's own origin drives it in an iframe,
as a person would: it opens a one-time login link, presses **Log in**, waits
for the community page's charts to load (each image decoded, with a natural
size: not just HTML), presses **Approve** on a leader proposal and reports
what it saw. The approved member then accepts by DM and the leader role
appears on the testing network. Set ``HEARTH_SCREENSHOTS=DIR`` to keep the
overview and community screenshots (docs/images/ holds the committed ones).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from browser import Browser

from hearth import Role
from hearth.adapters.testing import TestBot
from hearth.web.server import Dashboard

CONFIG = """
web: {listen: "127.0.0.1:8470"}
communities:
  tea-house:
    channels: {general: {}, council: {}}
    plugins:
      leaders: {channel: council}
      guard: {}
      welcome: {channel: general}
"""
PEOPLE = [{"id": "olivia", "name": "Olivia", "role": "owner"},
          {"id": "adam", "name": "Adam", "role": "admin"},
          {"id": "lee", "name": "Lee", "role": "leader"}, {"id": "ann", "name": "Ann"},
          {"id": "ben", "name": "Ben"}, {"id": "cy", "name": "Cy"}]

PROBE = """<!doctype html><html><body style="margin:0">
<iframe id="page" style="border:0;width:100%;height:2900px"></iframe><pre id="result"></pre>
<script>
const frame = document.getElementById("page");
const params = new URLSearchParams(location.search);
const done = (found) => { document.getElementById("result").textContent = JSON.stringify(found); };
let step = 0, found = {};
frame.addEventListener("load", async () => {
  const doc = frame.contentDocument;
  step += 1;
  if (step === 1) { doc.forms[0].submit(); return; }          // the confirmation page: Log in
  if (step === 2 && params.get("next")) { frame.src = params.get("next"); return; }
  if (params.get("next")) { done({shown: doc.title}); return; }
  if (step === 2) {                                            // the community page
    const images = [...doc.querySelectorAll("img.chart")];
    await Promise.all(images.map(i => i.complete ? null
                                     : new Promise(r => { i.onload = r; i.onerror = r; })));
    found.charts = images.map(i => ({src: i.getAttribute("src"), width: i.naturalWidth,
                                     height: i.naturalHeight}));
    found.title = doc.title;
    const approve = [...doc.querySelectorAll("button")].find(b => b.textContent === "Approve");
    found.approve = !!approve;
    if (approve) { approve.form.submit(); return; }
    done(found); return;
  }
  found.after = doc.body.innerText;                            // the command's reply
  done(found);
});
frame.src = "/login/" + params.get("token");
</script></body></html>
"""


async def _chat(bot: TestBot) -> None:
    """A few days of conversation, so the charts have something to draw."""
    for day in range(10):
        for i, who in enumerate(("ann", "ben", "cy", "lee")[: 1 + day % 4]):
            ref = await bot.say(who, "general", f"day {day} from {who}")
            if i:
                await bot.say("ann", "general", "indeed", reply_to=ref)
        if day in (3, 6):
            await bot.join(f"new{day}", f"New {day}", invited_by="ann")
        await bot.wait("1d")


async def _token(bot: TestBot, who: str) -> str:
    bot.take()
    await bot.say(who, "general", "!dashboard")
    [dm] = [a for a in bot.take() if a["action"] == "dm" and "/login/" in a["text"]]
    found = re.search(r"/login/(\S+)", dm["text"])
    assert found
    return found.group(1)


@pytest.mark.asyncio
async def test_log_in_see_the_charts_and_approve_a_leader_in_chromium(
        hearth_bot, storage_url: str, browser: Browser, tmp_path: Path) -> None:
    bot = await hearth_bot(CONFIG, members=PEOPLE, storage=storage_url, start="2026-11-10T10:00:00+00:00")
    await _chat(bot)
    leaders = bot.app.contexts["tea-house"]["leaders"]
    ann = await leaders.person(("testing", "ann"))
    await leaders.store.insert("offers", {"person": ann.id, "state": "proposed", "at_ms": 0})
    assert bot.app.logins is not None
    application = Dashboard(bot.app, bot.app.logins).application()
    application.router.add_get("/probe", lambda _: web.Response(text=PROBE, content_type="text/html"))
    server = TestServer(application, host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("/"))
    try:
        token = await _token(bot, "olivia")
        dom = await asyncio.to_thread(browser.dump_dom, f"{base}probe?token={token}")
        found = json.loads(re.search(r'<pre id="result">(.*?)</pre>', dom, re.S).group(1))  # type: ignore[union-attr]
        assert found["title"] == "tea-house · Hearth"
        assert len(found["charts"]) == 4
        for chart in found["charts"]:  # each SVG was loaded and decoded
            assert chart["width"] > 300 and chart["height"] > 100, chart
        assert found["approve"] and "approved" in found["after"].lower(), found
        await bot.settle()
        assert any("lead" in a["text"] for a in bot.sent("dm", member="ann")), "ann is asked"
        await bot.dm("ann", "1")  # yes
        assert bot.role_of("ann") == Role.LEADER  # the role on the testing network

        shots = {}
        for name, path, height in (("overview", "/", 700), ("community", "/c/tea-house", 2900)):
            token = await _token(bot, "olivia")
            out = tmp_path / f"dashboard-{name}.png"
            await asyncio.to_thread(browser.screenshot, f"{base}probe?token={token}&next={path}", out,
                                    (900, height))
            shots[name] = out
        from PIL import Image

        for out in shots.values():
            image = Image.open(out).convert("RGB")
            colours = image.getcolors(maxcolors=1 << 20) or []
            assert len(colours) > 20  # a page was painted, not a blank window
        keep = os.environ.get("HEARTH_SCREENSHOTS")
        if keep:
            for out in shots.values():
                shutil.copy(out, Path(keep) / out.name)
    finally:
        await server.close()
