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
    },
}

TEXTS = Texts(DEFAULTS)
"""The catalog operators' ``texts:`` overrides are checked against."""
