"""Every text the leaders plugin sends, in English and Chinese (overridable under ``texts:``)."""

from __future__ import annotations

from collections.abc import Callable

from hearth import PluginContext, Text, Texts
from hearth.i18n import texts

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
        "proposal_examples": " (replies received: {replies}, reactions received: {reactions};"
                             " most from {names})",
        "health_more": " Leaders silent for {silent} or more: {inactive}. Unclaimed tasks: {unclaimed}.",
        "council_welcome": "Welcome to the council, {who}! Tasks are posted here: {prefix}tasks lists them.",
        "council_topic": "The leaders of {community}: tasks, proposals and each other.",
        "cohort_head": "Your cohort ({count}, span {span}):",
        "cohort_line": "• {who}: last spoke {when}",
        "cohort_never": "never",
        "cohort_empty": "Your cohort is empty for now.",
        "cohort_not_leader": "Only leaders have a cohort: {prefix}leaders shows the pyramid.",
        "announcement": "📣 {text}\n— {who}",
        "announce_where": "Announce in a channel of the community, not by direct message.",
        "pin_how": "Reply to the message to pin or unpin with {prefix}{command}.",
        "pinned": "Pinned.",
        "unpinned": "Unpinned.",
        "no_council": "There is no council channel (leaders.channel) to post tasks to.",
        "task_posted": "📋 Task #{id}: {text}\nA leader takes it with {prefix}claim {id}.",
        "task_again": "📋 Still unclaimed, task #{id}: {text}\nA leader takes it with {prefix}claim {id}.",
        "task_created": "Task #{id} is posted to the council.",
        "no_task": "There is no task #{id}: {prefix}tasks lists the open ones.",
        "task_is_done": "Task #{id} is done already.",
        "task_taken": "Task #{id} is {who}'s.",
        "task_yours": "Task #{id} is yours already: {prefix}done {id} when it is done.",
        "claimed": "Task #{id} is yours: {text}. {prefix}done {id} when it is done. Thank you!",
        "task_done": "Task #{id} is done. Thank you!",
        "tasks_head": "Open tasks:",
        "task_open": "• #{id} (open): {text}",
        "task_claimed": "• #{id} ({who}): {text}",
        "no_tasks": "No open tasks.",
        "digest_head": "Done by the leaders of {community} this week ({count}):",
        "digest_line": "• #{id} {text}: {who}",
        "inactive_warning": (
            "We have not heard from you in {community} for {silent}. Leaders keep the group going:"
            " say something there within a week to stay a leader, or {prefix}leaders resign to step down."
        ),
        "demoted": (
            "You were silent in {community} for a week after the reminder, so you are no longer a"
            " leader. Thank you for your work! The owner can make you a leader again."
        ),
        "demoted_owner": (
            "{who} was silent too long and is no longer a leader; their cohort went to the others."
        ),
        # the dashboard panels (titles, columns, rows and buttons)
        "panel_leaders": "Leaders",
        "panel_leader": "leader",
        "panel_cohort": "cohort",
        "panel_week": "messages this week",
        "panel_no_leaders": "No leaders yet.",
        "panel_revoke": "Revoke",
        "panel_revoke_confirm": "Revoke {name}'s leadership?",
        "panel_proposals": "Leader proposals",
        "panel_person": "person",
        "panel_state": "state",
        "panel_proposed": "proposed",
        "panel_approved": "approved", "panel_declined": "declined",
        "panel_approve": "Approve",
        "panel_proposals_note": "Approved people are asked by direct message; they lead once they accept.",
        "panel_proposals_none": "No proposal is waiting.",
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
        "proposal_examples": "（收到 {replies} 条回复、{reactions} 个表情；最多来自 {names}）",
        "health_more": "沉默 {silent} 以上的领袖：{inactive}。无人认领的任务：{unclaimed}。",
        "council_welcome": "欢迎加入领袖议事室，{who}！任务会发在这里：{prefix}tasks 可查看。",
        "council_topic": "{community} 的领袖议事室：任务、提名与互相支持。",
        "cohort_head": "你的小组（{count} 人，上限 {span}）：",
        "cohort_line": "• {who}：最近发言 {when}",
        "cohort_never": "从未发言",
        "cohort_empty": "你的小组暂时没有成员。",
        "cohort_not_leader": "只有领袖才有小组：{prefix}leaders 可查看金字塔。",
        "announcement": "📣 {text}\n—— {who}",
        "announce_where": "请在群里的频道发布公告，而不是私信。",
        "pin_how": "请回复要置顶或取消置顶的消息，并使用 {prefix}{command}。",
        "pinned": "已置顶。",
        "unpinned": "已取消置顶。",
        "no_council": "没有设置领袖议事频道（leaders.channel），无法发布任务。",
        "task_posted": "📋 任务 #{id}：{text}\n领袖可用 {prefix}claim {id} 认领。",
        "task_again": "📋 任务 #{id} 仍无人认领：{text}\n领袖可用 {prefix}claim {id} 认领。",
        "task_created": "任务 #{id} 已发到领袖议事室。",
        "no_task": "没有任务 #{id}：{prefix}tasks 可查看未完成的任务。",
        "task_is_done": "任务 #{id} 已经完成。",
        "task_taken": "任务 #{id} 已由 {who} 认领。",
        "task_yours": "任务 #{id} 已经是你的了：完成后请用 {prefix}done {id}。",
        "claimed": "任务 #{id} 归你了：{text}。完成后请用 {prefix}done {id}。谢谢！",
        "task_done": "任务 #{id} 已完成，谢谢！",
        "tasks_head": "未完成的任务：",
        "task_open": "• #{id}（待认领）：{text}",
        "task_claimed": "• #{id}（{who}）：{text}",
        "no_tasks": "没有未完成的任务。",
        "digest_head": "{community} 的领袖本周完成的任务（{count} 项）：",
        "digest_line": "• #{id} {text}：{who}",
        "inactive_warning": (
            "你已经 {silent} 没有在 {community} 发言了。领袖让群保持活跃："
            "请在一周内去群里说几句以保留领袖身份，或用 {prefix}leaders resign 卸任。"
        ),
        "demoted": (
            "提醒之后你在 {community} 又沉默了一周，因此已不再是领袖。感谢你的付出！群主可以再次任命你。"
        ),
        "demoted_owner": "{who} 沉默太久，已不再是领袖；其小组成员已分给其他领袖。",
        # the dashboard panels (titles, columns, rows and buttons)
        "panel_leaders": "意见领袖",
        "panel_leader": "意见领袖",
        "panel_cohort": "小组人数",
        "panel_week": "本周消息",
        "panel_no_leaders": "还没有意见领袖。",
        "panel_revoke": "撤销",
        "panel_revoke_confirm": "确定撤销 {name} 的意见领袖身份吗?",
        "panel_proposals": "意见领袖提名",
        "panel_person": "成员",
        "panel_state": "状态",
        "panel_proposed": "已提名",
        "panel_approved": "已批准", "panel_declined": "已婉拒",
        "panel_approve": "批准",
        "panel_proposals_note": "已批准的人会收到私信邀请,接受后成为意见领袖。",
        "panel_proposals_none": "没有等待处理的提名。",
    },
}

TEXTS = Texts(DEFAULTS)
"""The catalog operators' ``texts:`` overrides are checked against."""


def say_for(ctx: PluginContext) -> Callable[..., Text]:
    """``say(key, **values)`` in the community's language, with the operator's overrides."""
    return texts(DEFAULTS, ctx.language, ctx.config.texts)
