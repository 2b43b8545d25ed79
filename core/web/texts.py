"""The dashboard's own words, in English and Chinese (the browser's language decides).

Plugins' panels carry their own titles. Values are escaped before they are
put into these templates; the templates themselves are trusted HTML.
"""

from __future__ import annotations

from collections.abc import Callable

from hearth.i18n import texts
from hearth.text import Text

TEXTS = {
    "en": {
        "lang": "en", "overview": "Overview", "logout": "Log out", "logged_out": "Logged out.",
        "forbidden": "Not allowed", "forbidden_h": "403: not allowed",
        "forbidden_hint": "Ask for a new login link with {command} in your community.",
        "login": "Log in", "login_h": "Log in to the dashboard", "login_as": "As {who}, from {community}.",
        "login_note": "The link works once, for ten minutes.",
        "no_network": "no network", "connected": "{platform}: connected since {when}",
        "connecting": "{platform}: connecting", "elsewhere": "{platform}: served by another process",
        "members": "members", "active_week": "active this week", "per_day": "messages a day",
        "bot_share": "bot's share", "open_groups": "open {plugin} groups",
        "spark": "messages, last 4 weeks", "activity_h": "Activity, last {weeks} weeks",
        "chart_messages": "Messages a day (bars) and the bot's (line)",
        "chart_active": "Active members a day", "chart_joins": "Members who joined and left a day",
        "chart_interactions": "Member-to-member interactions a day",
        "series_members": "members", "series_bot": "bot", "series_active": "active members",
        "series_joined": "joined", "series_left": "left", "series_interactions": "interactions",
        "pyramid": "Pyramid", "level_admins": "owner and admins", "level_leaders": "leaders",
        "level_members": "members", "level_newcomers": "newcomers",
        "pyramid_note": "Leaders are {share} of {members} members; the largest cohort has {cohort}.",
        "groups_h": "Open groups", "col_name": "name", "col_by": "by", "col_members": "members",
        "col_ends": "ends", "strikes_h": "Strike ledger", "no_strikes": "No active strikes.",
        "col_member": "member", "col_from": "from", "col_reason": "reason", "col_given": "given",
        "health_h": "Health",
        "m_role": "role", "m_joined": "joined", "m_present": "present", "m_yes": "yes", "m_left": "left",
        "m_last_active": "last active", "m_never": "never", "m_weeks": "last {weeks} weeks",
        "m_activity": "{messages} messages, {replies} replies, {reactions} reactions, "
                      "{days} active days",
        "m_accounts": "accounts", "m_strikes": "strikes", "m_strike": "{reason} ({source}, ends {ends})",
        "m_groups": "groups", "m_invited_by": "invited by", "m_invited": "invited", "m_none": "none",
        "m_unknown": "unknown", "m_nobody": "nobody",
        "pardon": "Pardon all strikes", "pardon_confirm": "Pardon every strike?",
        "back": "Back to {community}", "no_reply": "(no reply)",
        "why_session": "You are not logged in, or your session ended or was tampered with.",
        "why_role": "You have no role in this community that may see its dashboard.",
        "why_any_role": "You have no role in any community that may see the dashboard.",
        "why_link": "This login link was used already, has expired, or is not valid.",
        "why_form": "This form is not valid (its CSRF token is missing or wrong).",
        "why_members": "Member pages are for the admins and the owner.",
        "why_act": "Only the admins and the owner act from the dashboard.",
        "queued_act": "Queued: the process serving {community} runs this shortly; its answer"
                      " could not be shown here in time. Reload the page to see the result.",
        "no_account": "You have no account on {platform} in {community}, where this member is.",
        "not_member": "Your {platform} account is not a member of {community} now.",
    },
    "zh": {
        "lang": "zh", "overview": "概览", "logout": "退出", "logged_out": "已退出。",
        "forbidden": "无权访问", "forbidden_h": "403：无权访问",
        "forbidden_hint": "请在社区里用 {command} 获取新的登录链接。",
        "login": "登录", "login_h": "登录管理面板", "login_as": "身份：{who}，来自 {community}。",
        "login_note": "链接只能用一次，10 分钟内有效。",
        "no_network": "没有网络", "connected": "{platform}：自 {when} 起已连接",
        "connecting": "{platform}：连接中", "elsewhere": "{platform}：由另一个进程服务",
        "members": "成员", "active_week": "本周活跃", "per_day": "每天消息",
        "bot_share": "机器人消息占比", "open_groups": "进行中的 {plugin} 群组",
        "spark": "最近 4 周的消息", "activity_h": "最近 {weeks} 周的活跃度",
        "chart_messages": "每天的消息（柱）和机器人的消息（线）",
        "chart_active": "每天的活跃成员", "chart_joins": "每天加入和离开的成员",
        "chart_interactions": "每天成员之间的互动",
        "series_members": "成员", "series_bot": "机器人", "series_active": "活跃成员",
        "series_joined": "加入", "series_left": "离开", "series_interactions": "互动",
        "pyramid": "用户金字塔", "level_admins": "群主和管理员", "level_leaders": "意见领袖",
        "level_members": "成员", "level_newcomers": "新成员",
        "pyramid_note": "意见领袖占 {members} 名成员的 {share}；最大的小组有 {cohort} 人。",
        "groups_h": "进行中的群组", "col_name": "名称", "col_by": "来自", "col_members": "成员",
        "col_ends": "结束", "strikes_h": "违规记录", "no_strikes": "没有生效中的违规记录。",
        "col_member": "成员", "col_from": "来自", "col_reason": "原因", "col_given": "记录于",
        "health_h": "健康报告",
        "m_role": "角色", "m_joined": "加入", "m_present": "在群中", "m_yes": "是", "m_left": "已离开",
        "m_last_active": "最后活跃", "m_never": "从未", "m_weeks": "最近 {weeks} 周",
        "m_activity": "{messages} 条消息，{replies} 次回复，{reactions} 次表情回应，{days} 天活跃",
        "m_accounts": "账号", "m_strikes": "违规", "m_strike": "{reason}（{source}，{ends} 到期）",
        "m_groups": "群组", "m_invited_by": "邀请人", "m_invited": "邀请了", "m_none": "无",
        "m_unknown": "未知", "m_nobody": "无人",
        "pardon": "赦免全部违规", "pardon_confirm": "赦免全部违规？",
        "back": "返回 {community}", "no_reply": "（无回复）",
        "why_session": "你尚未登录，或会话已结束或被篡改。",
        "why_role": "你在这个社区没有可以查看管理面板的角色。",
        "why_any_role": "你在任何社区都没有可以查看管理面板的角色。",
        "why_link": "这个登录链接已被使用、已过期或无效。",
        "why_form": "表单无效（CSRF 令牌缺失或错误）。",
        "why_members": "成员页面只对管理员和群主开放。",
        "why_act": "只有管理员和群主可以在管理面板上操作。",
        "queued_act": "已排队：服务 {community} 的进程很快会执行此操作；"
                      "未能及时在此显示结果。请刷新页面查看。",
        "no_account": "你在 {community} 没有 {platform} 账号，而该成员在那里。",
        "not_member": "你的 {platform} 账号现在不是 {community} 的成员。",
    },
}

Say = Callable[..., Text]


def language_of(accept: str) -> str:
    """The first language of an ``Accept-Language`` header Hearth speaks (default English)."""
    for part in accept.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "en"


def say_in(language: str) -> Say:
    return texts(TEXTS, language)
