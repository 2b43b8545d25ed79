"""What the dashboard shows: who may see what, the data of each page, and its HTML.

Everything is read through the core (the member directory, the activity
ledger, roles, strikes, groups) and through plugin hooks (``pyramid``,
``community_report``, ``dashboard_panels``); never from a plugin's tables.
Pages are plain server-rendered HTML, readable on a phone; every text is
escaped here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from typing import TYPE_CHECKING

from hearth.context import CORE, PluginContext
from hearth.models import Member, Role
from hearth.reports import Panel, PanelAction
from hearth.timeutil import to_ms
from hearth.web.charts import sparkline
from hearth.web.texts import Say

if TYPE_CHECKING:
    from hearth.app import App

Account = tuple[str, str]
#: the charts of the community page, by the name in their address (titles: ``chart_NAME``)
CHARTS = ("messages", "active", "joins", "interactions")
WEEKS = 8


@dataclass(frozen=True, slots=True)
class Viewer:
    """The logged-in person as ``community`` sees them now (their role read afresh)."""

    community: str
    member: Member
    powers: frozenset[str]
    #: the dashboard's words in the person's language
    say: Say

    def sees(self, min_role: Role, power: str | None = None) -> bool:
        """Whether they may see what a command of ``min_role`` and ``power`` may do."""
        role = self.member.role
        if role < min_role:
            return False
        return not (power and role == Role.LEADER and power not in self.powers)

    @property
    def acts(self) -> bool:
        """Admins and the owner may act from the dashboard (and see member pages)."""
        return self.member.role >= Role.ADMIN

    @property
    def moderates(self) -> bool:
        return self.sees(Role.LEADER, "moderate")


def core_ctx(app: App, community: str) -> PluginContext:
    return app.contexts[community][CORE]


async def current(app: App, community: str, account: Account) -> Member | None:
    """``account`` in ``community`` now, with their role: from the network through the
    process acting for the community; where another process acts for it (several
    processes), from the member directory that process keeps in the database."""
    if app.leases.owns(community):
        return await core_ctx(app, community).get_member(*account)
    assert app.db is not None
    row = await app.db.fetchrow(
        "SELECT name, role, is_bot, present FROM hearth_members"
        " WHERE community = ? AND platform = ? AND member_id = ?", (community, *account))
    if row is None or not row["present"]:
        return None
    return Member(platform=account[0], id=account[1], name=row["name"], role=Role(row["role"]),
                  is_bot=bool(row["is_bot"]))


async def viewer(app: App, community: str, account: Account, say: Say) -> Viewer | None:
    """``account`` as ``community`` sees them, when they may use the dashboard there (leaders and up)."""
    if community not in app.config.communities:
        return None
    member = await current(app, community, account)
    if member is None or member.role < Role.LEADER:
        return None
    return Viewer(community, member, await app.leader_powers(community), say)


# --------------------------------------------------------------------------- page frame

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#faf8f5}
header{background:#5a3e2b;color:#fff;padding:.6em 1em;display:flex;gap:1em;align-items:center;flex-wrap:wrap}
header a{color:#fff}main{padding:1em;max-width:60em;margin:auto}
.card{background:#fff;border:1px solid #e3ddd5;border-radius:8px;padding:1em;margin:0 0 1em}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:.3em .5em;border-bottom:1px solid #eee;vertical-align:top}
img.chart{width:100%;height:auto;max-width:700px}
.stats{display:flex;flex-wrap:wrap;gap:.5em 1.5em}.stats div{min-width:8em}
.stats b{display:block;font-size:1.3em}button{padding:.4em .8em;margin:.1em}
.note{color:#666}.bar{background:#d9822b;height:1.2em;border-radius:3px;min-width:2px}
pre{white-space:pre-wrap}form.inline{display:inline}
"""


def page(title: str, body: str, say: Say, *, csrf: str | None = None) -> str:
    """A whole page around ``body`` (already HTML)."""
    logout = ""
    if csrf is not None:
        logout = (f'<form class="inline" method="post" action="/logout">{hidden("csrf", csrf)}'
                  f'<button>{say("logout")}</button></form>')
    return (f'<!doctype html><html lang="{say("lang")}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} · Hearth</title><style>{_STYLE}</style></head><body>"
            f'<header><a href="/"><b>Hearth</b></a><span>{escape(title)}</span>'
            f'<span style="flex:1"></span>{logout}</header><main>{body}</main></body></html>')


def hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


def _b(value: object) -> str:
    return f"<b>{escape(str(value))}</b>"


def forbidden(why: str, say: Say) -> str:
    hint = say("forbidden_hint", command="<code>!dashboard</code>")
    return page(say("forbidden"), f'<div class="card"><h1>{say("forbidden_h")}</h1><p>{escape(why)}</p>'
                f"<p>{hint}</p></div>", say)


def confirm_login(token: str, who: str, community: str, say: Say) -> str:
    """The page a login link opens: nothing is used until the button is pressed."""
    return page(say("login"), f'<div class="card"><h1>{say("login_h")}</h1>'
                f"<p>{say('login_as', who=_b(who), community=_b(community))}</p>"
                f'<form method="post" action="/login/{escape(token)}"><button>{say("login")}</button></form>'
                f'<p class="note">{say("login_note")}</p></div>', say)


def _table(columns: list[str], rows: list[str]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    return f'<div class="scroll"><table><tr>{head}</tr>{"".join(rows)}</table></div>'


# --------------------------------------------------------------------------- overview

async def overview_card(app: App, who: Viewer) -> str:
    key, say = who.community, who.say
    ctx = core_ctx(app, key)
    now = ctx.now()
    days = await ctx.daily_totals(now - timedelta(days=27))
    week = days[-7:]
    messages = sum(d.messages for d in week)
    bot = sum(d.bot_messages for d in week)
    members = [r for r in ctx.members() if not r.is_bot]
    active = await ctx.speakers(now - timedelta(days=6))
    open_groups = await app.groups.records.select("community = ? AND state = 'open'", (key,))
    by_plugin: dict[str, int] = {}
    for group in open_groups:
        by_plugin[group.plugin] = by_plugin.get(group.plugin, 0) + 1
    networks = []
    for adapter in app.adapters_for(key):
        ready = app.network_ready.get(adapter.platform)
        if not app.leases.owns(key):
            state = say("elsewhere", platform=adapter.platform)
        elif ready:
            state = say("connected", platform=adapter.platform, when=f"{ctx.local(ready):%Y-%m-%d %H:%M}")
        else:
            state = say("connecting", platform=adapter.platform)
        networks.append(escape(state))
    panels = [p for p in await app.dashboard_panels(key)
              if p.waiting and p.rows and who.sees(p.min_role, p.power)]
    pending = "".join(f"<div><b>{len(p.rows)}</b>{escape(p.title)}</div>" for p in panels)
    groups = "".join(f"<div><b>{n}</b>{escape(say('open_groups', plugin=plugin))}</div>"
                     for plugin, n in by_plugin.items())
    share = f"{bot / (messages + bot):.0%}" if messages + bot else "–"
    spark = sparkline([d.messages for d in days], label=str(say("spark")))
    return (f'<div class="card"><h2><a href="/c/{escape(key)}">{escape(key)}</a></h2>'
            f'<p class="note">{"; ".join(networks) or say("no_network")}</p><div class="stats">'
            f"<div><b>{len(members)}</b>{say('members')}</div><div><b>{active}</b>{say('active_week')}</div>"
            f"<div><b>{messages / 7:.1f}</b>{say('per_day')}</div><div><b>{share}</b>{say('bot_share')}</div>"
            f"{groups}{pending}<div>{spark}{say('spark')}</div></div></div>")


# --------------------------------------------------------------------------- community page

Series = list[tuple[str, list[float]]]


async def chart_series(app: App, community: str, name: str, say: Say) -> tuple[list[date], Series]:
    """The days and the series of the community chart ``name`` (one of :data:`CHARTS`)."""
    ctx = core_ctx(app, community)
    now = ctx.now()
    days = await ctx.daily_totals(now - timedelta(weeks=WEEKS) + timedelta(days=1))
    x = [d.day for d in days]
    if name == "messages":
        return x, [(str(say("series_members")), [d.messages for d in days]),
                   (str(say("series_bot")), [d.bot_messages for d in days])]
    if name == "active":
        return x, [(str(say("series_active")), [d.active_members for d in days])]
    if name == "interactions":
        return x, [(str(say("series_interactions")), [d.interactions for d in days])]
    joined: dict[date, int] = {}
    for record in ctx.members(present=False):
        if record.join_known and not record.is_bot:
            day = ctx.local(record.joined).date()
            joined[day] = joined.get(day, 0) + 1
    return x, [(str(say("series_joined")), [joined.get(day, 0) for day in x])]


def _action_form(who: Viewer, action: PanelAction, csrf: str) -> str:
    payload = json.dumps([action.command, [list(a) if isinstance(a, tuple) else a for a in action.args]])
    confirm = f' onsubmit="return confirm({escape(json.dumps(action.confirm))})"' if action.confirm else ""
    return (f'<form class="inline" method="post" action="/c/{escape(who.community)}/act"{confirm}>'
            f'{hidden("csrf", csrf)}{hidden("action", payload)}'
            f"<button>{escape(action.label)}</button></form>")


def member_link(who: Viewer, account: Account, name: str) -> str:
    if not who.acts:
        return escape(name)
    return (f'<a href="/c/{escape(who.community)}/m/{escape(account[0])}/{escape(account[1])}">'
            f"{escape(name)}</a>")


def panel_html(who: Viewer, panel: Panel, csrf: str) -> str:
    rows = []
    for row in panel.rows:
        cells = [escape(c) for c in row.cells]
        if row.member is not None and cells:
            cells[0] = member_link(who, row.member, row.cells[0])
        buttons = "".join(_action_form(who, a, csrf) for a in row.actions) if who.acts else ""
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells)
                    + (f"<td>{buttons}</td>" if buttons else "") + "</tr>")
    table = _table(list(panel.columns), rows) if rows else ""
    note = f'<p class="note">{escape(panel.note)}</p>' if panel.note else ""
    return f'<div class="card"><h2>{escape(panel.title)}</h2>{note}{table}</div>'


