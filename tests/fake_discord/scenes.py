"""Ready-made scenes (guild, channels, users) for tests and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass

from .server import FakeDiscord
from .state import Channel, Guild, Role, User


@dataclass
class Scene:
    """A guild with a category, two text channels, a role, and two ordinary members."""

    guild: Guild
    general: Channel
    lounge: Channel
    category: Channel
    member_role: Role
    alice: User
    bob: User


def standard_scene(fake: FakeDiscord, name: str = "Hearth Test") -> Scene:
    """Build the standard scene silently (call before the bot connects).

    Members: the bot (admin role), the owner, alice and bob. Channels: #general,
    category "Community" containing #lounge. Role "Member" (no permissions).
    """
    alice = fake.add_user("alice")
    bob = fake.add_user("bob")
    guild = fake.add_guild(name, members=[alice, bob], channels=("general",))
    member_role = guild.add_role("Member", permissions=0)
    category = guild.add_category("Community")
    lounge = guild.add_text_channel("lounge", category=category)
    return Scene(guild, guild.channel_named("general"), lounge, category, member_role, alice, bob)
