"""Hearth's reaction latency on Matrix next to a bare matrix-nio round trip, same Synapse.

Hearth: a member sends ``!help`` in a community room; the time until the member's
syncing client sees the bot's reply (the App with the built-in plugins, the Matrix
adapter, its sync loop, the dispatcher, the outbox). Bare nio: user A sends, syncing
user B receives (:mod:`matrix_bare_latency`)::

    python benchmarks/matrix_latency.py                # starts its own Synapse
    python benchmarks/matrix_latency.py -n 200 --json

Trips are spaced by ``--pause`` seconds (default 0.25) so the per-room send rate
(``MatrixAdapter.send_rate``) never throttles: this measures reaction, not throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matrix_bare_latency import (
    EventWaiter,
    LatencyStats,
    _harness,
    _login,
    bare_nio_latency,
    measure_round_trips,
    message_trip,
    synapse_for,
    syncing,
)
from nio import MatrixRoom
from nio.events import Event

CONFIG = """
command_prefix: "!"
accounts:
  matrix:
    homeserver: {url}
    user_id: "{bot}"
    access_token: {token}
communities:
  bench:
    timezone: UTC
    matrix: {{space: "{space}"}}
    channels:
      general: {{matrix: "{general}"}}
    plugins:
      welcome: {{channel: general, accept: {{on_timeout: nothing}}}}
      ad_window: {{}}
      flash: {{}}
"""


async def hearth_latency(url: str, secret: str, n: int = 100, warmup: int = 5,
                         pause: float = 0.25) -> LatencyStats:
    """Start Hearth (App + MatrixAdapter + built-in plugins); time ``!help`` -> reply."""
    from hearth.adapters.matrix import ops
    from hearth.adapters.matrix.adapter import MatrixAdapter
    from hearth.app import App, bindings_for
    from hearth.bootstrap import load

    harness = _harness()
    tag = f"{int(time.time() * 1000) % 10**9}"
    owner = await _login(url, secret, f"hl_owner_{tag}")
    bot = await _login(url, secret, f"hl_bot_{tag}")
    member = await _login(url, secret, f"hl_member_{tag}")
    space = await harness.create_space_with_rooms(owner, "Bench", ("general",))
    general = space.rooms["general"]
    for room_id in (space.space_id, general):
        await ops.invite(owner, room_id, bot.user_id)
        await ops.set_power_level(owner, room_id, bot.user_id, 100)
        await ops.join(member, room_id)

    text = CONFIG.format(url=url, bot=bot.user_id, token=bot.access_token, space=space.space_id,
                         general=general)
    loaded = load(text, text=True, strict_accounts=True)
    adapter = MatrixAdapter(account=loaded.config.accounts["matrix"],
                            communities=bindings_for(loaded.config, MatrixAdapter))
    with tempfile.TemporaryDirectory() as tmp:
        app = App(loaded.config, loaded.plugins, [adapter], storage=f"sqlite:///{tmp}/bench.db")
        await app.start()
        try:
            waiter = EventWaiter(member)
            async with syncing(member):
                async def trip(i: int) -> float:
                    body = "!help"

                    def is_answer(room: MatrixRoom, event: Event) -> bool:
                        return (room.room_id == general and event.sender == bot.user_id
                                and "help" in str(getattr(event, "body", "")))

                    if i and pause:
                        await asyncio.sleep(pause)
                    return await message_trip(member, waiter, general, body, reply_pred=is_answer)

                return await measure_round_trips(trip, n=n, warmup=warmup)
        finally:
            await app.stop()
            for client in (owner, bot, member):
                await client.close()


async def both(url: str, secret: str, n: int, pause: float) -> dict[str, LatencyStats]:
    bare = await bare_nio_latency(url, secret, n=n)
    hearth = await hearth_latency(url, secret, n=n, pause=pause)
    return {"bare_nio": bare, "hearth": hearth}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="existing Synapse (default: start one)")
    parser.add_argument("--secret", help="its registration_shared_secret")
    parser.add_argument("-n", type=int, default=100, help="measured trips each (default 100)")
    parser.add_argument("--pause", type=float, default=0.25, help="seconds between Hearth trips")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)

    info: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        url, secret = synapse_for(args, stack, info)
        results = asyncio.run(both(url, secret, args.n, args.pause))
    if args.json:
        print(json.dumps({k: v.as_dict() for k, v in results.items()} | info, indent=1))
        return
    print(results["bare_nio"].line("bare nio A->B round trip      "))
    print(results["hearth"].line("Hearth !help -> bot's reply   "))
    extra = results["hearth"].median_ms - results["bare_nio"].median_ms
    print(f"Hearth adds {extra:.1f} ms at the median (one more hop: the bot's own sync and send)")


if __name__ == "__main__":
    main()
