"""Tasks the admins hand to the leaders (``leaders_tasks``, numbered 1, 2, … per community).

``!task TEXT`` (admin) posts a task to the council; ``!claim ID`` takes it,
``!done ID`` marks it done (a leader may finish an open task at once);
``!tasks`` lists the open and claimed ones. A task nobody claimed is posted
again every day (a job per task, ``task:ID``, so a restart loses nothing),
and every week the owner gets the list of what was done by whom.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hearth import (
    Command,
    CommandError,
    Invocation,
    Job,
    Param,
    PluginContext,
    Role,
    Text,
    mention,
    to_ms,
)
from hearth.plugins.leaders import council
from hearth.plugins.leaders.texts import say_for

OPEN, CLAIMED, DONE = "open", "claimed", "done"
#: an unclaimed task is posted again this long after the last time
AGAIN = timedelta(days=1)
JOB = "task:"
DIGEST = "digest"
WEEK = timedelta(days=7)


def who(ctx: PluginContext, person: int) -> Text:
    """A person as a mention (their first account here, even one who left)."""
    records = ctx.accounts(person)
    return Text(mention(records[0])) if records else Text(f"#{person}")


async def _task(ctx: PluginContext, number: int) -> Any:
    """Task ``number``'s row; a reply saying there is none otherwise."""
    row = await ctx.store.select_one("tasks", "id = ?", (number,))
    if row is None:
        raise CommandError(say_for(ctx)("no_task", id=number, prefix=ctx.prefix))
    return row


async def create(inv: Invocation) -> Text:
    ctx, say = inv.ctx, say_for(inv.ctx)
    if ctx.config.channel is None:
        raise CommandError(say("no_council"))
    text = inv.args["text"]
    by = (await ctx.person(inv.member)).id
    async with ctx.store.transaction():
        number = int(await ctx.store.select_value("tasks", "COALESCE(MAX(id), 0)") or 0) + 1
        await ctx.store.insert("tasks", {"id": number, "text": text, "by_person": by, "state": OPEN,
                                         "created_ms": to_ms(ctx.now())})
    await council.post(ctx, say("task_posted", id=number, text=text, prefix=ctx.prefix))
    await ctx.schedule(f"{JOB}{number}", ctx.now() + AGAIN, data={"id": number})
    return say("task_created", id=number)


async def claim(inv: Invocation) -> Text:
    ctx, say = inv.ctx, say_for(inv.ctx)
    number = inv.args["id"]
    task = await _task(ctx, number)
    me = (await ctx.person(inv.member)).id
    if task["state"] == DONE:
        raise CommandError(say("task_is_done", id=number))
    if task["state"] == CLAIMED:
        if task["claimed_by"] == me:
            raise CommandError(say("task_yours", id=number, prefix=ctx.prefix))
        raise CommandError(say("task_taken", id=number, who=who(ctx, int(task["claimed_by"]))))
    await ctx.store.update("tasks", {"state": CLAIMED, "claimed_by": me, "claimed_ms": to_ms(ctx.now())},
                           "id = ? AND state = ?", (number, OPEN))
    await ctx.cancel(f"{JOB}{number}")
    return say("claimed", id=number, text=task["text"], prefix=ctx.prefix)


async def done(inv: Invocation) -> Text:
    ctx, say = inv.ctx, say_for(inv.ctx)
    number = inv.args["id"]
    task = await _task(ctx, number)
    me = (await ctx.person(inv.member)).id
    if task["state"] == DONE:
        raise CommandError(say("task_is_done", id=number))
    if task["state"] == CLAIMED and task["claimed_by"] != me:
        raise CommandError(say("task_taken", id=number, who=who(ctx, int(task["claimed_by"]))))
    now = to_ms(ctx.now())
    await ctx.store.update("tasks", {"state": DONE, "claimed_by": me, "done_ms": now,
                                     "claimed_ms": task["claimed_ms"] or now}, "id = ?", (number,))
    await ctx.cancel(f"{JOB}{number}")
    return say("task_done", id=number)


async def listing(inv: Invocation) -> Text:
    ctx, say = inv.ctx, say_for(inv.ctx)
    rows = await ctx.store.select("tasks", "state <> ?", (DONE,), order_by="id")
    if not rows:
        return say("no_tasks")
    lines = [say("tasks_head")]
    for r in rows:
        if r["state"] == OPEN:
            lines.append(say("task_open", id=r["id"], text=r["text"]))
        else:
            lines.append(say("task_claimed", id=r["id"], text=r["text"], who=who(ctx, int(r["claimed_by"]))))
    return Text("\n").join(lines)


async def unclaimed(ctx: PluginContext) -> int:
    """How many tasks nobody has claimed yet."""
    return int(await ctx.store.select_value("tasks", "COUNT(*)", "state = ?", (OPEN,)) or 0)


async def again(ctx: PluginContext, job: Job) -> None:
    """A task's day is up: still unclaimed, it is posted again (and again a day later)."""
    number = int(job.data["id"])
    row = await ctx.store.select_one("tasks", "id = ?", (number,))
    if row is None or row["state"] != OPEN:
        return
    await council.post(ctx, say_for(ctx)("task_again", id=number, text=row["text"], prefix=ctx.prefix))
    await ctx.schedule(job.key, ctx.now() + AGAIN, data=job.data)


async def digest(ctx: PluginContext) -> Text | None:
    """What the leaders did over the last week, by whom (None: nothing was done)."""
    say = say_for(ctx)
    rows = await ctx.store.select("tasks", "state = ? AND done_ms >= ?",
                                  (DONE, to_ms(ctx.now() - WEEK)), order_by="done_ms, id")
    if not rows:
        return None
    lines = [say("digest_head", community=ctx.key, count=len(rows))]
    lines += [say("digest_line", id=r["id"], text=r["text"], who=who(ctx, int(r["claimed_by"])))
              for r in rows]
    return Text("\n").join(lines)


number = (Param("id", "int", bounds=(1, 1_000_000_000)),)
COMMANDS = (
    Command(name="task", handler=create, params=(Param("text", "rest"),), min_role=Role.ADMIN,
            help="post a task to the leaders' council"),
    Command(name="claim", handler=claim, params=number, min_role=Role.LEADER,
            help="take a task (a leader)"),
    Command(name="done", handler=done, params=number, min_role=Role.LEADER,
            help="mark your task done"),
    Command(name="tasks", handler=listing, min_role=Role.MEMBER,
            help="the open and claimed tasks"),
)
