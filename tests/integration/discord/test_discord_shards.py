"""Several ``hearth run`` processes on one PostgreSQL dividing Discord's shards, and a takeover
after ``kill -9``: real subprocesses against the wire-level fake Discord."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable
from pathlib import Path

import pytest
from click.testing import CliRunner
from discord_host import eventually
from discord_host import holders as shard_holders

from fake_discord import FakeDiscord, Guild, Op
from hearth.cli import main
from hearth.storage import Database

#: a lease lasts 3 s here (renewed every second), instead of 20 s
LAUNCH = ("import sys; from datetime import timedelta; from hearth.app import App; "
          "App.lease_ttl = timedelta(seconds=3); from hearth.cli import main; "
          "main(['run', sys.argv[1]])")
TOKEN_ENV = "HEARTH_TEST_DISCORD_TOKEN"
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
AD = "Cheap followers at https://spam.example.com"


def config_yaml(fake: FakeDiscord, url: str, tea: Guild, cake: Guild) -> str:
    other_day = DAYS[(dt.datetime.now(dt.UTC).weekday() + 2) % 7]  # an ad window never "now"

    def community(guild: Guild) -> str:
        return f"""
    timezone: UTC
    discord: {{guild: "{guild.id}"}}
    channels:
      general: {{discord: "{guild.channel_named('general').id}"}}
      ads: {{discord: "{guild.channel_named('ads').id}"}}
    roles:
      leader: {{discord: "{guild.role_named('Leader').id}"}}
    plugins:
      flash: {{creators: leader, on_close: delete}}
      welcome:
        channel: general
        message: "Welcome {{mention}} to {{community}}!"
        accept: {{command: agree, within: 8s, on_timeout: kick}}
      ad_window:
        windows: [{{days: [{other_day}], from: "20:00", to: "21:00"}}]
        ad_channels: [ads]
        escalation: [warn, {{mute: 1h}}]
"""
    return f"""
storage: {json.dumps(url)}
command_prefix: "!"
accounts:
  discord:
    token: ${{{TOKEN_ENV}}}
    api_url: {fake.api_url}
    shards: {{count: 2, per_process: 2}}
communities:
  tea:{community(tea)}
  cake:{community(cake)}
"""


class Processes:
    """``hearth run`` processes started from one config file."""

    def __init__(self, config: Path, env: dict[str, str], logs: Path) -> None:
        self.config, self.env, self.logs = config, env, logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.logs / f"hearth-{len(self.started)}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-c", LAUNCH, str(self.config)], env=self.env,
                                stdout=log, stderr=subprocess.STDOUT, cwd=self.logs)
        log.close()
        self.started.append(proc)
        return proc

    def output(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))

    def stop(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.started:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def holders(db: Database) -> dict[str, int]:
    """Each live shard lease's holder process id."""
    return {key: int(holder.split(":")[1]) for key, holder in (await shard_holders(db)).items()}


def connected_shards(fake: FakeDiscord) -> list[list[int]]:
    return sorted(s.shard for s in fake.gateway.live_sessions()
                  if s.connection is not None and s.shard is not None)


