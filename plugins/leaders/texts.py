"""Every text the leaders plugin sends, in English and Chinese (overridable under ``texts:``)."""

from __future__ import annotations

from hearth import Texts

DEFAULTS: dict[str, dict[str, str]] = {
    "en": {
        "proposal_owner": "Proposed as leaders of {community} ({count}):",
        "proposal_line": "• {who}: score {score}, answered by {distinct} people{reason}",
        "proposal_reason": "; {reason}",
        "proposal_council": "Proposed as leaders: {names}",
        "proposed": "Proposed {count}: {names}. The owner has the reasons by DM.",
        "nothing_to_propose": "No one to propose: {leaders} leaders for {members} members (aim: {wanted}).",
        "pyramid": "{community}: {leaders} leaders for {members} members (aim: {wanted}).",
        "pyramid_leader": "• {who}: {count} in their cohort",
        "no_leaders": "No leaders yet.",
        "health": (
            "Pyramid of {community}: {leaders} leaders for {members} members ({share}; aim: {wanted});"
            " largest cohort {largest} (span {span}); leaders missing: {missing}."
        ),
        "offer_question": (
            "The owner of {community} would like you to be one of its leaders: you would look after a few"
            " members and help with tasks. Will you? (or answer with {prefix}leaders accept /"
            " {prefix}leaders decline)"
        ),
        "yes": "Yes",
        "no": "No",
        "approved": "Approved {who}: they are asked by DM and become a leader once they accept.",
        "approve_bot": "{who} is a bot: bots cannot be leaders.",
        "already_leader": "{who} is already a leader (or an admin or the owner).",
        "no_offer": "There is no leadership offer for you to answer here.",
        "welcome_leader": (
            "You are now a leader of {community}. Thank you! {prefix}leaders resign steps down."
        ),
        "declined": "Understood: you are not a leader. Thank you for saying so.",
        "resigned": "You stepped down as a leader. Thank you for your work!",
        "not_leader": "{who} is not a leader.",
        "revoked": "{who} is no longer a leader.",
    },
    "zh": {
        "proposal_owner": "{community} 的领袖提名（{count} 人）：",
        "proposal_line": "• {who}：得分 {score}，{distinct} 人与其互动{reason}",
        "proposal_reason": "；{reason}",
        "proposal_council": "领袖提名：{names}",
        "proposed": "已提名 {count} 人：{names}。理由已私信群主。",
        "nothing_to_propose": "无人可提名：{members} 名成员中已有 {leaders} 名领袖（目标：{wanted}）。",
        "pyramid": "{community}：{members} 名成员，{leaders} 名领袖（目标：{wanted}）。",
        "pyramid_leader": "• {who}：小组 {count} 人",
        "no_leaders": "还没有领袖。",
        "health": (
            "{community} 的金字塔：{members} 名成员，{leaders} 名领袖（{share}；目标：{wanted}）；"
            "最大小组 {largest} 人（上限 {span}）；还缺领袖：{missing}。"
        ),
        "offer_question": (
            "{community} 的群主希望你成为领袖之一：照看几位成员，帮忙完成任务。你愿意吗？"
            "（也可以回复 {prefix}leaders accept / {prefix}leaders decline）"
        ),
        "yes": "愿意",
        "no": "不了",
        "approved": "已批准 {who}：已私信询问，对方接受后成为领袖。",
        "approve_bot": "{who} 是机器人，不能成为领袖。",
        "already_leader": "{who} 已经是领袖（或管理员、群主）。",
        "no_offer": "这里没有等你答复的领袖邀请。",
        "welcome_leader": "你现在是 {community} 的领袖了，谢谢！用 {prefix}leaders resign 可以卸任。",
        "declined": "明白了：你不担任领袖。谢谢告知。",
        "resigned": "你已卸任领袖。感谢你的付出！",
        "not_leader": "{who} 不是领袖。",
        "revoked": "{who} 已不再是领袖。",
    },
}

TEXTS = Texts(DEFAULTS)
"""The catalog operators' ``texts:`` overrides are checked against."""
