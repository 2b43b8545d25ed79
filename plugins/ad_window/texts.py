"""Every text ad_window sends, in English and Chinese; any can be overridden under ``texts:``."""

from __future__ import annotations

from hearth import Texts

DEFAULTS: dict[str, dict[str, str]] = {
    "en": {
        "weekdays": "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday",
        "when": "{weekday} {time} ({zone})",
        "no_window": "never (no ad window is scheduled)",
        "kind_link": "links to other sites",
        "kind_invite": "invitations to other servers or rooms",
        "kind_contact": "contact handles",
        "kind_phone": "phone numbers",
        "kind_pattern": "messages like this",
        "kind_repeat": "repeated messages",
        "kind_pitch": "sales pitches that move buyers to a private chat",
        "kind_shop": "pointers to a shop on another platform",
        "label_link": "link",
        "label_invite": "invite",
        "label_contact": "contact",
        "label_phone": "phone",
        "label_pitch": "pitch",
        "label_shop": "shop search",
        "label_pattern": "pattern",
        "label_repeat": "repeat",
        "in_ad_channels": " or at any time in {channels}",
        "dm_outside": (
            "Your message in #{channel} was removed: {kind} are only allowed during the ad window"
            "{ad_channels}. The next window opens {next_open}."
        ),
        "dm_quota": (
            "Your message in #{channel} was removed: you have already posted {quota} ad(s) in this "
            "window, the most each member may. The next window opens {next_open}."
        ),
        "step_warn": "This is a warning (strike {strikes}).",
        "step_mute": "You are muted until {until} (strike {strikes}).",
        "step_kick": "You are removed from the community (strike {strikes}).",
        "step_ban": "You are banned from the community (strike {strikes}).",
        "why_outside": "outside the ad window",
        "why_quota": "over the window's quota",
        "action_warn": "warned",
        "action_mute": "muted until {until}",
        "action_kick": "kicked",
        "action_ban": "banned",
        "audit": (
            "ad_window: removed a message by {mention} in #{channel} ({kind}: {evidence}; {why}). "
            "Strike {strikes}: {action}."
        ),
        "audit_pass": "ad_window: {actor} gave {mention} an ad pass ({passes} held).",
        "audit_pardon": "ad_window: {actor} pardoned {mention} ({count} strike(s) cleared).",
        "announce_open": (
            "The ad window is open until {close}: each member may post {quota} ad(s) now{ad_channels}."
        ),
        "announce_close": "The ad window is closed. The next one opens {next_open}.",
        "ads_open": (
            "The ad window is open until {close}. You"
            " have {left} of {quota} ad(s) left in it."
        ),
        "ads_closed": (
            "The next ad window opens {next_open} and lasts until "
            "{close}. You may post {quota} ad(s) in it."
        ),
        "ads_none": "No ad window is scheduled.",
        "ads_passes": " You also hold {passes} ad pass(es) for one ad each outside the window.",
        "ads_channels": " Ads are always allowed in {channels}.",
        "pass_granted": "{mention} may post one ad outside the window (passes held: {passes}).",
        "strikes_none": "{mention} has no active strikes.",
        "strikes_list": (
            "{mention} has {count} active strike(s); each expires {decay} after it was given:\n"
            "{lines}\nThe next strike means: {next_step}."
        ),
        "strike_line": "- {time}: {kind} in #{channel}",
        "pardoned": "Cleared {count} strike(s) of {mention}.",
        "pardon_none": "{mention} has no strikes to clear.",
    },
    "zh": {
        "weekdays": "周一,周二,周三,周四,周五,周六,周日",
        "when": "{weekday} {time}（{zone}）",
        "no_window": "暂无（没有安排广告时段）",
        "kind_link": "外部链接",
        "kind_invite": "其他服务器或房间的邀请链接",
        "kind_contact": "联系方式",
        "kind_phone": "电话号码",
        "kind_pattern": "此类消息",
        "kind_repeat": "重复刷屏的消息",
        "kind_pitch": "引导私聊交易的推销",
        "kind_shop": "引导去其他平台搜索店铺的广告",
        "label_link": "链接",
        "label_invite": "邀请",
        "label_contact": "联系方式",
        "label_phone": "电话",
        "label_pitch": "私聊推销",
        "label_shop": "店铺引流",
        "label_pattern": "规则匹配",
        "label_repeat": "重复",
        "in_ad_channels": "，或随时发在 {channels}",
        "dm_outside": (
            "你在 #{channel} 的消息已被删除："
            "{kind}只允许在广告时段内发布{ad_channels}。下一个广告时段开始于 {next_open}。"
        ),
        "dm_quota": (
            "你在 #{channel} 的消息已被删除：本时段你已发布 {quota} 条广告，已达每人上限。"
            "下一个广告时段开始于 {next_open}。"
        ),
        "step_warn": "这是一次警告（第 {strikes} 次违规）。",
        "step_mute": "你被禁言至 {until}（第 {strikes} 次违规）。",
        "step_kick": "你已被移出社群（第 {strikes} 次违规）。",
        "step_ban": "你已被社群封禁（第 {strikes} 次违规）。",
        "why_outside": "不在广告时段内",
        "why_quota": "超出本时段配额",
        "action_warn": "警告",
        "action_mute": "禁言至 {until}",
        "action_kick": "移出",
        "action_ban": "封禁",
        "audit": (
            "广告管理：删除了 {mention} 在 #{channel} 的消息（{kind}："
            "{evidence}；{why}）。第 {strikes} 次违规：{action}。"
        ),
        "audit_pass": "广告管理：{actor} 给了 {mention} 一张广告通行证（现有 {passes} 张）。",
        "audit_pardon": "广告管理：{actor} 赦免了 {mention}（清除 {count} 次违规）。",
        "announce_open": "广告时段已开始，持续到 {close}：每位成员现在可以发布 {quota} 条广告{ad_channels}。",
        "announce_close": "广告时段已结束。下一个时段开始于 {next_open}。",
        "ads_open": "广告时段进行中，持续到 {close}。本时段你还可以发布 {left}/{quota} 条广告。",
        "ads_closed": "下一个广告时段开始于 {next_open}，持续到 {close}。届时你可以发布 {quota} 条广告。",
        "ads_none": "没有安排广告时段。",
        "ads_passes": "你另有 {passes} 张广告通行证，每张可在时段外发布一条广告。",
        "ads_channels": "{channels} 随时可以发广告。",
        "pass_granted": "{mention} 可以在时段外发布一条广告（现有通行证 {passes} 张）。",
        "strikes_none": "{mention} 没有有效的违规记录。",
        "strikes_list": (
            "{mention} 有 {count} 次有效违规，每次在记录 {decay} 后失效："
            "\n{lines}\n再次违规的处理：{next_step}。"
        ),
        "strike_line": "- {time}：{kind}，在 #{channel}",
        "pardoned": "已清除 {mention} 的 {count} 次违规。",
        "pardon_none": "{mention} 没有可清除的违规记录。",
    },
}

TEXTS = Texts(
    DEFAULTS,
    # Every step and action text is rendered with {until} (the end of a mute).
    extra={key: ["until"] for key in ("step_warn", "step_kick", "step_ban",
                                       "action_warn", "action_kick", "action_ban")},
)
"""The catalog operators' ``texts:`` overrides are checked against."""
