"""``hearth status``: the processes sharing a database, what each owns, and the backlogs
(jobs, and events stored for the process acting for their community).

A process that has not renewed within the lease expiry is shown as gone (it
died, or its database connection did): its row stays until a live process
deletes it, a day after it was last seen (:data:`~hearth.leases.PROCESS_KEEP`)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from hearth.leases import DATABASE_NOW, LEASE_TTL
from hearth.storage import Database


def _age(ms: int) -> str:
    """``ms`` milliseconds for a person: ``4.2s``, ``12m05s``, ``3h07m``, ``2d04h``."""
    seconds = ms / 1000
    if abs(seconds) < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d{whole % 86400 // 3600:02d}h"


async def status(db: Database, follows: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Lines describing the processes, their leases and the jobs in ``db``.

    A process not seen within the lease expiry (:data:`~hearth.leases.LEASE_TTL`) is
    shown as gone, owning nothing.

    ``follows``: every claimed part (a Discord shard, a Matrix sync) with its communities
    (a shard's guilds), named beside the part's lease; a process's parts are listed after
    its communities."""
    follows = follows or {}

    def named(key: str) -> str:
        return f"{key} ({', '.join(sorted(follows[key]))})" if follows.get(key) else key

    if db.dialect == "postgresql":
        now = int(await db.fetchval(f"SELECT {DATABASE_NOW}"))
    else:
        now = int(time.time() * 1000)
    tables = set(await db.tables())
    if "hearth_jobs" not in tables:
        return [f"{db.where} holds no Hearth state yet"]
    lines = []
    processes, leases = [], []
    if "hearth_leases" in tables:  # else a Hearth older than several processes wrote it
        processes = await db.fetch("SELECT * FROM hearth_processes ORDER BY name")
        leases = await db.fetch("SELECT * FROM hearth_leases ORDER BY community")
    if db.dialect != "postgresql":
        lines.append("processes: one (SQLite): it owns every community")
    elif not processes:
        lines.append("processes: none running")
    else:
        ttl_ms = int(LEASE_TTL.total_seconds() * 1000)
        live = [p for p in processes if now - p["seen_ms"] < ttl_ms]
        lines.append(f"processes: {len(live)} running" + (
            f", {len(processes) - len(live)} gone" if len(live) < len(processes) else ""))
        for p in processes:
            seen = _age(now - p["seen_ms"])
            if p not in live:
                lines.append(f"  {p['name']} (pid {p['pid']} on {p['host']}): GONE, last seen "
                             f"{seen} ago (started {_age(now - p['started_ms'])} ago)")
                continue
            held = [r["community"] for r in leases if r["holder"] == p["name"]
                    and r["expires_ms"] > now]
            owns = [named(k) for k in sorted(held, key=lambda k: (k in follows, k))]
            lines.append(f"  {p['name']} (pid {p['pid']} on {p['host']}): last seen "
                         f"{seen} ago, up {_age(now - p['started_ms'])},"
                         f" owns {', '.join(owns) or 'nothing (standby)'}")
    if leases:
        lines.append("leases:")
        for r in leases:
            state = (f"expires in {_age(r['expires_ms'] - now)}" if r["expires_ms"] > now
                     else f"EXPIRED {_age(now - r['expires_ms'])} ago")
            lines.append(f"  {named(r['community'])}: {r['holder']}, held {_age(now - r['since_ms'])},"
                         f" renewed {_age(now - r['renewed_ms'])} ago, {state}")
    rows = await db.fetch(
        "SELECT community, COUNT(*) AS total, SUM(CASE WHEN due_ms <= ? THEN 1 ELSE 0 END) AS due,"
        " MIN(due_ms) AS oldest FROM hearth_jobs GROUP BY community ORDER BY community", (now,))
    if not rows:
        lines.append("jobs: none")
    else:
        lines.append("jobs (due now / scheduled):")
        for r in rows:
            due = int(r["due"] or 0)
            late = f", the oldest {_age(now - r['oldest'])} late" if due else ""
            lines.append(f"  {r['community']}: {due} / {r['total']}{late}")
    for table, heading in (("hearth_inbox", "events stored for the process acting for their community:"),
                           ("hearth_outbound", "actions queued and not yet delivered (stored):")):
        if table in tables:
            counts = await db.fetch(f"SELECT community, COUNT(*) AS n FROM {table}"
                                    " GROUP BY community ORDER BY community")
            if counts:
                lines.append(heading)
                lines.extend(f"  {r['community']}: {r['n']}" for r in counts)
    return lines
