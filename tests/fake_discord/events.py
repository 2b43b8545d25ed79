"""Builders of the gateway events Discord emits, shared by REST handlers and injections."""

from __future__ import annotations

from .gateway import EventData, Gateway, GatewaySession, Intents
from .state import JSON, Channel, Guild, Member, Message, Role, State, User, emoji_payload


class Events:
    """Emit Discord gateway events for changes of the fake's state."""

    def __init__(self, state: State, gateway: Gateway) -> None:
        self.state = state
        self.gateway = gateway

    # -- messages ------------------------------------------------------------------------

    def message_create(self, message: Message) -> int:
        payload = self.state.message_payload(message)
        intent = Intents.GUILD_MESSAGES if message.guild_id else Intents.DIRECT_MESSAGES
        return self.gateway.dispatch("MESSAGE_CREATE", self._content_gate(message, payload), intent)

    def message_update(self, message: Message) -> int:
        payload = self.state.message_payload(message)
        intent = Intents.GUILD_MESSAGES if message.guild_id else Intents.DIRECT_MESSAGES
        return self.gateway.dispatch("MESSAGE_UPDATE", self._content_gate(message, payload), intent)

    def _content_gate(self, message: Message, payload: JSON) -> EventData:
        """Strip content for sessions lacking MESSAGE_CONTENT, as Discord does."""
        bot_id = self.state.bot.id
        exempt = (
            message.guild_id is None
            or message.author.id == bot_id
            or any(u.id == bot_id for u in message.mentions)
        )

        def for_session(session: GatewaySession) -> JSON:
            if exempt or session.wants(Intents.MESSAGE_CONTENT):
                return payload
            stripped = dict(payload)
            stripped.update(content="", embeds=[], attachments=[], components=[])
            stripped.pop("poll", None)
            return stripped

        return for_session

    def message_delete(self, message: Message) -> int:
        data: JSON = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if message.guild_id:
            data["guild_id"] = str(message.guild_id)
        intent = Intents.GUILD_MESSAGES if message.guild_id else Intents.DIRECT_MESSAGES
        return self.gateway.dispatch("MESSAGE_DELETE", data, intent)

    def reaction(self, message: Message, user: User, emoji: str, *, add: bool) -> int:
        data: JSON = {
            "user_id": str(user.id),
            "channel_id": str(message.channel_id),
            "message_id": str(message.id),
            "emoji": emoji_payload(emoji),
            "burst": False,
            "type": 0,
        }
        intent = Intents.DIRECT_MESSAGE_REACTIONS
        if message.guild_id:
            intent = Intents.GUILD_MESSAGE_REACTIONS
            data["guild_id"] = str(message.guild_id)
            guild = self.state.guilds[message.guild_id]
            if add and user.id in guild.members:
                data["member"] = guild.members[user.id].to_payload()
        if add:
            data["message_author_id"] = str(message.author.id)
            data["burst_colors"] = []
        return self.gateway.dispatch(
            "MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE", data, intent
        )

    def pins_update(self, channel: Channel, last_pin_timestamp: str | None) -> int:
        data: JSON = {"channel_id": str(channel.id), "last_pin_timestamp": last_pin_timestamp}
        if channel.guild_id:
            data["guild_id"] = str(channel.guild_id)
        intent = Intents.GUILD_MESSAGES if channel.guild_id else Intents.DIRECT_MESSAGES
        return self.gateway.dispatch("CHANNEL_PINS_UPDATE", data, intent)

    # -- members -------------------------------------------------------------------------

    def member_add(self, member: Member) -> int:
        data = member.to_payload()
        data["guild_id"] = str(member.guild_id)
        return self.gateway.dispatch("GUILD_MEMBER_ADD", data, Intents.GUILD_MEMBERS)

    def member_update(self, member: Member) -> int:
        data = member.to_payload()
        data["guild_id"] = str(member.guild_id)
        return self.gateway.dispatch("GUILD_MEMBER_UPDATE", data, Intents.GUILD_MEMBERS)

    def member_remove(self, guild: Guild, user: User) -> int:
        data = {"guild_id": str(guild.id), "user": user.to_payload()}
        return self.gateway.dispatch("GUILD_MEMBER_REMOVE", data, Intents.GUILD_MEMBERS)

    def ban(self, guild: Guild, user: User, *, add: bool) -> int:
        data = {"guild_id": str(guild.id), "user": user.to_payload()}
        event = "GUILD_BAN_ADD" if add else "GUILD_BAN_REMOVE"
        return self.gateway.dispatch(event, data, Intents.GUILD_MODERATION)

    # -- guild structure -----------------------------------------------------------------

    def channel(self, event: str, channel: Channel) -> int:
        """CHANNEL_CREATE / CHANNEL_UPDATE / CHANNEL_DELETE."""
        return self.gateway.dispatch(event, channel.to_payload(), Intents.GUILDS)

    def thread(self, event: str, thread: Channel) -> int:
        """THREAD_CREATE / THREAD_DELETE (to the bot, a member of the threads it opens)."""
        payload = thread.to_payload()
        if event == "THREAD_CREATE":
            payload["newly_created"] = True
        return self.gateway.dispatch(event, payload, Intents.GUILDS)

    def role(self, event: str, guild: Guild, role: Role) -> int:
        """GUILD_ROLE_CREATE / GUILD_ROLE_UPDATE / GUILD_ROLE_DELETE."""
        data: JSON = {"guild_id": str(guild.id)}
        if event == "GUILD_ROLE_DELETE":
            data["role_id"] = str(role.id)
        else:
            data["role"] = role.to_payload()
        return self.gateway.dispatch(event, data, Intents.GUILDS)

    def guild_create(self, guild: Guild) -> int:
        return self.gateway.dispatch(
            "GUILD_CREATE", lambda s: self.gateway.guild_create_payload(guild.id, s), Intents.GUILDS
        )

    def interaction_create(self, payload: JSON) -> int:
        return self.gateway.dispatch("INTERACTION_CREATE", payload)
