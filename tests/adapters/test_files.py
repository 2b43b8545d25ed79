"""Posting a file (Capability.FILES): the testing adapter records it, the console saves it and
prints its path, and a network without files gets the caption alone."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from hearth import Capability, hookimpl
from hearth.adapters.console.repl import Console
from hearth.bootstrap import load

CONFIG = """\
communities:
  tea-house:
    channels: {general: {}}
    plugins: {chart: {}}
"""
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


class Chart:
    """Posts a small PNG on ``!chart``."""

    @hookimpl
    def register_config_schema(self):
        return None

    @hookimpl
    def register_commands(self):
        from hearth import Command

        async def chart(inv):
            await inv.ctx.send_file("general", PNG, "chart.png", text="This week")

        return [Command(name="chart", handler=chart)]


@pytest.mark.asyncio
async def test_the_testing_adapter_records_a_file(hearth_bot) -> None:
    bot = await hearth_bot(CONFIG, members=[{"id": "ann"}], extra_plugins={"chart": Chart()})
    await bot.say("ann", "general", "!chart")
    [sent] = bot.sent("file")
    assert sent == {**sent, "channel": "general", "file": "chart.png", "bytes": len(PNG),
                    "text": "This week"}
    assert list(bot.adapter.files.values()) == [("chart.png", PNG)]


@pytest.mark.asyncio
async def test_without_files_the_caption_is_posted_alone(hearth_bot) -> None:
    bot = await hearth_bot(CONFIG, members=[{"id": "ann"}], extra_plugins={"chart": Chart()},
                           without=[Capability.FILES])
    await bot.say("ann", "general", "!chart")
    assert not bot.sent("file") and [s["text"] for s in bot.sent("send")] == ["This week"]


@pytest.mark.asyncio
async def test_the_console_saves_the_file_and_prints_its_path(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(load(CONFIG, extra_plugins={"chart": Chart()}, text=True),
                      f"sqlite:///{tmp_path / 'c.db'}", out=out)
    feed = iter(["!chart", ""])
    await console.run(lambda: next(feed))
    shown = out.getvalue()
    found = re.search(r"path=(\S+chart\.png)", shown)
    assert found and "file" in shown, shown
    assert _contents(found.group(1)) == PNG


def _contents(path: str) -> bytes:
    return Path(path).read_bytes()


@pytest.mark.asyncio
async def test_an_adapter_without_files_or_pins_names_the_capability() -> None:
    from hearth.errors import CapabilityMissing
    from hearth.models import Channel
    from hearth.ports import Adapter

    class Bare(Adapter):
        name = "bare"

        async def start(self, host):  # pragma: no cover - never started
            pass

        async def stop(self):  # pragma: no cover
            pass

    bare, channel = Bare(account=None, communities={}), Channel(platform="bare", id="1")
    with pytest.raises(CapabilityMissing) as missing:
        await bare.send_file(None, channel, PNG, "chart.png")
    assert missing.value.capability == Capability.FILES
    with pytest.raises(CapabilityMissing) as missing:
        await bare.unpin(None, channel, "m1")
    assert missing.value.capability == Capability.PIN and "bare" in str(missing.value)
