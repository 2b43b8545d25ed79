"""Every text the welcome plugin sends, in English and Chinese (override any under ``texts:``)."""

from __future__ import annotations

from hearth import Texts

DEFAULTS: dict[str, dict[str, str]] = {
    "en": {
        "welcome": "Welcome {mention} to {community}! You are member #{member_count}.",
        "welcome_many": "Welcome {mentions} to {community}! We are {member_count} now.",
        "intro_prompt": "Tell us who you are and what brings you here.",
        "intro_invite": "{mentions}: {prompt} (in #{channel})",
        "and_others": "{shown} and {count} others",
        "intro_thanks": "Thanks for introducing yourself, {mention}!",
        "rules_default": "1. Be kind.\n2. Stay on topic.\n3. No ads or spam.",
        "rules_dm": "Welcome to {community}, {name}! Please read our rules:\n\n{rules}\n\n{how}",
        "rules_post": "{mentions}, please read our rules:\n\n{rules}\n\n{how}",
        "how_accept": "To become a member, type {command}{or_react} within {within}.",
        "how_accept_by": "To become a member, type {command}{or_react} by {deadline}.",
        "how_accept_late": "To become a member, type {command}{or_react}.",
        "or_react": " or react {reaction} to this message",
        "how_code": "You also need an invitation code: type {code_command} CODE.",
        "accepted": "Thank you, {mention}! You are now a member of {community}.",
        "already_member": "You are already a member; there is nothing to accept.",
        "need_code": "Thanks for accepting the rules. One step left: redeem your invitation code "
        "with {code_command} CODE.",
        "code_ok": "Code accepted: you were invited by {inviter}.",
        "code_ok_need_agree": "Code accepted: you were invited by {inviter}. "
        "Now accept the rules with {command}.",
        "code_not_newcomer": "Invitation codes are for newcomers; you are already in.",
        "code_already": "You have already redeemed an invitation code.",
        "code_wrong": "{code} is not a valid invitation code. Check it and try again.",
        "code_expired": "The invitation code {code} expired on {date}. Ask your inviter for a new one.",
        "code_used_up": "The invitation code {code} has been used up. Ask your inviter for a new one.",
        "code_throttled": "Too many wrong codes. Try again in {minutes} min.",
        "code_issued": "Invitation code {code}: {uses} use(s), valid until {expires}. "
        "A newcomer redeems it with {code_command} {code}.",
        "invite_bad_uses": "USES must be at least 1. Usage: {usage}",
        "invite_left": "You may hand out {left} more invitation(s) this period ({count} per {per}).",
        "invite_over_budget": "You may hand out {count} invitation(s) per {per}; {left} left.",
        "invite_over_budget_until": "You may hand out {count} invitation(s) per {per}; {left} left "
        "now, more from {date}.",
        "invite_penalty": "{name}, whom you invited, was removed ({reason}). That costs one invitation "
        "from your budget.",
        "kick_reason": "did not {gates} within {within}",
        "gate_rules": "accept the rules",
        "gate_code": "redeem an invitation code",
        "gate_questions": "answer the questions",
        "questions_pending": "Thanks for accepting the rules. Next, please answer the questions "
        "I send you by direct message.",
        "questions_left": "Please answer the questions I sent you by direct message.",
        "held": "Thank you! A moderator will review your request to join {community}; "
        "you will hear from us here.",
        "held_reminder": "Your request to join {community} is still waiting for a moderator (since "
        "{since}). There is nothing more to do: you will hear from us here. Thank you for your patience.",
        "approval_request": "{mention} has passed the gates and waits for approval: {approve} or "
        "{reject} with a mention.",
        "approval_introduced": "Introduced themselves in #{channel}.",
        "approve_not_waiting": "{mention} is not waiting for approval.",
        "approved": "{mention} is now a member.",
        "rejected": "{mention} was turned away.",
        "reject_dm": "Your request to join {community} was declined: {reason}",
        "reject_reason_default": "not approved by a moderator",
        "question_wrong": "That is not the right answer.",
        "question_hint": "Hint: {hint}",
        "question_wait": "Too many wrong answers. I will ask you again in {minutes} min.",
        "gates_and": " and ",
        "timeout_remind": "{mention}, a reminder: you have not accepted the rules of {community} yet. "
        "Type {command} to become a member.",
        "referrals_title": "Who invited whom in {community}: {inviters} inviter(s), {invited} invited, "
        "{stayed} stayed a month, {removed} removed.",
        "referrals_none": "Nobody has invited anyone to {community} yet.",
        "referrals_unknown": "{mention} has invited nobody and was invited by nobody.",
        "referral_via_code": "code, {date}",
        "referral_via_platform": "invite link, {date}",
        "referral_removed": "removed",
        "referral_left": "left",
        "referral_branch": "{invited} invited, {stayed} stayed a month, {removed} removed",
        "referral_more": "… and {count} more",
        "reminder": "A reminder of our rules:\n\n{rules}",
        "raid_alert": "⚠️ Join wave: {count} people joined within {within}. The newcomers of the wave are "
        "on hold: they cannot post until {command}, or until {until} at the latest.",
        "raid_ended": "The hold on the join wave ({count} joins) ended after {hours}: its newcomers may "
        "post again.",
        "raid_notice": "Many people joined {community} at once, so newcomers cannot post for now "
        "(until {until} at the latest). Thank you for your patience.",
        "unhold_done": "Hold lifted: the join wave's newcomers ({count} joins) may post again.",
        "unhold_none": "No join wave is on hold.",
    },
    "zh": {
        "welcome": "欢迎 {mention} 加入 {community}!你是第 {member_count} 位成员。",
        "welcome_many": "欢迎 {mentions} 加入 {community}!我们现在有 {member_count} 人了。",
        "intro_prompt": "介绍一下你自己吧:你是谁,为什么来到这里?",
        "intro_invite": "{mentions}:{prompt}(请在 #{channel} 发言)",
        "and_others": "{shown} 等 {count} 人",
        "intro_thanks": "谢谢你的自我介绍,{mention}!",
        "rules_default": "1. 友善待人。\n2. 不要跑题。\n3. 禁止广告和刷屏。",
        "rules_dm": "欢迎加入 {community},{name}!请阅读群规:\n\n{rules}\n\n{how}",
        "rules_post": "{mentions},请阅读群规:\n\n{rules}\n\n{how}",
        "how_accept": "请在 {within} 内发送 {command}{or_react},即可成为正式成员。",
        "how_accept_by": "请在 {deadline} 前发送 {command}{or_react},即可成为正式成员。",
        "how_accept_late": "发送 {command}{or_react} 即可成为正式成员。",
        "or_react": "(或在本消息上回应 {reaction})",
        "how_code": "你还需要一个邀请码:发送 {code_command} 邀请码。",
        "accepted": "谢谢,{mention}!你现在是 {community} 的正式成员了。",
        "already_member": "你已经是正式成员了,无需再次接受群规。",
        "need_code": "感谢你接受群规。还差一步:用 {code_command} 邀请码 兑换你的邀请码。",
        "code_ok": "邀请码有效:你的邀请人是 {inviter}。",
        "code_ok_need_agree": "邀请码有效:你的邀请人是 {inviter}。请发送 {command} 接受群规。",
        "code_not_newcomer": "邀请码只供新成员使用,你已经在群里了。",
        "code_already": "你已经兑换过邀请码了。",
        "code_wrong": "{code} 不是有效的邀请码,请检查后重试。",
        "code_expired": "邀请码 {code} 已于 {date} 过期,请向邀请人要一个新的。",
        "code_used_up": "邀请码 {code} 已用完,请向邀请人要一个新的。",
        "code_throttled": "错误次数太多,请 {minutes} 分钟后再试。",
        "code_issued": "邀请码 {code}:可用 {uses} 次,有效期至 {expires}。"
        "新成员发送 {code_command} {code} 即可兑换。",
        "invite_bad_uses": "使用次数至少为 1。用法:{usage}",
        "invite_left": "本周期你还可以发出 {left} 个邀请名额(每 {per} {count} 个)。",
        "invite_over_budget": "你每 {per} 可以发出 {count} 个邀请名额,还剩 {left} 个。",
        "invite_over_budget_until": "你每 {per} 可以发出 {count} 个邀请名额,现在还剩 {left} 个,"
        "{date} 起会有更多。",
        "invite_penalty": "你邀请的 {name} 已被移除({reason}),因此扣除你一个邀请名额。",
        "kick_reason": "未在 {within} 内{gates}",
        "gate_rules": "接受群规",
        "gate_code": "兑换邀请码",
        "gate_questions": "回答问题",
        "questions_pending": "感谢你接受群规。接下来请回答我私信发给你的问题。",
        "questions_left": "请回答我私信发给你的问题。",
        "held": "谢谢!管理员会审核你加入 {community} 的申请,结果会在这里通知你。",
        "held_reminder": "你加入 {community} 的申请仍在等待管理员审核(自 {since} 起)。你无需再做什么,"
        "结果会在这里通知你。感谢耐心等待。",
        "approval_request": "{mention} 已通过各项门槛,等待审核:{approve} 或 {reject} 加上提及。",
        "approval_introduced": "已在 #{channel} 做了自我介绍。",
        "approve_not_waiting": "{mention} 没有在等待审核。",
        "approved": "{mention} 现在是正式成员了。",
        "rejected": "已拒绝 {mention}。",
        "reject_dm": "你加入 {community} 的申请未通过:{reason}",
        "reject_reason_default": "未通过管理员审核",
        "question_wrong": "回答不正确。",
        "question_hint": "提示:{hint}",
        "question_wait": "错误次数太多,{minutes} 分钟后我会再问你一次。",
        "gates_and": "并",
        "timeout_remind": "{mention},提醒一下:你还没有接受 {community} 的群规。"
        "发送 {command} 即可成为正式成员。",
        "referrals_title": "{community} 的邀请关系:{inviters} 位邀请人,共邀请 {invited} 人,"
        "{stayed} 人留满一个月,{removed} 人被移除。",
        "referrals_none": "{community} 还没有人邀请过别人。",
        "referrals_unknown": "{mention} 没有邀请过别人,也不是被邀请进来的。",
        "referral_via_code": "邀请码,{date}",
        "referral_via_platform": "邀请链接,{date}",
        "referral_removed": "已移除",
        "referral_left": "已离开",
        "referral_branch": "邀请 {invited} 人,{stayed} 人留满一个月,{removed} 人被移除",
        "referral_more": "……还有 {count} 人",
        "reminder": "群规提醒:\n\n{rules}",
        "raid_alert": "⚠️ 加入潮:{within} 内有 {count} 人加入。这批新成员暂时不能发言,直到 {command},"
        "最迟到 {until}。",
        "raid_ended": "加入潮({count} 人加入)的限制已在 {hours} 后自动解除,新成员可以发言了。",
        "raid_notice": "很多人同时加入了 {community},新成员暂时不能发言(最迟到 {until})。感谢耐心等待。",
        "unhold_done": "已解除限制:加入潮的新成员({count} 人加入)可以发言了。",
        "unhold_none": "目前没有被限制的加入潮。",
    },
}

_VALUES = ["community", "command", "code_command", "within", "rules"]  # ritual.values()
TEXTS = Texts(
    DEFAULTS,
    # What the code renders each text with, beyond what the defaults use.
    extra={
        **{key: _VALUES for key in (
            "intro_thanks", "rules_dm", "rules_post", "how_accept", "how_accept_by",
            "how_accept_late", "how_code", "need_code", "code_ok_need_agree", "code_issued",
            "timeout_remind", "reminder")},
        "kick_reason": [*_VALUES, "gates"],
        "held": _VALUES, "held_reminder": [*_VALUES, "since"], "reject_dm": [*_VALUES, "reason"],
        "raid_notice": [*_VALUES, "until"],
        "welcome": [*_VALUES, "name", "inviter"],
        "welcome_many": [*_VALUES, "names"],
        "accepted": [*_VALUES, "name"],
    },
)
"""The catalog operators' ``texts:`` and ``message``/``prompt`` are checked against."""
