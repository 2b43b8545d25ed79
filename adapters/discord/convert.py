"""discord.py objects -> Hearth's models, and Hearth's text -> Discord's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import discord

from hearth.models import Channel, Member, Message, Role, extract_links
from hearth.text import Mention
from hearth.text import render as render_text

PLATFORM = "discord"
MAX_LENGTH = 2000  # Discord's limit for a message's content


@dataclass
class RoleMap:
    """Neutral roles <-> Discord role ids in one guild (configured, or created by the bot)."""

    ids: dict[Role, int] = field(default_factory=dict)

    def role_of(self, member: discord.Member) -> Role:
        if member.guild.owner_id == member.id:
            return Role.OWNER
        roles = member.roles  # with @everyone; what guild_permissions would compute, read once
        if any(r.permissions.administrator for r in roles):
            return Role.ADMIN
        held = {r.id for r in roles}
        found = [role for role, rid in self.ids.items() if rid in held]
        return max(found) if found else Role.MEMBER


def to_member(user: discord.abc.User, roles: RoleMap | None = None) -> Member:
    role = Role.MEMBER
    if isinstance(user, discord.Member) and roles is not None:
        role = roles.role_of(user)
    return Member(platform=PLATFORM, id=str(user.id), name=user.display_name, role=role,
                  is_bot=user.bot)


def to_channel(channel_id: int, name: str | None, dm_with: int | None = None) -> Channel:
    return Channel(platform=PLATFORM, id=str(channel_id), name=name,
                   dm_with=None if dm_with is None else str(dm_with))


def snowflake_ms(snowflake: int) -> int:
    """When Discord made the object with id ``snowflake``, in epoch milliseconds (the id's top bits)."""
    return (snowflake >> 22) + discord.utils.DISCORD_EPOCH


def to_message(message: discord.Message, channel: Channel, author: Member) -> Message:
    reply_to = None
    if message.reference is not None and message.reference.message_id is not None:
        reply_to = str(message.reference.message_id)
    return Message(
        platform=PLATFORM,
        id=str(message.id),
        channel=channel,
        author=author,
        text=message.content,
        time_ms=snowflake_ms(message.id),
        mentions=tuple(str(u.id) for u in message.mentions),
        links=extract_links(message.content),
        reply_to=reply_to,
        raw=message,
    )


def render(text: str) -> str:
    """``text`` as Discord shows it: a mention (:func:`hearth.mention`) of a Discord member
    is ``<@id>``; a member of another network is named, never shown by id."""
    return render_text(text, _mention)


def _mention(part: Mention) -> str:
    if part.platform != PLATFORM or not part.id.isdigit():
        return part.elsewhere
    return part.shown if part.with_id else f"<@{part.id}>"


def role_ids(configured: Mapping[Role, str]) -> dict[Role, int]:
    return {role: int(rid) for role, rid in configured.items() if str(rid).isdigit()}


def chunks(text: str) -> list[str]:
    """``text`` cut to Discord's length limit, at line breaks where possible."""
    text = text or "\u200b"
    parts: list[str] = []
    while len(text) > MAX_LENGTH:
        cut = text.rfind("\n", 0, MAX_LENGTH)
        if cut <= 0:
            cut = MAX_LENGTH
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts
