"""Every text the flash plugin sends, in English and Chinese (overridable under ``texts:``)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from hearth import Texts, format_duration

DEFAULTS: dict[str, dict[str, str]] = {
    "en": {
        "topic": "{title} (flash group until {end})",
        "purpose": (
            "⚡ {title}\n"
            "A flash group opened by {creator} for {duration}: it closes at {end}, then it is {fate}. "
            "Make the most of it!"
        ),
        "purpose_open": "Anyone may join with {prefix}flash join {name}.",
        "fate_delete": "deleted",
        "fate_archive": "archived (read-only)",
        "opened": "Opened flash group #{name} until {end} with {members}.",
        "opened_open": (
            "Opened flash group #{name} until {end}. Anyone "
            "may join with {prefix}flash join {name}."
        ),
        "announce_open": (
            "⚡ {creator} opened a flash group: {title}, until {end}. "
            "Join with {prefix}flash join {name}."
        ),
        "reminder": (
            "⏳ This flash group closes in {left} ({end}). "
            "Wrap up and keep what is worth keeping."
        ),
        "summary": (
            "⚡ {title} is over after {duration} (participants: {people}, messages: {messages}). "
            "Thank you! This group is now {fate}."
        ),
        "announce_summary": (
            "⚡ Flash group {title} (#{name}) is over after {duration} "
            "(participants: {people}, messages: {messages})."
        ),
        "closed": "Closed flash group #{name}.",
        "joined": "You are in #{name} (until {end}).",
        "list_header": "Open flash groups:",
        "list_item": "#{name}: {title}, closes in {left} ({access})",
        "access_open": "join with {prefix}flash join {name}",
        "access_invite": "invitation only",
        "list_empty": "No flash group is open right now.",
        "no_groups": (
            "Flash groups are not available on {platform}:"
            " the bot cannot create group channels there."
        ),
        "too_long": "{duration} is too long: a flash group lasts at most {max}.",
        "too_many": (
            "{count} flash groups are already open, the most allowed at once. "
            "Close one first with {prefix}flash close NAME."
        ),
        "create_failed": "Could not create the flash group; the error was logged for the admins.",
        "join_failed": "Could not add you to #{name}; the error was logged for the admins.",
        "unknown_group": "There is no open flash group called {name}. See {prefix}flash list.",
        "invite_only": (
            "#{name} is for the members {creator} invited; "
            "only groups opened without names take sign-ups."
        ),
        "other_platform": "#{name} is on {platform}; join it from there.",
        "already_in": "You are already in #{name}.",
        "not_allowed_close": "Only {creator}, who opened #{name}, or an admin can close it.",
        "which_group": (
            "You have several open flash groups ({names});"
            " name one: {prefix}flash close NAME."
        ),
        "none_to_close": (
            "Name the flash group to close: {prefix}flash "
            "close NAME (see {prefix}flash list)."
        ),
        # the dashboard panels (titles, columns, rows and buttons)
        "panel_groups": "Flash groups",
        "panel_group": "group",
        "panel_title": "title",
        "panel_opened_by": "opened by",
        "panel_members": "members",
        "panel_messages": "messages",
        "panel_ends": "ends",
        "panel_close": "Close",
        "panel_close_confirm": "Close {name} now?",
        "panel_none": "No flash group is open.",
    },
    "zh": {
        "topic": "{title}(快闪群,{end}关闭)",
        "purpose": (
            "⚡ {title}\n由 {creator} 发起的快闪群,持续 "
            "{duration}:{end}关闭,之后本群将被{fate}。好好利用这段时间!"
        ),
        "purpose_open": "任何人都可以用 {prefix}flash join {name} 加入。",
        "fate_delete": "删除",
        "fate_archive": "归档(只读)",
        "opened": "已开启快闪群 #{name},{end}关闭,成员:{members}。",
        "opened_open": "已开启快闪群 #{name},{end}关闭。任何人都可以用 {prefix}flash join {name} 加入。",
        "announce_open": (
            "⚡ {creator} 开启了快闪群:{title},{end}关闭。"
            "用 {prefix}flash join {name} 加入。"
        ),
        "reminder": "⏳ 本快闪群将在 {left} 后({end})关闭。请收尾,保存值得留下的内容。",
        "summary": (
            "⚡ {title} 结束了,历时 {duration}:{people} "
            "人参与,共 {messages} 条消息。谢谢大家!本群现已{fate}。"
        ),
        "announce_summary": (
            "⚡ 快闪群 {title}(#{name})结束了,历时 {duration}:"
            "{people} 人参与,共 {messages} 条消息。"
        ),
        "closed": "已关闭快闪群 #{name}。",
        "joined": "你已加入 #{name}({end}关闭)。",
        "list_header": "开放中的快闪群:",
        "list_item": "#{name}:{title},{left} 后关闭({access})",
        "access_open": "用 {prefix}flash join {name} 加入",
        "access_invite": "仅限受邀成员",
        "list_empty": "目前没有开放的快闪群。",
        "no_groups": "{platform} 上无法使用快闪群:机器人不能在那里创建群组频道。",
        "too_long": "{duration} 太长了:快闪群最长 {max}。",
        "too_many": (
            "已有 {count} 个快闪群开放,达到同时开放的上限。请先用 "
            "{prefix}flash close NAME 关闭一个。"
        ),
        "create_failed": "无法创建快闪群;错误已记录,请联系管理员。",
        "join_failed": "无法把你加入 #{name};错误已记录,请联系管理员。",
        "unknown_group": "没有名为 {name} 的开放快闪群。请看 {prefix}flash list。",
        "invite_only": "#{name} 只对 {creator} 邀请的成员开放;只有不点名开启的快闪群才接受报名。",
        "other_platform": "#{name} 在 {platform} 上;请从那里加入。",
        "already_in": "你已经在 #{name} 里了。",
        "not_allowed_close": "只有发起人 {creator} 或管理员可以关闭 #{name}。",
        "which_group": "你有多个开放的快闪群({names});请指明:{prefix}flash close NAME。",
        "none_to_close": "请指明要关闭的快闪群:{prefix}flash close NAME(见 {prefix}flash list)。",
        # the dashboard panels (titles, columns, rows and buttons)
        "panel_groups": "快闪群组",
        "panel_group": "群组",
        "panel_title": "主题",
        "panel_opened_by": "发起人",
        "panel_members": "成员数",
        "panel_messages": "消息数",
        "panel_ends": "结束时间",
        "panel_close": "关闭",
        "panel_close_confirm": "现在关闭 {name} 吗?",
        "panel_none": "没有进行中的快闪群组。",
    },
}


def span(delta: timedelta, *, up: bool = False) -> str:
    """A duration in whole minutes (``1h30m``); ``up`` rounds a time left upwards."""
    minutes = delta.total_seconds() / 60
    whole = math.ceil(minutes) if up else round(minutes)
    return format_duration(timedelta(minutes=max(whole, 0))) if whole > 0 else "0m"


def moment(when: datetime, now: datetime, language: str) -> str:
    """A local time for a text: ``21:00`` today, ``Sat 21 Nov 21:00`` on another day."""
    if language == "zh":
        if when.date() == now.date():
            return f"{when:%H:%M}"
        return f"{when.month}月{when.day}日 {when:%H:%M}"
    if when.date() == now.date():
        return f"{when:%H:%M}"
    return f"{when:%a} {when.day} {when:%b} {when:%H:%M}"

_OPENING = ["title", "creator", "duration", "end", "fate", "name", "prefix"]
TEXTS = Texts(
    DEFAULTS,
    # What the code renders each text with, beyond what the defaults use.
    extra={
        "purpose": _OPENING, "purpose_open": _OPENING, "opened": _OPENING,
        "opened_open": _OPENING, "announce_open": _OPENING,
        "summary": ["name"], "announce_summary": ["fate"], "list_item": ["end"],
        "access_invite": ["name", "prefix"], "too_many": ["max"],
    },
)
"""The catalog operators' ``texts:`` overrides are checked against."""
