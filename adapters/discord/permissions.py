"""The start-up report on the bot's own permissions in each guild.

One line per missing permission, naming what will not work, so an operator
fixes the role once instead of meeting failures action by action.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import discord

from hearth.adapters.discord.convert import role_ids
from hearth.adapters.discord.session import Session
from hearth.models import Role

#: (permission attribute, its name in Discord's UI, the features that need it)
NEEDED: tuple[tuple[str, str, str], ...] = (
    ("view_channel", "View Channels", "seeing the community's channels"),
    ("send_messages", "Send Messages", "welcomes, replies and announcements"),
    ("attach_files", "Attach Files", "images such as the health report's chart"),
    ("read_message_history", "Read Message History",
     "handling the messages posted while the bot was down"),
    ("manage_messages", "Manage Messages",
     "deleting ads and other moderated messages, and pinning"),
    ("moderate_members", "Timeout Members", "muting members (ad strikes, moderation)"),
    ("manage_roles", "Manage Roles", "granting and revoking roles (newcomer, member, leader)"),
    ("manage_channels", "Manage Channels",
     "creating, archiving and deleting flash and breakout group channels"),
    ("kick_members", "Kick Members", "kicking members (rules not accepted, ad strikes)"),
    ("ban_members", "Ban Members", "banning members (ad strikes)"),
)


def check(session: Session) -> list[str]:
    """The problems with the bot's permissions in every guild on this process's shards."""
    problems: list[str] = []
    client = session.connected()
    for key, gid in session.guild_ids().items():
        if not session.on_my_shards(gid):
            continue
        guild = client.get_guild(gid)
        if guild is None:
            problems.append(
                f"community {key!r}: the bot is not in guild {gid}; invite it with "
                f"{invite_url(client.application_id or client.user.id)}"
            )
            continue
        binding = session.communities[key]
        problems.extend(report(key, guild, role_ids(binding.roles), binding.channels.items()))
    return problems


def report(
    community: str,
    guild: discord.Guild,
    role_ids: Mapping[Role, int],
    channel_ids: Iterable[tuple[str, str]],
) -> list[str]:
    """The problems with the bot's permissions in ``guild`` (empty: all fine)."""
    me = guild.me
    where = f"community {community!r} (guild {guild.name!r}, {guild.id})"
    problems: list[str] = []
    perms = me.guild_permissions
    for attr, label, feature in NEEDED:
        if not getattr(perms, attr):
            problems.append(f"{where}: the bot lacks the {label} permission, so {feature} "
                            "will not work")
    if perms.manage_roles:
        top = me.top_role
        for neutral, rid in sorted(role_ids.items()):
            role = guild.get_role(rid)
            if role is None:
                problems.append(f"{where}: role {neutral.label} is mapped to {rid}, "
                                "which does not exist in the guild")
            elif role >= top:
                problems.append(
                    f"{where}: role {role.name!r} ({neutral.label}) is not below the bot's top "
                    f"role {top.name!r}, so the bot cannot grant or revoke it: move the bot's "
                    "role above it in Server Settings > Roles"
                )
    for name, cid in channel_ids:
        channel = guild.get_channel(int(cid)) if cid.isdigit() else None
        if channel is None:
            problems.append(f"{where}: channel {name!r} is mapped to {cid}, "
                            "which the bot cannot see")
            continue
        if not isinstance(channel, discord.abc.Messageable):
            problems.append(f"{where}: channel {name!r} ({cid}) is not a text channel")
            continue
        here = channel.permissions_for(me)
        if not (here.view_channel and here.send_messages):
            problems.append(f"{where}: the bot cannot post in #{channel.name} ({name}), "
                            "so messages meant for it will fail")
    return problems


def invite_url(application_id: int | str) -> str:
    """The OAuth2 URL that adds the bot with the permissions Hearth needs."""
    value = needed_permissions().value
    return ("https://discord.com/oauth2/authorize?client_id="
            f"{application_id}&scope=bot+applications.commands&permissions={value}")


def needed_permissions() -> discord.Permissions:
    perms = discord.Permissions.none()
    for attr, _label, _feature in NEEDED:
        setattr(perms, attr, True)
    perms.read_message_history = True
    perms.add_reactions = True
    perms.embed_links = True
    return perms
