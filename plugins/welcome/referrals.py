"""The referral tree: who invited whom, with each branch's size, who stayed a month, removals.

Built from code redemptions and the networks' own invites (:func:`.records.referrals`)
and the ritual's records of each invitee (joined, left, removed). An invitee's inviter is
the latest one recorded for them (a code redeemed after a rejoin replaces the older
inviter). The values are the core's :class:`~hearth.Referral`, which the ``referrals``
hook hands to other plugins and the dashboard; :func:`render` draws them for chat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from hearth import PluginContext, Referral

from . import records
from .records import LEFT, Newcomer, Newcomers

Account = tuple[str, str]

#: an invitee who has been here this long "stayed"
STAYED = timedelta(days=30)
#: lines of a tree shown in chat; the rest are counted
SHOWN_LINES = 40


def stayed(person: Newcomer, now: datetime) -> bool:
    """``person`` was here for :data:`STAYED` after their latest join (leaving later counts)."""
    month = person.joined_at + STAYED
    if person.status == LEFT:
        return person.left_at is not None and person.left_at >= month
    return month <= now


async def tree(ctx: PluginContext, root: Account | None = None) -> list[Referral]:
    """The referral tree of ``ctx``'s community (welcome's context there).

    Without ``root``: every member who invited someone and was invited by nobody, each
    with their branch, biggest branch first. With ``root``: that member's branch alone
    (a list of one; empty when welcome knows nothing of them).
    """
    inviter_of: dict[Account, tuple[Account, str]] = {}
    for edge in await records.referrals(ctx.store):  # oldest first: the latest inviter wins
        if edge["inviter"] != edge["invitee"]:
            inviter_of[edge["invitee"]] = (edge["inviter"], edge["via"])
    invitees: dict[Account, list[Account]] = {}
    for invitee, (inviter, _) in inviter_of.items():
        invitees.setdefault(inviter, []).append(invitee)
    people = {(p.platform, p.member_id): p for p in await Newcomers(ctx.store).everyone()}
    now = ctx.now()

    def node(account: Account, seen: frozenset[Account]) -> Referral:
        seen = seen | {account}
        children = tuple(node(a, seen) for a in invitees.get(account, ()) if a not in seen)
        person = people.get(account)
        record = ctx.member(account)
        name = record.name if record is not None else person.name if person is not None else account[1]
        via = inviter_of[account][1] if account in inviter_of else None
        if person is None:
            return Referral(account=account, name=name, via=via,
                            present=record is not None and record.present, children=children)
        return Referral(account=account, name=name, via=via, joined=person.joined_at,
                        present=person.status != LEFT, stayed=stayed(person, now),
                        removed=person.removed, children=children)

    if root is not None:
        known = root in invitees or root in inviter_of or root in people
        return [node(root, frozenset())] if known else []
    roots = [a for a in invitees if a not in inviter_of]
    # Invitations that go round in a circle have no root: start from their oldest member.
    reached = _reached(roots, invitees)
    for account in inviter_of:
        if account not in reached:
            roots.append(account)
            reached |= _reached([account], invitees)
    return sorted((node(a, frozenset()) for a in roots), key=lambda r: (-r.invited, r.name))


def _reached(starts: Sequence[Account], invitees: dict[Account, list[Account]]) -> set[Account]:
    seen: set[Account] = set()
    todo = list(starts)
    while todo:
        account = todo.pop()
        if account not in seen:
            seen.add(account)
            todo.extend(invitees.get(account, ()))
    return seen


def totals(roots: Sequence[Referral]) -> dict[str, int]:
    """The whole tree's figures: ``inviters`` (members who invited someone), ``invited``,
    ``stayed`` and ``removed``."""
    inviters = 0

    def count(node: Referral) -> None:
        nonlocal inviters
        inviters += bool(node.children)
        for child in node.children:
            count(child)

    for root in roots:
        count(root)
    return {"inviters": inviters, "invited": sum(r.invited for r in roots),
            "stayed": sum(r.stayed_count for r in roots),
            "removed": sum(r.removed_count for r in roots)}


def render(roots: Sequence[Referral], say: Callable[..., str], local: Callable[[datetime], Any],
           limit: int = SHOWN_LINES) -> list[str]:
    """The tree as chat lines (names, not mentions: nobody is pinged), at most ``limit``
    of them, then how many more were left out."""
    lines: list[str] = []
    hidden = 0

    def line(node: Referral, lead: str, branch: str) -> None:
        nonlocal hidden
        if len(lines) >= limit:
            hidden += 1
        else:
            facts = []
            if node.via is not None and node.joined is not None:
                facts.append(say(f"referral_via_{node.via}", date=local(node.joined).strftime("%Y-%m-%d")))
            if node.removed:
                facts.append(say("referral_removed"))
            elif not node.present:
                facts.append(say("referral_left"))
            if node.children:
                facts.append(say("referral_branch", invited=node.invited, stayed=node.stayed_count,
                                 removed=node.removed_count))
            lines.append(f"{lead}{branch}{node.name}" + (f" ({'; '.join(facts)})" if facts else ""))
        for i, child in enumerate(node.children):
            last = i == len(node.children) - 1
            inner = lead + ("" if not branch else "   " if branch == "└─ " else "│  ")
            line(child, inner, "└─ " if last else "├─ ")

    for root in roots:
        line(root, "", "")
    if hidden:
        lines.append(say("referral_more", count=hidden))
    return lines
