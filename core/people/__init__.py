"""Who is here and what they do: members, activity, people and dialogs.

The member directory and the activity ledger are core data.

Plugins read them through their context (``ctx.members()``, ``ctx.member()``,
``ctx.activity()``, ``ctx.interactions()``, ``ctx.daily_totals()``); see
docs/writing-plugins.md.
"""

from hearth.people.records import (
    Account,
    Activity,
    DayTotals,
    InteractionGraph,
    MemberRecord,
    account_of,
)

__all__ = ["Account", "Activity", "DayTotals", "InteractionGraph", "MemberRecord", "account_of"]
