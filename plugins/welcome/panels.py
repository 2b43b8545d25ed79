"""welcome's panels on the web dashboard: newcomers waiting for approval, the referral tree,
and a join wave on hold. Built from welcome's own records; reading only."""

from __future__ import annotations

from hearth import Panel, PanelAction, PanelRow, PluginContext, Referral, Role

from . import referrals as tree
from . import ritual, waves
from .records import Newcomers

#: members of the referral tree shown on the dashboard; the rest are counted
SHOWN = 200


async def panels(ctx: PluginContext) -> list[Panel]:
    """The panels for ``ctx``'s community: approvals (with ``gate.approval``), a join wave
    on hold (with ``raid``), and the referral tree."""
    say = ritual.say_for(ctx)
    out: list[Panel] = []
    approval = ctx.config.gate.approval
    if approval is not None:
        out.append(await _approvals(ctx, approval.by))
    if ctx.config.raid is not None:
        wave = await waves.current(ctx)
        if wave is not None:
            out.append(Panel(
                title=say("panel_wave"), min_role=Role.ADMIN,
                note=say("panel_wave_note", count=wave.joins, until=ctx.local(wave.ends).strftime("%H:%M")),
                columns=(say("panel_joins"),),
                rows=(PanelRow(cells=(str(wave.joins),),
                               actions=(PanelAction(label=say("panel_unhold"), command="unhold"),)),)))
    roots = await tree.tree(ctx)
    out.append(_tree(ctx, roots))
    return out


async def _approvals(ctx: PluginContext, by: Role) -> Panel:
    say = ritual.say_for(ctx)
    rows = []
    for person in await Newcomers(ctx.store).held():
        account = (person.platform, person.member_id)
        rows.append(PanelRow(
            cells=(person.name, ctx.local(person.joined_at).strftime("%Y-%m-%d %H:%M"),
                   say("panel_yes") if person.intro_message else say("panel_no")),
            member=account,
            actions=(PanelAction(label=say("panel_approve"), command="approve", args=(account,)),
                     PanelAction(label=say("panel_reject"), command="reject", args=(account,),
                                 confirm=say("panel_reject_confirm", name=person.name)))))
    return Panel(title=say("panel_approvals"),
                 columns=(say("panel_member"), say("panel_joined"), say("panel_introduced")),
                 rows=tuple(rows), note="" if rows else say("panel_approvals_none"), min_role=by)


def _tree(ctx: PluginContext, roots: list[Referral]) -> Panel:
    say = ritual.say_for(ctx)
    rows: list[PanelRow] = []
    hidden = 0

    def add(node: Referral, depth: int) -> None:
        nonlocal hidden
        if len(rows) >= SHOWN:
            hidden += 1
        else:
            came = "" if node.via is None or node.joined is None else say(
                f"referral_via_{node.via}", date=ctx.local(node.joined).strftime("%Y-%m-%d"))
            state = say("referral_removed") if node.removed else "" if node.present else say("referral_left")
            rows.append(PanelRow(
                cells=("    " * depth + node.name, came, state, str(node.invited), str(node.stayed_count),
                       str(node.removed_count)), member=node.account))
        for child in node.children:
            add(child, depth + 1)

    for root in roots:
        add(root, 0)
    total = tree.totals(roots)
    note = say("referrals_title", community=ritual.community_name(ctx), **total) if roots else say(
        "referrals_none", community=ritual.community_name(ctx))
    if hidden:
        note += " " + say("referral_more", count=hidden)
    return Panel(title=say("panel_referrals"),
                 columns=(say("panel_member"), say("panel_came"), say("panel_state"), say("panel_invited"),
                          say("panel_stayed"), say("panel_removed")),
                 rows=tuple(rows), note=note, min_role=Role.ADMIN)
