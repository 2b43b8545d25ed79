"""``hearth simulate``: replay a scenario against a config (the contract is docs/SCENARIO.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from hearth.bootstrap import Loaded
from hearth.clock import MAX_JUMP, check_instant
from hearth.config import Duration, RoleName, _issue_from, load_source, longest
from hearth.errors import ConfigError, ConfigIssue, HearthError


def _aware(value: Any) -> datetime:
    when = datetime.fromisoformat(str(value)) if not isinstance(value, datetime) else value
    if when.tzinfo is None:
        raise ValueError(f"{value!r} needs a UTC offset, e.g. 2026-11-20T19:00:00+08:00")
    return check_instant(when)


Instant = Annotated[datetime, BeforeValidator(_aware)]
def _member_id(value: Any) -> str:
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        raise ValueError("a member id is one word, such as alice (it is mentioned as @alice)")
    return value


MemberId = Annotated[str, BeforeValidator(_member_id)]
"""A member's id: mentioned as ``@<id>``, so neither empty nor with spaces."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Network = Literal["discord", "matrix"]


class _Member(_Strict):
    id: MemberId
    name: str | None = None
    role: RoleName = Field(default="member", validate_default=True)
    platform: Network | None = None


class _Join(_Strict):
    id: MemberId
    name: str | None = None
    invited_by: MemberId | None = None
    platform: Network | None = None


class _Say(_Strict):
    id: MemberId
    channel: str
    text: str
    ref: str | None = None
    reply_to: str | None = None


class _Dm(_Strict):
    id: MemberId
    text: str
    ref: str | None = None


class _React(_Strict):
    id: MemberId
    to: str
    emoji: str
    in_: str = Field("dm", alias="in")


class _Edit(_Strict):
    id: MemberId
    ref: str
    text: str


class _Leave(_Strict):
    id: MemberId


class _Step(_Strict):
    join: _Join | None = None
    say: _Say | None = None
    dm: _Dm | None = None
    react: _React | None = None
    edit: _Edit | None = None
    wait: Annotated[Duration, longest(MAX_JUMP)] | None = None
    at: Instant | None = None
    leave: _Leave | None = None


class Scenario(_Strict):
    """A validated scenario file."""

    community: str
    platform: Network | None = None
    start: Instant
    members: list[_Member] = []
    steps: list[_Step] = []


@dataclass
class _Parsed:
    scenario: Scenario
    lines: list[int | None]
    file: str


def load_scenario(path: str | Path, loaded: Loaded) -> _Parsed:
    """Read and validate a scenario against the config; :class:`ConfigError` on problems."""
    src = load_source(path)
    if any(not i.warning for i in src.issues):
        raise ConfigError(src.issues)
    issues: list[ConfigIssue] = []
    steps = src.data.get("steps") or []
    if isinstance(steps, list):
        for i, step in enumerate(steps):
            if not isinstance(step, dict) or len(step) != 1:
                file, line = src.locate(("steps", i))
                issues.append(ConfigIssue(file, line, f"steps[{i}]",
                    f"each step is one of {', '.join(_Step.model_fields)}"))  # fmt: skip
    try:
        scenario = Scenario.model_validate(src.data)
    except ValidationError as exc:
        issues.extend(_issue_from(e, (), Scenario, src) for e in exc.errors())
        raise ConfigError(issues) from exc
    issues.extend(_duplicate_refs(scenario, src))
    if issues:
        raise ConfigError(issues)
    file = str(path)
    community = loaded.config.communities.get(scenario.community)
    if community is None:
        f, line = src.locate(("community",))
        known = ", ".join(loaded.config.communities)
        raise ConfigError([ConfigIssue(f, line, "community",
            f"no community {scenario.community!r} in the config (communities: {known})")])  # fmt: skip
    issues.extend(_foreign_networks(scenario, community.platforms(), src))
    if issues:
        raise ConfigError(issues)
    lines = [src.locate(("steps", i))[1] for i in range(len(scenario.steps))]
    return _Parsed(scenario, lines, file)


def networks(scenario: Scenario, bound: list[str]) -> list[str]:
    """The networks to imitate at once: the default one (``platform``, else the community's
    first) and every other a member is on; empty when all are on the default one."""
    default = scenario.platform or (bound[0] if bound else "discord")
    named = {m.platform for m in scenario.members} | {s.join.platform for s in scenario.steps if s.join}
    others = sorted(p for p in named if p is not None and p != default)
    return [default, *others] if others else []


