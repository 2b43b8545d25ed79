"""The community's rules (``communities.<key>.rules``) and the core ``rules`` command.

Plugins read the rules from ``ctx.community.rules`` (welcome sends them to
newcomers); members ask for them with ``!rules``.
"""

from __future__ import annotations

from hearth.commands import Command, Invocation
from hearth.i18n import texts
from hearth.models import Role

TEXTS = {
    "en": {
        "rules": "The rules of {community}:\n\n{rules}",
        "no_rules": "{community} has not written down its rules yet.",
    },
    "zh": {
        "rules": "{community} 的群规:\n\n{rules}",
        "no_rules": "{community} 还没有写下群规。",
    },
}


async def _show(inv: Invocation) -> str:
    community = inv.ctx.community
    say = texts(TEXTS, community.language)
    if not community.rules:
        return say("no_rules", community=community.key)
    return say("rules", community=community.key, rules=community.rules.strip())


def rules_command(plugin: str) -> Command:
    """``rules``: shows the community's rules to anyone, newcomers included."""
    return Command(name="rules", handler=_show, min_role=Role.NEWCOMER,
                   help="show the community's rules", plugin=plugin)
