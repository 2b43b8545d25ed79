"""The core's people commands: ``link``, ``strikes`` and ``pardon``.

* ``!link`` gives a code by DM; ``!link CODE`` from the member's account on
  another network joins the two accounts into one person
  (:mod:`hearth.people.linking`). Newcomers may link only to an account that
  is a member. Linking grants no role and completes no welcome gate.
* ``!strikes`` shows a member their own active strikes; ``!strikes @member``
  shows another's to admins and to leaders with the ``moderate`` power.
* ``!pardon @member [N]`` (admins) pardons the member's N newest active
  strikes (all without N); plugins hear of it through ``on_strikes_pardoned``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from hearth.commands import Command, Invocation, Param
from hearth.errors import PermissionDenied
from hearth.i18n import texts
from hearth.models import Member, Role, literal
from hearth.people.linking import LIFETIME, LinkCodes
from hearth.people.persons import LinkRefused
from hearth.timeutil import format_duration, to_ms

if TYPE_CHECKING:
    from hearth.app import App

log = logging.getLogger(__name__)

TEXTS = {
    "en": {
        "code_dm": (
            "Your link code for {community}: {code}\n"
            "Within {lifetime}, send {command} from your account on the other network, "
            "in {community} or to me by direct message. The code works once. Never give it to "
            "anyone: whoever sends it links their account to yours."),
        "code_sent": "I sent you a link code by direct message.",
        "code_undelivered": "I could not send you a direct message; allow direct messages and try again.",
        "wrong_code": "That code is not valid (wrong, expired or already used). Ask for a new one "
                      "with {prefix}link on your other account.",
        "same_network": "That code was given to an account on {platform}; send it from your account "
                        "on another network. Ask for a new one with {prefix}link.",
        "throttled": "Too many wrong codes. Try again in {wait}.",
        "not_member": "Link a newcomer account only to an account that is already a member here.",
        "refused": "These accounts cannot be linked: {why}.",
        "linked": "Linked: {accounts} are now one person in {community}; strikes, roles given by "
                  "the bot, groups and activity count for both.",
        "strikes_none": "{who} has no active strikes.",
        "strikes_list": "{who} has {count} active strike(s):\n{lines}",
        "strike_line": "- {time}: {reason}{detail} ({source}, on {platform}); expires {expires}",
        "strikes_of_others": "Only admins and leaders with the moderate power see another member's "
                             "strikes.",
        "pardoned": "Pardoned {count} strike(s) of {who}; {left} active strike(s) left.",
        "pardon_none": "{who} has no active strikes to pardon.",
    },
    "zh": {
        "code_dm": (
            "你在 {community} 的关联码：{code}\n"
            "请在 {lifetime} 内，用你在另一个平台的账号发送 {command}"
            "（在 {community} 中或私信给我）。关联码只能使用一次。请勿告诉任何人："
            "谁发送它，谁的账号就会与你的关联。"),
        "code_sent": "我已通过私信把关联码发给你。",
        "code_undelivered": "无法给你发私信；请允许私信后再试。",
        "wrong_code": "关联码无效（错误、过期或已使用）。请在另一个账号上用 {prefix}link 获取新的关联码。",
        "same_network": "这个关联码属于 {platform} 上的账号；请用你在另一个平台的账号发送。"
                        "用 {prefix}link 获取新的关联码。",
        "throttled": "错误次数过多。请 {wait} 后再试。",
        "not_member": "新人账号只能关联到已是成员的账号。",
        "refused": "这两个账号无法关联：{why}。",
        "linked": "已关联：{accounts} 在 {community} 中现在是同一个人；违规记录、机器人授予的角色、"
                  "小组和活跃度合并计算。",
        "strikes_none": "{who} 没有有效的违规记录。",
        "strikes_list": "{who} 有 {count} 次有效违规：\n{lines}",
        "strike_line": "- {time}：{reason}{detail}（{source}，在 {platform}），{expires} 失效",
        "strikes_of_others": "只有管理员和拥有 moderate 权限的领袖可以查看他人的违规记录。",
        "pardoned": "已赦免 {who} 的 {count} 次违规；剩余 {left} 次有效违规。",
        "pardon_none": "{who} 没有可赦免的有效违规。",
    },
}


class PeopleCommands:
    """``link``, ``strikes`` and ``pardon``, registered once by the core in every community."""

    def __init__(self, app: App, plugin: str) -> None:
        self._app = app
        self._plugin = plugin
        self.codes = LinkCodes()

    def commands(self) -> list[Command]:
        member = Param("member", "member", optional=True)
        return [
            Command(name="link", handler=self._link, params=(Param("code", optional=True),),
                    min_role=Role.NEWCOMER, plugin=self._plugin,
                    help="link your accounts on two networks: get a code, then send it from the other"),
            # leaders need the moderate power to use it at all (it is the power's home)
            Command(name="strikes", handler=self._strikes, params=(member,),
                    min_role=Role.NEWCOMER, power="moderate", plugin=self._plugin,
                    help="your active strikes (admins and moderators: a member's)"),
            Command(name="pardon", handler=self._pardon,
                    params=(Param("member", "member"), Param("count", "int", optional=True,
                                                             bounds=(1, 1000))),
                    min_role=Role.ADMIN, plugin=self._plugin,
                    help="pardon a member's newest N strikes (all without N)"),
        ]

    # ------------------------------------------------------------------ link
    async def _link(self, inv: Invocation) -> str | None:
        ctx, me = inv.ctx, inv.member
        say = texts(TEXTS, ctx.language)
        now = to_ms(ctx.now())
        typed = inv.args.get("code")
        if typed is None:
            code = await self.codes.give(ctx.key, me.key, now)
            lifetime = format_duration(LIFETIME)
            command = literal(f"{inv.prefix}link {code.shown}")
            pending = await ctx.dm(me, str(say("code_dm", community=ctx.key, code=code.shown,
                                                   lifetime=lifetime, command=command)))
            if pending is None:
                return str(say("code_undelivered"))
            return None if inv.message.channel.is_dm else str(say("code_sent"))
        wait = self.codes.blocked_for(ctx.key, me.key, now)
        if wait:
            return str(say("throttled", wait=format_duration_ms(wait)))
        code = await self.codes.take(ctx.key, typed, me.key, now)
        if code is None:
            log.info("%s: wrong link code from %s:%s", ctx.key, *me.key)
            return str(say("wrong_code", prefix=inv.prefix))
        if code.account[0] == me.platform:
            return str(say("same_network", platform=code.account[0], prefix=inv.prefix))
        other = await ctx.get_member(*code.account)
        if me.role < Role.MEMBER and (other is None or other.role < Role.MEMBER):
            return str(say("not_member"))
        try:
            person = await self._app.join_persons(ctx.key, code.account, me.key)
        except LinkRefused as exc:
            return str(say("refused", why=str(exc)))
        accounts = ", ".join(f"{p}:{literal(i)}" for p, i in person.accounts)
        return str(say("linked", accounts=accounts, community=ctx.key))

    # ------------------------------------------------------------------ strikes
    async def _strikes(self, inv: Invocation) -> str:
        ctx = inv.ctx
        say = texts(TEXTS, ctx.language)
        target: Member = inv.args.get("member") or inv.member
        person = await ctx.person(target)
        if person.id != (await ctx.person(inv.member)).id and not await self._moderates(inv):
            raise PermissionDenied(str(say("strikes_of_others")))
        active = await ctx.strikes.active(person)
        who = target.name_and_id
        if not active:
            return str(say("strikes_none", who=who))
        lines = "\n".join(
            say("strike_line", time=f"{s.given.astimezone(ctx.zone):%Y-%m-%d %H:%M}",
                reason=s.reason, detail=f" {literal(s.detail)}" if s.detail else "",
                source=s.source, platform=s.account[0],
                expires=f"{s.expires.astimezone(ctx.zone):%Y-%m-%d %H:%M}")
            for s in active)
        return str(say("strikes_list", who=who, count=len(active), lines=lines))

    async def _moderates(self, inv: Invocation) -> bool:
        role = inv.member.role
        if role >= Role.ADMIN:
            return True
        return role == Role.LEADER and "moderate" in await inv.ctx.leader_powers()

    async def _pardon(self, inv: Invocation) -> str:
        ctx = inv.ctx
        say = texts(TEXTS, ctx.language)
        target: Member = inv.args["member"]
        count: int | None = inv.args.get("count")
        person = await ctx.person(target)
        pardoned = await ctx.strikes.pardon(person, count)
        who = target.name_and_id
        if not pardoned:
            return str(say("pardon_none", who=who))
        left = await ctx.strikes.count(person)
        log.info("%s: %s:%s pardoned %d strike(s) of person %d", ctx.key, *inv.member.key,
                 pardoned, person.id)
        await self._app.strikes_pardoned(ctx.key, person, pardoned, inv.member)
        return str(say("pardoned", count=pardoned, who=who, left=left))


def format_duration_ms(ms: int) -> str:
    """A wait in milliseconds as members read it (rounded up to the second)."""
    return format_duration(timedelta(seconds=-(-ms // 1000)))
