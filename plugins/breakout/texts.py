"""Every text the breakout plugin sends, in English and Chinese (overridable under ``texts:``)."""

from __future__ import annotations

from hearth import Texts

DEFAULTS: dict[str, dict[str, str]] = {
    "en": {
        "intro": (
            "Let's find people here you have something in common with: {count} short questions "
            "follow. Your answers only decide who meets in small breakout groups."
        ),
        "thanks": "Thank you! You take part in the next breakout round.",
        "sent": "I sent you the breakout questionnaire by DM.",
        "stopped": (
            "You are out of the breakout rounds; your answers are kept. "
            "{prefix}breakout back brings you back."
        ),
        "back": "You are back in the breakout rounds.",
        "back_incomplete": "You are back in; answer the questionnaire ({prefix}breakout) to take part.",
        "not_asked": "That question is not part of the questionnaire (any more); the answer was not kept.",
        "group_name": "breakout-{round}-{number}",
        "topic": "Breakout round {round}: {shared}",
        "icebreaker": (
            "👋 Welcome to your breakout group, {members}!\n"
            "You have in common: {shared}.\n"
            "A first question to start: {opener}\n"
            "{fate}"
        ),
        "icebreaker_alone": (
            "👋 Welcome to your breakout group, {members}! Each of you brings something different: "
            "tell the others what you do and what you enjoy.\n{fate}"
        ),
        "opener": "you all picked “{answer}” for “{question}”: how did that come about for each of you?",
        "shared_item": "{answer} ({count} of you)",
        "fate_open": "This group stays open.",
        "fate_timed": "It is open until {end}, then it is {mode}.",
        "mode_delete": "deleted",
        "mode_archive": "archived (read-only)",
        "summary": (
            "This breakout group closes now, after {duration}. Messages: {messages}; people who "
            "wrote: {people}. Thank you for taking part!"
        ),
        "round_done": (
            "Breakout round {round}: {groups} groups, {people} people. Shared answers per pair: "
            "{ties} (a random grouping: {random}; at most: {bound})."
        ),
        "round_waiting": "{count} people wait for the next round (max_groups is {max}); they go first then.",
        "round_repeats": "{count} pairs meet again: the numbers left no other way.",
        "round_skipped": (
            "Breakout round skipped on {platform}: {count} complete answers, {needed} are needed for "
            "one group."
        ),
        "round_no_groups": "Breakout round skipped on {platform}: the bot cannot create groups there.",
        "create_failed": (
            "{count} breakout groups could not be created on {platform}; those people go first "
            "next round."
        ),
        "preview_header": "Next breakout round (nothing is created by this preview):",
        "preview_platform": (
            "{platform}: {groups} {kind} for {people} people. Shared answers per pair: {ties} "
            "(random: {random}; at most: {bound})."
        ),
        "preview_group": "{number}. {members}: {shared}",
        "preview_end": "Each group ends after {duration}, then it is {mode}.",
        "preview_stay": "The groups stay open (no duration).",
        "preview_more": "… and {count} more groups.",
        "kind_channels": "private group channels",
        "kind_threads": "private threads in #{channel}",
        "nothing_shared": "nothing yet",
        "nobody": "Nobody has answered the questionnaire completely yet.",
        # the dashboard panels (titles, columns, rows and buttons)
        "panel_rounds": "Breakout rounds",
        "panel_round": "round",
        "panel_round_number": "round {number}",
        "panel_started": "started",
        "panel_groups": "groups",
        "panel_people": "people",
        "panel_next": "next round",
        "panel_preview": "Preview",
        "panel_run": "Run now",
        "panel_run_confirm": "Form a breakout round now?",
        "panel_rounds_none": "No round yet.",
        "panel_open": "Breakout groups open",
        "panel_group": "group",
        "panel_members": "members",
        "panel_messages": "messages",
        "panel_speakers": "speakers",
        "panel_ends": "ends",
        "panel_open_none": "No breakout group is open.",
    },
    "zh": {
        "intro": "我们来找找你在这里和谁有共同点:接下来有 {count} 个小问题。你的回答只用于安排小组交流。",
        "thanks": "谢谢!你会参加下一轮小组交流。",
        "sent": "我已私信你小组问卷。",
        "stopped": "你已退出小组交流,回答已保留。用 {prefix}breakout back 重新加入。",
        "back": "你已重新加入小组交流。",
        "back_incomplete": "你已重新加入;请先回答问卷({prefix}breakout)才能参加。",
        "not_asked": "这个问题不(再)属于问卷,回答未保存。",
        "group_name": "breakout-{round}-{number}",
        "topic": "第 {round} 轮小组交流:{shared}",
        "icebreaker": (
            "👋 欢迎来到你们的小组,{members}!\n你们的共同点:{shared}。\n第一个话题:{opener}\n{fate}"
        ),
        "icebreaker_alone": "👋 欢迎来到你们的小组,{members}!你们各有不同:说说你做什么、喜欢什么吧。\n{fate}",
        "opener": "你们在“{question}”都选了“{answer}”:各自是怎么开始的?",
        "shared_item": "{answer}({count} 人)",
        "fate_open": "本小组会一直保留。",
        "fate_timed": "本小组开放到 {end},之后将被{mode}。",
        "mode_delete": "删除",
        "mode_archive": "归档(只读)",
        "summary": "本小组现在关闭,历时 {duration}:共 {messages} 条消息,{people} 人发言。谢谢参与!",
        "round_done": (
            "第 {round} 轮小组交流:{groups} 个小组,{people} 人。每对成员的共同回答:{ties}"
            "(随机分组:{random};上限:{bound})。"
        ),
        "round_waiting": "{count} 人等待下一轮(每轮最多 {max} 个小组);下一轮优先安排。",
        "round_repeats": "{count} 对成员再次同组:人数所限,别无他法。",
        "round_skipped": (
            "{platform} 上的小组交流本轮跳过:只有 {count} 份完整回答,一个小组至少需要 {needed} 份。"
        ),
        "round_no_groups": "{platform} 上的小组交流本轮跳过:机器人不能在那里创建小组。",
        "create_failed": "{platform} 上有 {count} 个小组未能创建;这些成员下一轮优先。",
        "preview_header": "下一轮小组交流(预览不会创建任何东西):",
        "preview_platform": (
            "{platform}:{groups} 个{kind},{people} 人。每对成员的共同回答:{ties}"
            "(随机:{random};上限:{bound})。"
        ),
        "preview_group": "{number}. {members}:{shared}",
        "preview_end": "每个小组在 {duration} 后结束,之后将被{mode}。",
        "preview_stay": "小组会一直保留(未设置 duration)。",
        "preview_more": "……还有 {count} 个小组。",
        "kind_channels": "私密小组频道",
        "kind_threads": "#{channel} 中的私密子区",
        "nothing_shared": "暂无",
        "nobody": "还没有人完整回答问卷。",
        # the dashboard panels (titles, columns, rows and buttons)
        "panel_rounds": "小组交流轮次",
        "panel_round": "轮次",
        "panel_round_number": "第 {number} 轮",
        "panel_started": "开始时间",
        "panel_groups": "小组数",
        "panel_people": "人数",
        "panel_next": "下一轮",
        "panel_preview": "预览",
        "panel_run": "立即开始",
        "panel_run_confirm": "现在就组建一轮小组交流吗?",
        "panel_rounds_none": "还没有进行过任何一轮。",
        "panel_open": "进行中的交流小组",
        "panel_group": "小组",
        "panel_members": "成员数",
        "panel_messages": "消息数",
        "panel_speakers": "发言人数",
        "panel_ends": "结束时间",
        "panel_open_none": "没有进行中的交流小组。",
    },
}

TEXTS = Texts(
    DEFAULTS,
    # What the code renders each text with, beyond what the defaults use.
    extra={
        "intro": ["prefix"], "thanks": ["prefix"], "sent": ["prefix"], "back": ["prefix"],
        "group_name": ["platform"], "topic": ["number"],
        "icebreaker": ["round", "number"], "icebreaker_alone": ["round", "number", "shared", "opener"],
        "summary": ["round", "name"],
        "round_done": ["platform"], "round_skipped": ["round"],
    },
)
"""The catalog operators' ``texts:`` overrides are checked against."""
