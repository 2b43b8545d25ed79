"""``!dashboard``: a one-time login link by direct message (admins and the owner)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hearth.commands import Command, Invocation
from hearth.i18n import texts
from hearth.models import Role

if TYPE_CHECKING:
    from hearth.web.logins import Logins

TEXTS = {
    "en": {
        "link_dm": "Your login link for the {community} dashboard (it works once, for 10 minutes; "
                   "never share it):\n{url}",
        "link_sent": "I sent you a login link by direct message.",
        "undelivered": "I could not send you a direct message; allow direct messages and try again.",
        "disabled": "The web dashboard is not enabled on this bot: whoever runs it adds a `web:` "
                    "section to its configuration (see docs/dashboard.md).",
    },
    "zh": {
        "link_dm": "{community} 管理面板的登录链接（10 分钟内有效，只能用一次；请勿转发）：\n{url}",
        "link_sent": "登录链接已通过私信发给你。",
        "undelivered": "无法给你发私信；请允许私信后再试。",
        "disabled": "这个机器人没有启用管理面板：运行它的人需要在配置中加上 `web:` 一节"
                    "（见 docs/dashboard.md）。",
    },
}


def login_url(base_url: str, token: str) -> str:
    return f"{base_url}/login/{token}"


def dashboard_command(logins: Logins | None, base_url: str | None, plugin: str) -> Command:
    """The ``dashboard`` command, offered by the core; without ``logins`` (no ``web:``
    configured) it says how the dashboard is enabled."""

    async def run(inv: Invocation) -> str | None:
        ctx, me = inv.ctx, inv.member
        say = texts(TEXTS, ctx.language)
        if logins is None or base_url is None:
            return str(say("disabled"))
        token = await logins.issue(ctx.key, me.key)
        text = str(say("link_dm", community=ctx.key, url=login_url(base_url, token)))
        if await ctx.dm(me, text, previews=False) is None:
            return str(say("undelivered"))
        return None if inv.message.channel.is_dm else str(say("link_sent"))

    return Command(name="dashboard", handler=run, min_role=Role.ADMIN, plugin=plugin,
                   help="get a one-time login link to the web dashboard by direct message")