@pytest.mark.asyncio
async def test_two_processes_split_the_shards_and_one_takes_over_after_kill_9(
        postgres_url: str, database: Database, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async with FakeDiscord() as fake:
        monkeypatch.setenv(TOKEN_ENV, fake.token)  # for hearth status, reading the config
        fake.state.max_concurrency = 16  # shards identify at once (no 5 s wait between them)
        dave, fran = fake.add_user("dave"), fake.add_user("fran")
        tea = fake.add_guild("Tea", channels=("general", "ads"), shard=(0, 2))
        cake = fake.add_guild("Cake", members=[dave, fran], channels=("general", "ads"),
                              shard=(1, 2))
        for guild in (tea, cake):
            guild.add_role("Leader", permissions=0)
        cake.members[fran.id].roles.append(cake.role_named("Leader").id)  # fran opens a group
        general = cake.channel_named("general")
        config = tmp_path / "hearth.yaml"
        config.write_text(config_yaml(fake, postgres_url, tea, cake))
        processes = Processes(config, {**os.environ, TOKEN_ENV: fake.token}, tmp_path)
        try:
            first = processes.start()
            # Alone, the first process claims both shards (its fair share is 2 of 2).
            await eventually(lambda: _is(holders(database), {"discord shard 0/2": first.pid,
                                                            "discord shard 1/2": first.pid}),
                             "the first process holds both shards")
            second = processes.start()
            # Two live processes: the first gives back one shard, the second claims it.
            await eventually(lambda: _split(database, fake), "the shards are split", 60)
            # The second has started: registered cake's slash commands again once connected (its
            # IDENTIFY waited for the first's to be 5 s old).
            await eventually(lambda: _registered(fake, cake, 2), "the second process started")
            owner = (await holders(database))["discord shard 1/2"]
            assert {owner, first.pid} <= {first.pid, second.pid}
            doomed = first if owner == first.pid else second
            survivor = second if doomed is first else first
            status = await asyncio.to_thread(CliRunner().invoke, main, ["status", str(config)])
            assert status.exit_code == 0, status.output
            lines = status.output.splitlines()
            assert any(f"(pid {doomed.pid} " in line and line.endswith(
                "owns discord shard 1/2 (cake)") for line in lines), status.output
            assert any(f"(pid {survivor.pid} " in line and line.endswith(
                "owns discord shard 0/2 (tea)") for line in lines), status.output

            carol = fake.add_user("carol")
            await fake.user_joins(cake, carol)
            await fake.wait_for_request("POST", f"/channels/{general.id}/messages", 60,
                                        predicate=lambda r: f"<@{carol.id}>" in str(r.json))
            ad = await fake.user_says(general, dave, AD)
            await fake.wait_for_request("DELETE", f"/channels/{general.id}/messages/{ad.id}", 60)
            ix = await fake.invoke_slash(cake, general, fran, "flash",
                                         {"title": "Night talk", "duration": "12s",
                                          "members": f"<@{dave.id}>"})
            # The group is open (and its end scheduled) once the command is answered.
            answer = await fake.wait_for_request(
                "PATCH", f"/webhooks/{fake.application_id}/{ix.token}/messages/@original", 60)
            assert "night-talk" in str(answer.json["content"])
            group = cake.channel_named("night-talk")
            # Once its position is saved (every second), the process dies without a word.
            await eventually(lambda: _saved(database, cake.id, ad.id, carol.id),
                             "the owner saved its Discord position")
            doomed.send_signal(signal.SIGKILL)
            doomed.wait()

            # Within the lease's expiry, the survivor holds both shards again and connects.
            await eventually(lambda: _is(holders(database), {"discord shard 0/2": survivor.pid,
                                                            "discord shard 1/2": survivor.pid}),
                             "the survivor took the shard over", 60)
            await eventually(lambda: _sessions(fake, [[0, 2], [1, 2]]),
                             "the survivor runs both shards")
            # Events after the takeover are handled: a join is welcomed ...
            erin = fake.add_user("erin")
            await fake.user_joins(cake, erin)
            await fake.wait_for_request("POST", f"/channels/{general.id}/messages", 60,
                                        predicate=lambda r: f"<@{erin.id}>" in str(r.json))
            # ... the dead process's strike counts: a second ad is the second step, a mute ...
            mark = fake.request_mark()
            again = await fake.user_says(general, dave, "Again https://spam.example.com/deal")
            await fake.wait_for_request("DELETE", f"/channels/{general.id}/messages/{again.id}", 60)
            await fake.wait_for_request("PATCH", f"/guilds/{cake.id}/members/{dave.id}", 60,
                                        since=mark)
            # ... and the rules deadline it scheduled for carol runs, once, on the survivor.
            await fake.wait_for_request("DELETE", f"/guilds/{cake.id}/members/{carol.id}", 60)
            # ... and so does the end of the group it opened.
            await fake.wait_for_request("DELETE", f"/channels/{group.id}", 60)
            assert survivor.poll() is None
        except BaseException:
            processes.stop()
            print(processes.output())  # the processes' logs, for the failure
            raise
        processes.stop()
        out = processes.output()
        welcomes = [r for r in fake.find_requests("POST", f"/channels/{general.id}/messages")
                    if "Welcome" in str(r.json)]
        assert sorted(str(r.json["content"]).split()[1] for r in welcomes) == sorted(
            [f"<@{carol.id}>", f"<@{erin.id}>"]), out
        assert len(fake.find_requests("DELETE", f"/channels/{general.id}/messages/{ad.id}")) == 1
        assert len(fake.find_requests("DELETE", f"/guilds/{cake.id}/members/{carol.id}")) == 1
        assert len(fake.find_requests("DELETE", f"/channels/{group.id}")) == 1
        assert "Traceback" not in out, out


async def _is(found: Awaitable[dict[str, int]], wanted: dict[str, int]) -> bool:
    return await found == wanted


async def _split(db: Database, fake: FakeDiscord) -> bool:
    """Each process holds one shard and runs it: the first connected anew with its shard
    (each shard identified twice: by the first process alone, then by its holder)."""
    held = await holders(db)
    identified = [f.d["shard"] for f in fake.gateway_frames
                  if f.direction == "recv" and f.op == Op.IDENTIFY]
    return (len(held) == 2 and len(set(held.values())) == 2
            and connected_shards(fake) == [[0, 2], [1, 2]]
            and identified.count([0, 2]) == 2 and identified.count([1, 2]) == 2)


async def _registered(fake: FakeDiscord, guild: Guild, times: int) -> bool:
    path = f"/applications/{fake.application_id}/guilds/{guild.id}/commands"
    return len(fake.find_requests("PUT", path)) >= times


async def _sessions(fake: FakeDiscord, wanted: list[list[int]]) -> bool:
    return connected_shards(fake) == wanted


async def _saved(db: Database, guild_id: int, message_id: int, member_id: int) -> bool:
    rows = await db.fetch("SELECT key, value FROM hearth_kv WHERE namespace = 'adapter:discord'"
                          " AND key IN (?, ?)", (f"positions:{guild_id}", f"members:{guild_id}"))
    found = {r["key"]: r["value"] for r in rows}
    return (str(message_id) in found.get(f"positions:{guild_id}", "")
            and str(member_id) in found.get(f"members:{guild_id}", ""))
