"""The networks' SDKs are imported only when their adapter starts.

discord.py, matrix-nio and aiohttp cost about 30 MiB of memory. Validating a
config that names Discord and Matrix, the console and the testing adapter
need none of them. Each check runs in a fresh interpreter, whose
``sys.modules`` shows what was imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

EXAMPLE = Path(__file__).parent.parent / "examples" / "community.yaml"
HEAVY = ("discord", "nio", "aiohttp", "matplotlib")


def imported_by(code: str) -> list[str]:
    """Which of the heavy packages are in ``sys.modules`` after running ``code``."""
    probe = textwrap.dedent(code) + textwrap.dedent(f"""
        import json, sys
        print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & {set(HEAVY)!r})))
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_the_example_names_both_networks() -> None:
    community = next(iter(yaml.safe_load(EXAMPLE.read_text())["communities"].values()))
    assert {"discord", "matrix"} <= community.keys()


def test_the_probe_sees_an_sdk_that_was_imported() -> None:
    assert imported_by("import nio") == ["aiohttp", "nio"]


def test_validating_a_config_that_names_both_networks_imports_no_sdk() -> None:
    assert imported_by(f"""
        from hearth.bootstrap import load
        loaded = load({str(EXAMPLE)!r})
        assert loaded.config.communities
        for name in ("discord", "matrix"):  # the adapter classes and their schemas are loaded
            assert loaded.adapters[name].cls.binding_schema is not None
    """) == []


def test_the_testing_path_imports_no_sdk() -> None:
    assert imported_by(f"""
        import asyncio
        from hearth.adapters.testing import TestBot

        async def main():
            async with await TestBot.create({str(EXAMPLE)!r}) as bot:
                await bot.join("alice", "Alice")
                await bot.say("alice", "general", "!help")
                assert bot.sent("send"), bot.actions

        asyncio.run(main())
    """) == []


def test_the_console_imports_no_sdk(tmp_path: Path) -> None:
    assert imported_by(f"""
        from click.testing import CliRunner
        from hearth.cli import main
        result = CliRunner().invoke(main, ["console", {str(EXAMPLE)!r},
                                           "--db", {str(tmp_path / "c.db")!r}],
                                    input="/join alice Alice\\n!help\\n/quit\\n")
        assert result.exit_code == 0, result.output
        assert "@alice joined" in result.stdout
    """) == []


def test_a_configured_dashboard_imports_aiohttp_only_to_serve(tmp_path: Path) -> None:
    """``!dashboard`` issues links without the web server; aiohttp waits for ``hearth run``."""
    config = tmp_path / "web.yaml"
    config.write_text("web: {}\n" + EXAMPLE.read_text())
    assert imported_by(f"""
        import asyncio
        from hearth.adapters.testing import TestBot

        async def main():
            admin = [{{"id": "ada", "role": "admin"}}]
            async with await TestBot.create({str(config)!r}, members=admin) as bot:
                await bot.say("ada", "general", "!dashboard")
                assert any("/login/" in a["text"] for a in bot.sent("dm")), bot.actions

        asyncio.run(main())
    """) == []