def _foreign_networks(scenario: Scenario, bound: list[str], src: Any) -> list[ConfigIssue]:
    """A member on a network the community is not bound to."""
    issues = []
    for where, platform in [(("members", i), m.platform) for i, m in enumerate(scenario.members)] + [
            (("steps", i, "join"), s.join.platform) for i, s in enumerate(scenario.steps) if s.join]:
        if platform is not None and bound and platform not in bound:
            file, line = src.locate((*where, "platform"))
            issues.append(ConfigIssue(file, line, ".".join(map(str, where)) + ".platform",
                                      f"community {scenario.community!r} is not on {platform} "
                                      f"(it is on: {', '.join(bound)})"))
    return issues


def _duplicate_refs(scenario: Scenario, src: Any) -> list[ConfigIssue]:
    """A message id (``ref``, else ``s<N>``) given to two messages: the later would be lost."""
    first: dict[str, int | None] = {}
    issues = []
    for i, step in enumerate(scenario.steps):
        message = step.say or step.dm
        if message is None:
            continue
        ref = message.ref or f"s{i + 1}"
        file, line = src.locate(("steps", i))
        if ref in first:
            issues.append(ConfigIssue(file, line, f"steps[{i}]",
                                      f"ref {ref!r} is already the id of the message on line {first[ref]}"))
        else:
            first[ref] = line
    return issues


def human(action: dict[str, Any]) -> str:
    """One readable line for an action."""
    when = action["time"][:16].replace("T", " ")
    kind = action["action"]
    rest = {k: v for k, v in action.items() if k not in ("time", "action")}
    if "community" in rest:
        when = f"{when} [{rest.pop('community')}]"
    text = rest.pop("text", None)
    rest.pop("choices", None)  # a question's text lists them, numbered
    rest.pop("html", None)  # the text shows what it says
    where = f"#{rest.pop('channel')}" if "channel" in rest else ""
    who = f"@{rest.pop('member')}" if "member" in rest else ""
    head = " ".join(p for p in (when, kind, where, who) if p)
    details = " ".join(f"{k}={v}" for k, v in rest.items())
    body = "" if text is None else "\n    " + text.replace("\n", "\n    ")
    return f"{head} {details}".rstrip() + body


async def run_scenario(
    loaded: Loaded, parsed: _Parsed, emit: Callable[[dict[str, Any]], None]
) -> int:
    """Replay the scenario; call ``emit`` with each action as it happens; return the count."""
    from hearth.adapters.testing.harness import TestBot  # the in-memory adapter

    scenario = parsed.scenario
    bot = TestBot(loaded, community=scenario.community, start=scenario.start,
                  platform=scenario.platform,
                  networks=networks(scenario, loaded.config.communities[scenario.community].platforms()))
    for m in scenario.members:
        bot.add_member(m.id, m.name, m.role, platform=m.platform)
    count = 0

    def flush() -> None:
        nonlocal count
        for action in bot.take():
            emit(action)
            count += 1

    try:
        await bot.start()
        flush()
        for number, (step, line) in enumerate(zip(scenario.steps, parsed.lines, strict=True), 1):
            try:
                await _run_step(bot, step, f"s{number}")
            except (HearthError, ValueError) as exc:
                issue = ConfigIssue(parsed.file, line, f"steps[{number - 1}]", str(exc))
                raise ConfigError([issue]) from exc
            flush()
    finally:
        await bot.close()
    return count


async def _run_step(bot: Any, step: _Step, default_id: str) -> None:
    if step.join:
        await bot.join(step.join.id, step.join.name, step.join.invited_by, platform=step.join.platform)
    elif step.say:
        s = step.say
        await bot.say(s.id, s.channel, s.text, ref=s.ref or default_id, reply_to=s.reply_to)
    elif step.dm:
        await bot.dm(step.dm.id, step.dm.text, ref=step.dm.ref or default_id)
    elif step.react:
        r = step.react
        await bot.react(r.id, r.to, r.emoji, in_=r.in_)
    elif step.edit:
        await bot.edit(step.edit.id, step.edit.ref, step.edit.text)
    elif step.wait is not None:
        await bot.wait(step.wait)
    elif step.at is not None:
        await bot.at(step.at)
    elif step.leave:
        await bot.leave(step.leave.id)


def dumps(action: dict[str, Any]) -> str:
    return json.dumps(action, ensure_ascii=False)
