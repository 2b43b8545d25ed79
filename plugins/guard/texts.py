"""Every text guard sends, in English and Chinese; any can be overridden under ``texts:``."""

from __future__ import annotations

from hearth import Texts

DEFAULTS: dict[str, dict[str, str]] = {
    "en": {
        # reports
        "report_how": (
            "Reply to the message with {prefix}report [REASON], or give its link: "
            "{prefix}report LINK [REASON]."
        ),
        "report_unreadable": "I cannot read that message any more (deleted, or too old).",
        "report_self": "You cannot report your own message.",
        "report_bot": "That message is mine; tell an admin if something is wrong with it.",
        "report_nowhere": "Reports are not set up in this community (no reports channel).",
        "report_throttled": (
            "{count} of your reports were dismissed in the last {within}; you can report again "
            "{when}."
        ),
        "report_decided": "That message was already reported and the report was decided (report {id}).",
        "report_receipt": (
            "Thank you: your report {id} of {author}'s message in #{channel} was filed. The "
            "moderators will decide."
        ),
        "report_merged": (
            "Thank you: that message was already reported; your report is added to report {id}."
        ),
        "report_filed": (
            "Report {id}: {author} in #{channel}: {text}\nReported by {reporter}: {reason}\n"
            "Decide with {prefix}uphold {id} or {prefix}dismiss {id} [REASON]."
        ),
        "report_added": "Report {id}: also reported by {reporter}: {reason}",
        "report_by_words": "the word list ({word})",
        "no_reason": "no reason given",
        "report_unknown": "There is no report {id}. Reports are numbered 1, 2, … in this community.",
        "report_already": "Report {id} was already {status} by {by}.",
        "status_upheld": "upheld",
        "status_dismissed": "dismissed",
        "upheld": "Report {id} upheld: the message was removed and {author} got strike {strikes}: {action}.",
        "dismissed": "Report {id} dismissed.",
        "reporter_upheld": "Your report {id} was upheld: the message was removed. Thank you!",
        "reporter_dismissed": "Your report {id} was reviewed and dismissed: {reason}",
        "thanks_public": "Thanks to {reporter} for reporting a message that broke the rules.",
        # manual moderation
        "refused_rank": (
            "You cannot {what} {target}: their role ({role}) is not below yours."
        ),
        "refused_bot": "You cannot {what} a bot.",
        "mute_clamped": "Mutes last at most {longest} (Discord's limit): muting for {longest}.",
        "done_warn": "{target} was warned (strike {strikes}).",
        "done_mute": "{target} is muted until {until} (strike {strikes}).",
        "done_kick": "{target} was removed (strike {strikes}).",
        "done_ban": "{target} was banned (strike {strikes}).",
        "done_unmute": "{target} may post again.",
        "done_unban": "{target} is no longer banned.",
        "dm_warn": "A moderator warned you in {community}: {reason} (strike {strikes}).",
        "dm_mute": "A moderator muted you in {community} until {until}: {reason} (strike {strikes}).",
        "dm_kick": "A moderator removed you from {community}: {reason} (strike {strikes}).",
        "dm_ban": "A moderator banned you from {community}: {reason} (strike {strikes}).",
        "dm_unmute": "You may post in {community} again.",
        # word lists
        "dm_words": (
            "Your message in #{channel} was removed: it contains words this community does not "
            "allow ({word})."
        ),
        "step_warn": "This is a warning (strike {strikes}).",
        "step_mute": "You are muted until {until} (strike {strikes}).",
        "step_kick": "You are removed from the community (strike {strikes}).",
        "step_ban": "You are banned from the community (strike {strikes}).",
        "action_warn": "warned",
        "action_mute": "muted until {until}",
        "action_kick": "kicked",
        "action_ban": "banned",
        # audit lines
        "audit_manual": "guard: {target} {action} by {actor}: {reason} (strike {strikes}).",
        "audit_lift": "guard: {actor} lifted {what} of {target}.",
        "audit_words": (
            "guard: removed a message by {target} in #{channel} (word list: {word}). {outcome}"
        ),
        "audit_words_strike": "Strike {strikes}: {action}.",
        "audit_uphold": "guard: {actor} upheld report {id}: {target} got strike {strikes}: {action}.",
        "audit_dismiss": "guard: {actor} dismissed report {id}: {reason}",
        "lift_mute": "the mute",
        "lift_mute_pardon": "the mute (with a pardon)",
        "lift_ban": "the ban",
        "when": "{date} {time} ({zone})",
        "roles": "newcomer,member,leader,admin,owner",
        "verb_warn": "warn",
        "verb_mute": "mute",
        "verb_kick": "remove",
        "verb_ban": "ban",
        "verb_unmute": "unmute",
        "verb_unban": "unban",
        "verb_uphold": "strike",
        "dm_upheld": "Your message in #{channel} was removed after a report: it broke the rules.",
        "reason_warn": "warned by a moderator",
        "reason_mute": "muted by a moderator",
        "reason_kick": "removed by a moderator",
        "reason_ban": "banned by a moderator",
        "reason_report": "upheld report",
        "reason_words": "blocked word",
        # the dashboard panels (titles, columns, rows and buttons)
        "panel_reports": "Open reports",
        "panel_author": "author",
        "panel_message": "message",
        "panel_channel": "channel",
        "panel_reporters": "reported by",
        "panel_uphold": "Uphold",
        "panel_uphold_confirm": "Remove the message and strike {name}?",
        "panel_dismiss": "Dismiss",
        "panel_reports_none": "No open reports.",
    },
    "zh": {
        "report_how": (
            "请回复要举报的消息并发送 {prefix}report [理由]，或附上消息链接：{prefix}report 链接 [理由]。"
        ),
        "report_unreadable": "我已经读不到那条消息了（已删除或太旧）。",
        "report_self": "不能举报自己的消息。",
        "report_bot": "那是我发的消息；如有问题请告诉管理员。",
        "report_nowhere": "本社群没有设置举报频道，暂不能举报。",
        "report_throttled": "最近 {within} 内你有 {count} 次举报被驳回；{when} 之后才能再次举报。",
        "report_decided": "这条消息已被举报并已处理（举报 {id}）。",
        "report_receipt": "谢谢：你对 {author} 在 #{channel} 的消息的举报（编号 {id}）已提交，管理员会处理。",
        "report_merged": "谢谢：这条消息已有人举报，你的举报已并入举报 {id}。",
        "report_filed": (
            "举报 {id}：{author} 在 #{channel}：{text}\n举报人 {reporter}：{reason}\n"
            "处理：{prefix}uphold {id}（成立）或 {prefix}dismiss {id} [理由]（驳回）。"
        ),
        "report_added": "举报 {id}：{reporter} 也举报了：{reason}",
        "report_by_words": "屏蔽词（{word}）",
        "no_reason": "未说明理由",
        "report_unknown": "没有编号为 {id} 的举报。本社群的举报按 1、2、…… 编号。",
        "report_already": "举报 {id} 已由 {by} {status}。",
        "status_upheld": "判定成立",
        "status_dismissed": "驳回",
        "upheld": "举报 {id} 成立：消息已删除，{author} 第 {strikes} 次违规：{action}。",
        "dismissed": "举报 {id} 已驳回。",
        "reporter_upheld": "你的举报 {id} 已成立，消息已删除。谢谢！",
        "reporter_dismissed": "你的举报 {id} 经审核被驳回：{reason}",
        "thanks_public": "感谢 {reporter} 举报违规消息。",
        "refused_rank": "你不能{what} {target}：对方的身份（{role}）不低于你。",
        "refused_bot": "你不能{what}机器人。",
        "mute_clamped": "禁言最长 {longest}（Discord 的上限）：本次禁言 {longest}。",
        "done_warn": "已警告 {target}（第 {strikes} 次违规）。",
        "done_mute": "{target} 被禁言至 {until}（第 {strikes} 次违规）。",
        "done_kick": "已将 {target} 移出社群（第 {strikes} 次违规）。",
        "done_ban": "已封禁 {target}（第 {strikes} 次违规）。",
        "done_unmute": "{target} 已解除禁言。",
        "done_unban": "{target} 已解除封禁。",
        "dm_warn": "管理员在 {community} 警告了你：{reason}（第 {strikes} 次违规）。",
        "dm_mute": "管理员在 {community} 将你禁言至 {until}：{reason}（第 {strikes} 次违规）。",
        "dm_kick": "管理员将你移出了 {community}：{reason}（第 {strikes} 次违规）。",
        "dm_ban": "管理员将你从 {community} 封禁：{reason}（第 {strikes} 次违规）。",
        "dm_unmute": "你在 {community} 的禁言已解除。",
        "dm_words": "你在 #{channel} 的消息已被删除：其中含有本社群不允许的词语（{word}）。",
        "step_warn": "这是一次警告（第 {strikes} 次违规）。",
        "step_mute": "你被禁言至 {until}（第 {strikes} 次违规）。",
        "step_kick": "你已被移出社群（第 {strikes} 次违规）。",
        "step_ban": "你已被社群封禁（第 {strikes} 次违规）。",
        "action_warn": "警告",
        "action_mute": "禁言至 {until}",
        "action_kick": "移出",
        "action_ban": "封禁",
        "audit_manual": "群管：{target} 被 {actor} {action}：{reason}（第 {strikes} 次违规）。",
        "audit_lift": "群管：{actor} 解除了 {target} 的{what}。",
        "audit_words": "群管：删除了 {target} 在 #{channel} 的消息（屏蔽词：{word}）。{outcome}",
        "audit_words_strike": "第 {strikes} 次违规：{action}。",
        "audit_uphold": "群管：{actor} 判定举报 {id} 成立：{target} 第 {strikes} 次违规：{action}。",
        "audit_dismiss": "群管：{actor} 驳回了举报 {id}：{reason}",
        "lift_mute": "禁言",
        "lift_mute_pardon": "禁言（赦免）",
        "lift_ban": "封禁",
        "when": "{date} {time}（{zone}）",
        "roles": "新人,成员,骨干,管理员,群主",
        "verb_warn": "警告",
        "verb_mute": "禁言",
        "verb_kick": "移出",
        "verb_ban": "封禁",
        "verb_unmute": "解除禁言",
        "verb_unban": "解除封禁",
        "verb_uphold": "处罚",
        "dm_upheld": "你在 #{channel} 的消息被举报并已删除：它违反了群规。",
        "reason_warn": "管理员警告",
        "reason_mute": "管理员禁言",
        "reason_kick": "管理员移出",
        "reason_ban": "管理员封禁",
        "reason_report": "举报成立",
        "reason_words": "屏蔽词",
        # the dashboard panels (titles, columns, rows and buttons)
        "panel_reports": "待处理的举报",
        "panel_author": "发送者",
        "panel_message": "消息",
        "panel_channel": "频道",
        "panel_reporters": "举报人",
        "panel_uphold": "成立",
        "panel_uphold_confirm": "删除这条消息并记 {name} 一次违规吗?",
        "panel_dismiss": "驳回",
        "panel_reports_none": "没有待处理的举报。",
    },
}

TEXTS = Texts(
    DEFAULTS,
    extra={key: ["until"] for key in ("step_warn", "step_kick", "step_ban",
                                       "action_warn", "action_kick", "action_ban")},
)
"""The catalog operators' ``texts:`` overrides are checked against."""
