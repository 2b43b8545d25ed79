"""Every text the pulse plugin sends, in English and Chinese (overridable under ``texts:``)."""

from __future__ import annotations

from hearth import Texts

DEFAULTS: dict[str, dict[str, str]] = {
    "en": {
        "rules_reminder": "📌 A reminder of our rules:\n{rules}",
        "topic": "💬 Today's topic: {topic}",
        "topic_by": "💬 Today's topic, from {leader}: {topic}",
        "duty": (
            "You are on topic duty in {community} today. Start the conversation in #{channel} "
            "before {at} with {prefix}topic TEXT. An idea: {topic} "
            "(if no topic comes by {at}, I post this one)."
        ),
        "topic_posted": "Posted in #{channel}. Thank you!",
        "topic_already": "Today's topic is already out; keep the conversation going!",
        "topic_not_on_duty": (
            "Today's topic is {leader}'s to start (leaders take turns); "
            "leaders with the announce power may post one too."
        ),
        "topic_off": "Daily topics are not enabled here.",
        "nudge": (
            "Hi {name}! We have not heard from you in {community} for {silent}, and we miss you. "
            "What would make the group worth your time? Say hello there, or just answer here."
        ),
        "nudge_removal": (
            " To keep the group lively, members who stay silent are removed on {date}; "
            "you are welcome back any time."
        ),
        "removal_reason": "silent for {silent}, also after a reminder",
        "removal_list": (
            "🧹 Tomorrow ({date}) these members, silent since their reminder on {nudged}, "
            "will be removed: {members}. Anyone who speaks before then stays."
        ),
        "quiet_header": "Members due for an inactivity reminder or removal:",
        "quiet_nudge": "{member}: silent since {since}, reminder {when}",
        "quiet_removal": "{member}: reminded on {nudged}, removal {when}",
        "quiet_blocked": " (direct messages refused)",
        "quiet_none": "Nobody is due for a reminder or removal within a week.",
        "quiet_more": "… and {count} more.",
        "quiet_off": "Inactivity reminders are not enabled here.",
        "now": "now",
        "on": "on {date}",
        "report_title": "📊 Health of {community}, {start} to {end}",
        "report_active": "Active members (wrote in the last 7 days): {active} of {members}",
        "report_messages": "Messages a day: {messages}",
        "report_interactions": "Member-to-member interactions a day: {interactions}",
        "report_joins": "Joins: {joins} · leaves: {leaves}",
        "report_bot": "The bot's share of all messages: {share}",
        "report_leaders": "Leaders: {leaders} ({share} of members) · largest cohort: {cohort}",
        "report_referrers": "Top referrers: {referrers}",
        "report_referrals": "Invited since the start: {invited} · stayed a month: {stayed} · "
        "removed: {removed}",
        "report_dying": "⚠️ Member-to-member interactions have been under {floor} a day for {days} days.",
        "report_chart": "Messages and active members a day over {weeks} weeks",
        "chart_messages": "messages",
        "chart_active": "active members",
        "dying": (
            "⚠️ {community} is going quiet: member-to-member interactions have been under "
            "{floor} a day for {days} days. Remedies: start a flash group around one event "
            "({prefix}flash), run a breakout round of small groups ({prefix}breakout run), "
            "ask the leaders for a topic every day."
        ),
        "dissolve": (
            "🕯️ {community} has stayed quiet for {days} days (under {floor} interactions a day). "
            "Consider dissolving it or merging it into a livelier group: a dead group costs "
            "its members' attention."
        ),
        "activity": (
            "{member} in the last 30 days: {messages} messages on {days} days, "
            "{replies} replies received, {reactions} reactions received; last seen {seen}."
        ),
        "never": "never",
        "activity_others": "Only leaders may see another member's figures.",
        "health_off": "Health reports are not enabled here.",
    },
    "zh": {
        "rules_reminder": "📌 群规提醒:\n{rules}",
        "topic": "💬 今日话题:{topic}",
        "topic_by": "💬 今日话题(来自 {leader}):{topic}",
        "duty": (
            "今天轮到你在 {community} 发起话题。请在 {at} 前在 #{channel} 用 {prefix}topic 话题内容 "
            "开启讨论。一个建议:{topic}(如果 {at} 前没有话题,我会发这个)。"
        ),
        "topic_posted": "已发到 #{channel}。谢谢!",
        "topic_already": "今天的话题已经发出了,继续聊下去吧!",
        "topic_not_on_duty": "今天轮到 {leader} 发起话题(领袖轮流);有公告权限的领袖也可以发。",
        "topic_off": "本群没有开启每日话题。",
        "nudge": (
            "{name} 你好!你已经 {silent} 没在 {community} 发言了,我们很想念你。"
            "怎样才能让这个群对你更有价值?去群里打个招呼,或直接在这里回复。"
        ),
        "nudge_removal": "为了保持群的活跃,一直不发言的成员将在 {date} 被移出;随时欢迎你回来。",
        "removal_reason": "沉默 {silent},提醒后仍未发言",
        "removal_list": (
            "🧹 明天({date})以下成员将被移出(自 {nudged} 提醒后一直沉默):{members}。"
            "在此之前发言的成员会留下。"
        ),
        "quiet_header": "即将被提醒或移出的成员:",
        "quiet_nudge": "{member}:自 {since} 沉默,提醒时间:{when}",
        "quiet_removal": "{member}:{nudged} 已提醒,移出时间:{when}",
        "quiet_blocked": "(拒收私信)",
        "quiet_none": "一周内没有需要提醒或移出的成员。",
        "quiet_more": "……还有 {count} 人。",
        "quiet_off": "本群没有开启沉默提醒。",
        "now": "现在",
        "on": "{date}",
        "report_title": "📊 {community} 健康报告,{start} 至 {end}",
        "report_active": "活跃成员(最近 7 天发过言):{active} / {members}",
        "report_messages": "每天消息数:{messages}",
        "report_interactions": "每天成员间互动:{interactions}",
        "report_joins": "加入:{joins} · 离开:{leaves}",
        "report_bot": "机器人消息占比:{share}",
        "report_leaders": "领袖:{leaders}(占成员 {share})· 最大分组:{cohort}",
        "report_referrers": "邀请最多的成员:{referrers}",
        "report_referrals": "累计被邀请:{invited} 人 · 留满一个月:{stayed} 人 · 被移除:{removed} 人",
        "report_dying": "⚠️ 成员间互动已连续 {days} 天低于每天 {floor} 次。",
        "report_chart": "最近 {weeks} 周每天的消息数和活跃成员数",
        "chart_messages": "消息数",
        "chart_active": "活跃成员",
        "dying": (
            "⚠️ {community} 正在变冷:成员间互动已连续 {days} 天低于每天 {floor} 次。"
            "建议:围绕一个活动开一个快闪群({prefix}flash),组织一轮小组分组({prefix}breakout run),"
            "请领袖每天发起一个话题。"
        ),
        "dissolve": (
            "🕯️ {community} 已经沉寂了 {days} 天(每天互动少于 {floor} 次)。"
            "建议解散本群,或并入一个更活跃的群:死群只会消耗成员的注意力。"
        ),
        "activity": (
            "{member} 最近 30 天:{days} 天里发了 {messages} 条消息,收到 {replies} 条回复、"
            "{reactions} 个表情回应;最后活跃:{seen}。"
        ),
        "never": "从未",
        "activity_others": "只有领袖可以查看其他成员的数据。",
        "health_off": "本群没有开启健康报告。",
    },
}

TEXTS = Texts(
    DEFAULTS,
    # What the code renders each text with, beyond what the defaults use.
    extra={
        "rules_reminder": ["community"],
        "topic": ["community"],
        "nudge": ["date", "channel"],
        "removal_list": ["count"],
        "dying": ["floor"],
    },
)
"""The catalog operators' ``texts:`` overrides are checked against."""
