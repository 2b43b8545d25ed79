"""Hearth: a self-hosted bot that keeps chat communities alive.

A plugin imports everything it needs from here::

    from hearth import Command, Param, PluginConfig, Role, Verdict, hookimpl, mention
"""

from hearth.commands import Command, Invocation, Param
from hearth.config import (
    ChannelName,
    Day,
    Deprecated,
    Duration,
    PluginConfig,
    RoleName,
    TimeOfDay,
    longest,
    shortest,
)
from hearth.context import PluginContext
from hearth.declarations import LeaderCandidate, Need, Verdict
from hearth.errors import (
    AdapterError,
    CapabilityMissing,
    CommandError,
    ConfigError,
    Forbidden,
    HearthError,
    LimitReached,
    NotFound,
    PermissionDenied,
    RateLimited,
    StartupError,
    StorageError,
    Unreachable,
    UsageError,
)
from hearth.groups import Group, Summary, adopt_group
from hearth.hookspecs import hookimpl
from hearth.i18n import TextOverrides, Texts, texts
from hearth.ladder import Ladder, Step, default_ladder, step_for
from hearth.models import (
    Capability,
    Channel,
    Member,
    Message,
    Reaction,
    Role,
    SentMessage,
    literal,
)
from hearth.outbox import Outcome, Pending
from hearth.patterns import Pattern, SafePattern, compile_pattern
from hearth.people import Activity, DayTotals, InteractionGraph, MemberRecord
from hearth.people.dialogs import Answer
from hearth.people.persons import Person
from hearth.people.strikes import Strike
from hearth.reports import Panel, PanelAction, PanelRow, Pyramid, Referral, Report
from hearth.scheduler import Job
from hearth.storage import SQL, CommunityStore, Row, Store, like_prefix
from hearth.text import Mention, Text, mention
from hearth.textnorm import INVISIBLE, plain
from hearth.timeutil import format_duration, from_ms, parse_duration, to_ms

__version__ = "0.1.0"

__all__ = [
    "INVISIBLE",
    "SQL",
    "Activity",
    "AdapterError",
    "Answer",
    "Capability",
    "CapabilityMissing",
    "Channel",
    "ChannelName",
    "Command",
    "CommandError",
    "CommunityStore",
    "ConfigError",
    "Day",
    "DayTotals",
    "Deprecated",
    "Duration",
    "Forbidden",
    "Group",
    "HearthError",
    "InteractionGraph",
    "Invocation",
    "Job",
    "Ladder",
    "LeaderCandidate",
    "LimitReached",
    "Member",
    "MemberRecord",
    "Mention",
    "Message",
    "Need",
    "NotFound",
    "Outcome",
    "Panel",
    "PanelAction",
    "PanelRow",
    "Param",
    "Pattern",
    "Pending",
    "PermissionDenied",
    "Person",
    "PluginConfig",
    "PluginContext",
    "Pyramid",
    "RateLimited",
    "Reaction",
    "Referral",
    "Report",
    "Role",
    "RoleName",
    "Row",
    "SafePattern",
    "SentMessage",
    "StartupError",
    "Step",
    "StorageError",
    "Store",
    "Strike",
    "Summary",
    "Text",
    "TextOverrides",
    "Texts",
    "TimeOfDay",
    "Unreachable",
    "UsageError",
    "Verdict",
    "adopt_group",
    "compile_pattern",
    "default_ladder",
    "format_duration",
    "from_ms",
    "hookimpl",
    "like_prefix",
    "literal",
    "longest",
    "mention",
    "parse_duration",
    "plain",
    "shortest",
    "step_for",
    "texts",
    "to_ms",
]