async def pyramid_html(app: App, who: Viewer) -> str:
    ctx, say = core_ctx(app, who.community), who.say
    people = [r for r in ctx.members() if not r.is_bot]
    levels = [("level_admins", [r for r in people if r.role >= Role.ADMIN]),
              ("level_leaders", [r for r in people if r.role == Role.LEADER]),
              ("level_members", [r for r in people if r.role == Role.MEMBER]),
              ("level_newcomers", [r for r in people if r.role == Role.NEWCOMER])]
    top = max((len(m) for _, m in levels), default=1) or 1
    rows = []
    for label, members in levels:
        names = (", ".join(member_link(who, r.key, r.name) for r in members[:12])
                 if label != "level_members" else "")
        bar = f'<div class="bar" style="width:{len(members) / top:.0%}"></div>'
        rows.append(f'<tr><td>{say(label)}</td><td>{len(members)}</td><td style="width:40%">{bar}</td>'
                    f"<td>{names}</td></tr>")
    shape = await ctx.pyramid()
    detail = ""
    if shape is not None:
        note = say("pyramid_note", share=f"{shape.leader_share:.0%}", members=shape.members,
                   cohort=shape.largest_cohort)
        detail = f'<p class="note">{escape(note)}</p>'
    return (f'<div class="card"><h2>{say("pyramid")}</h2>{detail}<div class="scroll"><table>'
            f'{"".join(rows)}</table></div></div>')


async def strikes_html(app: App, who: Viewer) -> str:
    ctx, say = core_ctx(app, who.community), who.say
    strikes = await app.people.strikes.ledger(who.community, to_ms(ctx.now()))
    rows = []
    for strike in strikes:
        record = ctx.member(strike.account)
        name = record.name if record else strike.account[1]
        rows.append(f"<tr><td>{member_link(who, strike.account, name)}</td><td>{escape(strike.source)}</td>"
                    f"<td>{escape(strike.reason)}</td><td>{ctx.local(strike.given):%Y-%m-%d}</td>"
                    f"<td>{ctx.local(strike.expires):%Y-%m-%d}</td></tr>")
    if not rows:
        return f'<div class="card"><h2>{say("strikes_h")}</h2><p class="note">{say("no_strikes")}</p></div>'
    columns = [str(say(c)) for c in ("col_member", "col_from", "col_reason", "col_given", "col_ends")]
    return f'<div class="card"><h2>{say("strikes_h")}</h2>{_table(columns, rows)}</div>'


