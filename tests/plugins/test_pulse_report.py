"""``hearth report``: the health report from the database, offline; its HTML page in a real browser;
pulse's config errors at ``hearth check``; the chart library imported only when drawing."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import textwrap
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from browser import Browser, serve
from click.testing import CliRunner

from hearth.adapters.testing import TestBot
from hearth.cli import main

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: five weeks before today (the report reads the real clock, as `hearth report` does)
START = datetime.combine(datetime.now(SHANGHAI).date() - timedelta(days=35), time(0, 30), SHANGHAI)

CONFIG = """
storage: sqlite:///{db}
communities:
  tea:
    timezone: Asia/Shanghai
    rules: "1. Be kind."
    discord: {{guild: "1"}}
    channels: {{general: {{discord: "11"}}, mods: {{discord: "44"}}}}
    plugins:
      pulse:
        health: {{channel: mods}}
  quiet-club:
    discord: {{guild: "2"}}
    channels: {{general: {{discord: "21"}}}}
    plugins: {{}}
"""


async def _record(path: Path, db: Path) -> None:
    members = [{"id": "olivia", "role": "owner"}, {"id": "bob"}, {"id": "carol"}, {"id": "dave"}]
    bot = await TestBot.create(path, members=members, start=START, storage=db, community="tea")
    try:
        for day in range(35):
            first = ""
            for n in range(day % 5 + 1):
                sent = await bot.say("bob", "general", f"day {day} #{n}")
                first = first or sent
            if day % 2:
                await bot.say("carol", "general", "agreed", reply_to=first)
            await bot.wait("1d")
        await bot.join("erin", invited_by="bob")
    finally:
        await bot.stop()


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """A config whose database holds five weeks of a community's life."""
    db = tmp_path / "hearth.db"
    path = tmp_path / "hearth.yaml"
    path.write_text(CONFIG.format(db=db))
    asyncio.run(_record(path, db))
    return path


def test_the_report_is_printed_from_the_database_without_connecting(recorded: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(recorded), "--community", "tea"])
    assert result.exit_code == 0, result.output
    assert "Health of tea" in result.stdout
    assert re.search(r"Active members \(wrote in the last 7 days\): 2 of 5", result.stdout)
    assert "Messages a day: 3.9" in result.stdout  # days 28 to 34: (4+5+1+2+3+4+5 + 3 replies)/7
    assert "Member-to-member interactions a day: 0.4" in result.stdout  # carol's 3 replies


def test_a_community_without_pulse_has_no_report(recorded: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(recorded)])
    assert result.exit_code == 1
    assert "Health of tea" in result.stdout
    assert "no report for quiet-club" in result.stderr


def test_html_needs_one_community_and_known_names(recorded: Path, tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", str(recorded), "--html", str(page)])
    assert result.exit_code == 2 and "--community" in result.stderr and not page.exists()
    result = CliRunner().invoke(main, ["report", str(recorded), "--community", "nope"])
    assert result.exit_code == 2 and "no community 'nope'" in result.stderr


PROBE = """<!doctype html><html><body>
<iframe id="page" src="report.html" style="width:1200px;height:1600px;border:0"></iframe>
<pre id="result">pending</pre>
<script>
document.getElementById("page").addEventListener("load", () => {
  const doc = document.getElementById("page").contentDocument;
  const charts = [...doc.querySelectorAll("figure.chart svg")].map(svg => {
    const box = svg.getBoundingClientRect();
    const painted = [...svg.querySelectorAll("path")].filter(p => {
      const b = p.getBBox();
      return b.width > 0 || b.height > 0;
    }).length;
    return {width: box.width, height: box.height, painted};
  });
  const external = [...doc.querySelectorAll("[src],link[href]")].length;
  document.getElementById("result").textContent = JSON.stringify({charts, external,
    title: doc.title});
});
</script></body></html>
"""


def test_the_html_page_renders_its_chart_in_a_browser(recorded: Path, tmp_path: Path,
                                                        browser: Browser) -> None:
    site = tmp_path / "site"
    site.mkdir()
    result = CliRunner().invoke(main, ["report", str(recorded), "--community", "tea",
                                       "--weeks", "4", "--html", str(site / "report.html")])
    assert result.exit_code == 0, result.output
    (site / "probe.html").write_text(PROBE)
    with serve(site) as base:
        dom = browser.dump_dom(base + "probe.html")
        shot = browser.screenshot(base + "report.html", tmp_path / "shot.png", size=(1200, 1400))
    found = json.loads(re.search(r'<pre id="result">(.*?)</pre>', dom, re.S).group(1))  # type: ignore[union-attr]
    assert "Health of tea" in found["title"]
    [chart] = found["charts"]
    assert chart["width"] > 500 and chart["height"] > 150
    assert chart["painted"] > 28  # 28 days of bars, the line, the axes
    assert found["external"] == 0  # self-contained: nothing loaded from elsewhere

    from PIL import Image

    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    # The chart's bars (orange) and line (blue) are painted, not just the text.
    orange = sum(n for n, (r, g, b) in colours if r > g + 30 and g > b + 30)
    blue = sum(n for n, (r, g, b) in colours if b > r + 80)
    assert orange > 2000 and blue > 200


def test_pulse_config_errors_name_file_line_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(textwrap.dedent("""\
        communities:
          tea:
            discord: {guild: "1"}
            channels: {general: {discord: "11"}, mods: {discord: "44"}}
            plugins:
              pulse:
                rules_reminder:
                  channel: general
                  every: 30m
                  early: {every: 1d, for: 400d}
                topics:
                  channel: general
                  pool: []
                inactivity:
                  nudge_after: 12h
                health:
                  channel: mods
                  every: 59m
        """))
    result = CliRunner().invoke(main, ["check", str(bad)])
    assert result.exit_code == 2
    key = f"{bad}:{{line}}: communities.tea.plugins.pulse."
    for line, where, why in [
        (9, "rules_reminder.every", "30m is too short: at least 1h"),
        (10, "rules_reminder.early.for", "longer than 365d"),
        (13, "topics.pool", "the topic pool is empty"),
        (15, "inactivity.nudge_after", "12h is too short: at least 1d"),
        (18, "health.every", "59m is too short: at least 1h"),
    ]:
        assert f"{key.format(line=line)}{where}: " in result.stderr and why in result.stderr, where


def test_remove_after_needs_a_channel_for_the_moderators() -> None:
    from hearth.bootstrap import load
    from hearth.errors import ConfigError

    text = textwrap.dedent("""\
        communities:
          tea:
            discord: {guild: "1"}
            plugins:
              pulse: {inactivity: {remove_after: 7d}}
        """)
    with pytest.raises(ConfigError, match="moderators"):
        load(text, text=True)


def test_the_chart_library_is_imported_only_when_a_chart_is_drawn() -> None:
    probe = textwrap.dedent("""
        import sys
        from hearth.plugins.pulse import plugin
        assert "matplotlib" not in sys.modules
        from hearth import DayTotals
        from datetime import date
        from hearth.plugins.pulse.chart import draw
        png = draw([DayTotals(day=date(2026, 1, d), messages=d, active_members=1) for d in range(1, 8)],
                   labels=("messages", "active"), title="t")
        assert png.startswith(b"\\x89PNG") and "matplotlib" in sys.modules
        svg = draw([DayTotals(day=date(2026, 1, 1))], labels=("消息数", "活跃成员"), title="标题", fmt="svg")
        assert b"<svg" in svg
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