async def community_html(app: App, who: Viewer, csrf: str, health: str | None) -> str:
    """The community page; ``health``: the text of ``community_report`` (None: no plugin reports)."""
    key, say = who.community, who.say
    parts = [await overview_card(app, who)]
    charts = "".join(f'<img class="chart" src="/c/{escape(key)}/chart/{name}.svg" '
                     f'alt="{escape(say("chart_" + name))}">' for name in CHARTS)
    parts.append(f'<div class="card"><h2>{say("activity_h", weeks=WEEKS)}</h2>{charts}</div>')
    parts.append(await pyramid_html(app, who))
    for panel in await app.dashboard_panels(key):
        if who.sees(panel.min_role, panel.power):
            parts.append(panel_html(who, panel, csrf))
    open_groups = await app.groups.records.select("community = ? AND state = 'open'", (key,))
    if open_groups:
        ctx = core_ctx(app, key)
        rows = [f"<tr><td>{escape(g.name)}</td><td>{escape(g.plugin)}</td><td>{len(g.members)}</td>"
                f"<td>{'' if g.expires is None else f'{ctx.local(g.expires):%m-%d %H:%M}'}</td></tr>"
                for g in open_groups]
        columns = [str(say(c)) for c in ("col_name", "col_by", "col_members", "col_ends")]
        parts.append(f'<div class="card"><h2>{say("groups_h")}</h2>{_table(columns, rows)}</div>')
    if who.moderates:
        parts.append(await strikes_html(app, who))
    if who.acts and health is not None:
        parts.append(f'<div class="card"><h2>{say("health_h")}</h2><pre>{escape(health)}</pre></div>')
    return page(key, "".join(parts), say, csrf=csrf)


# --------------------------------------------------------------------------- member page

async def member_html(app: App, who: Viewer, account: Account, csrf: str) -> str | None:
    ctx, say = core_ctx(app, who.community), who.say
    record = ctx.member(account)
    if record is None:
        return None
    now = ctx.now()
    person = await ctx.person(account)
    done = await ctx.activity(person, now - timedelta(weeks=WEEKS))
    strikes = await ctx.strikes.active(person)
    accounts = ctx.accounts(person)
    mine = {a.key for a in accounts}
    groups = [g for g in await app.groups.records.select("community = ? AND state = 'open'", (who.community,))
              if any((g.platform, m) in mine for m in g.members)]
    inviter = ""
    if record.invited_by:
        by = (record.platform, record.invited_by)
        found = ctx.member(by)
        inviter = member_link(who, by, found.name if found else record.invited_by)
    invitees = [r for r in ctx.members(present=False)
                if r.invited_by and (r.platform, r.invited_by) in mine]
    last = f"{ctx.local(record.last_active):%Y-%m-%d %H:%M}" if record.last_active else say("m_never")
    activity = say("m_activity", messages=done.messages, replies=done.replies_given,
                   reactions=done.reactions_given, days=done.active_days)
    rows = [("m_role", escape(record.role.label)), ("m_joined", f"{ctx.local(record.joined):%Y-%m-%d}"),
            ("m_present", say("m_yes" if record.present else "m_left")),
            ("m_last_active", escape(last)), ("m_weeks", escape(activity)),
            ("m_accounts", ", ".join(escape(f"{a.platform}:{a.id} ({a.name})") for a in accounts)),
            ("m_strikes", "; ".join(escape(say("m_strike", reason=s.reason, source=s.source,
                                               ends=f"{ctx.local(s.expires):%Y-%m-%d}"))
                                    for s in strikes) or say("m_none")),
            ("m_groups", ", ".join(escape(g.name) for g in groups) or say("m_none")),
            ("m_invited_by", inviter or say("m_unknown")),
            ("m_invited", ", ".join(member_link(who, r.key, r.name) for r in invitees) or say("m_nobody"))]
    table = "".join(f"<tr><th>{say(k, weeks=WEEKS)}</th><td>{v}</td></tr>" for k, v in rows)
    pardon = ""
    if strikes:
        pardon = _action_form(who, PanelAction(label=str(say("pardon")), command="pardon", args=(account,),
                                               confirm=str(say("pardon_confirm"))), csrf)
    body = (f'<div class="card"><h1>{escape(record.name)}</h1><div class="scroll"><table>{table}'
            f"</table></div>{pardon}</div>")
    return page(f"{who.community}: {record.name}", body, say, csrf=csrf)


def result_html(community: str, line: str, answers: list[str], csrf: str, say: Say) -> str:
    said = "".join(f"<pre>{escape(a)}</pre>" for a in answers) or f'<p class="note">{say("no_reply")}</p>'
    back = say("back", community=escape(community))
    return page(community, f'<div class="card"><h2>{escape(line)}</h2>{said}'
                f'<p><a href="/c/{escape(community)}">{back}</a></p></div>', say, csrf=csrf)
