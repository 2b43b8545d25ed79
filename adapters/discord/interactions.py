"""Slash commands: registered per guild, taken in turn, answered through the interaction.

(Clicks on a question's buttons or menu are interactions too: :mod:`.choices`.)

The command registry of each community is synced to its guild (the payloads
are built in :mod:`.slash`). An invoked command is acknowledged at once
("thinking…") and queued in the community's inbox like a text command; its
answer goes through the interaction when its turn comes, or in the channel
once the interaction's token can no longer be used.

The answer goes through the interaction's webhook (the deferred response is
edited, longer answers follow up), which any process holding the bot token can
use for 15 minutes: the interaction's application id and token travel with the
command (``answer_with``), so when another process acts for the community (with
several processes on one database) the receiver acknowledges it and that one
answers (:meth:`Interactions.answer`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import discord

from hearth.adapters.discord import slash
from hearth.adapters.discord.actions import Actions
from hearth.adapters.discord.choices import Choices
from hearth.adapters.discord.convert import PLATFORM, chunks, render, snowflake_ms
from hearth.adapters.discord.errors import boundary
from hearth.adapters.discord.session import Session
from hearth.errors import AdapterError, Unreachable
from hearth.events import CommandInvokedEvent
from hearth.models import Channel, Message

log = logging.getLogger(__name__)

#: Discord's name for an interaction's first response in its webhook's message routes
ORIGINAL: Any = "@original"


class Interactions:
    """The guilds' slash commands and the interactions waiting for their answers."""

    def __init__(self, session: Session, actions: Actions, choices: Choices) -> None:
        self.session = session
        self.actions = actions
        self.choices = choices
        self._slash: dict[int, slash.SlashSet] = {}
        self._answering: set[int] = set()  # interaction ids being answered

    def reset(self) -> None:
        """Forget the interactions being answered (the adapter stopped)."""
        self._answering.clear()

    def build(self) -> None:
        """Each community's command registry as slash commands, to read invocations by (before
        connecting: an interaction may come as soon as a session is ready)."""
        host = self.session.host
        assert host is not None
        for key, gid in self.session.guild_ids().items():
            self._slash[gid] = slash.build(host.commands(key))

    async def sync_commands(self) -> None:
        """Register each community's command registry as its guild's slash commands."""
        s = self.session
        client = s.connected()
        for key, gid in s.guild_ids().items():
            found = self._slash[gid]
            if not s.account.sync_commands or client.get_guild(gid) is None:
                continue
            app_id = client.application_id
            if app_id is None:
                log.warning("no application id: slash commands are not registered")
                return
            try:
                with boundary("registering slash commands"):
                    await client.http.bulk_upsert_guild_commands(app_id, gid, found.payload)
            except AdapterError as exc:
                log.warning("slash commands for %s could not be registered (was the bot invited "
                            "with the applications.commands scope?): %s", key, exc)
            else:
                log.info("%s: %d slash commands registered", key, len(found.payload))

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.component:
            await self.choices.on_component(interaction)
            return
        if interaction.type is not discord.InteractionType.application_command:
            return
        s = self.session
        # (Of a guild on a shard just given up too: the core stores it for the process
        # acting for the community, which answers it.)
        key = s.guilds.get(interaction.guild_id or 0)
        host = s.host
        commands = self._slash.get(interaction.guild_id or 0)
        line = commands.command_line(interaction.data or {}) if commands else None
        if key is None or host is None or line is None:
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.send_message(
                    "This command is not available here.", ephemeral=True)
            return
        if interaction.id in self._answering:
            return
        self._answering.add(interaction.id)
        data: Mapping[str, Any] = interaction.data or {}
        # A context-menu command is about the message it was chosen on; only its user sees
        # the answer (a report must not name the reporter).
        target = str(data.get("target_id")) if data.get("type") == slash.MESSAGE_MENU else None
        try:
            # Discord wants a first response within 3 s: "thinking…" until the command's turn.
            # (Refused as acknowledged already: another process connected to the shard took
            # it too; the command is handled once, and answered through the same webhook.)
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.defer(thinking=True, ephemeral=target is not None)
            channel = s.channel(key, interaction.channel_id or 0)
            message = Message(
                platform=PLATFORM, id=str(interaction.id), channel=channel,
                author=s.author(key, interaction.user), text=line,
                time_ms=snowflake_ms(interaction.id), reply_to=target, raw=interaction,
            )
            event = CommandInvokedEvent(
                platform=PLATFORM, id=f"slash:{interaction.id}", community=key,
                time=interaction.created_at, message=message,
                answer_with={"application_id": str(interaction.application_id),
                             "token": interaction.token, "ephemeral": target is not None},
            )
            answers = await host.run_command(event)
            if answers is not None:  # else the process acting for the community answers
                await self.answer(key, event, answers)
        finally:
            self._answering.discard(interaction.id)

    async def answer(self, key: str, event: CommandInvokedEvent, answers: list[str]) -> None:
        """Answer a slash command through its interaction's webhook (from any process), or in
        the channel once the interaction can no longer be used.

        :class:`Unreachable` (the outbound flow tries again) while the client is not logged
        in: this process has just taken the guild's shard over and is connecting.
        """
        s = self.session
        if s.client is None or s.client.user is None:
            raise Unreachable("the discord adapter is connecting", platform=PLATFORM,
                              action="answer a slash command")
        texts = [render(text) for text in answers] or ["Done."]
        via = event.answer_with or {}
        ephemeral = bool(via.get("ephemeral"))
        # A margin: the answer must reach Discord before the token expires.
        age = discord.utils.utcnow() - event.time
        if age < s.adapter.interaction_life - s.adapter.answer_margin:
            try:
                with boundary("answering a slash command"):
                    webhook = self._webhook(via)
                    for i, chunk in enumerate(c for text in texts for c in chunks(text)):
                        if i == 0:  # the deferred response ("thinking…"), ephemeral or not
                            await webhook.edit_message(ORIGINAL, content=chunk)
                        else:
                            await webhook.send(chunk, ephemeral=ephemeral)
                return
            except (AdapterError, KeyError) as exc:
                log.warning("could not answer slash command %s through the interaction (%r); "
                            "answering in the channel", event.id, exc)
        else:
            log.info("slash command %s was answered after %ds, when its interaction had "
                     "expired; answering in the channel", event.id, age.total_seconds())
        channel: Channel = event.message.channel
        for text in texts:
            try:
                await self.actions.send(key, channel, f"<@{event.message.author.id}> {text}")
            except AdapterError as exc:
                log.warning("could not answer slash command %s: %s", event.id, exc)
                return

    def _webhook(self, via: Mapping[str, Any]) -> discord.Webhook:
        """The interaction's webhook, as discord.py's ``Interaction.followup`` makes it."""
        client = self.session.connected()
        return discord.Webhook.from_state(
            data={"id": via["application_id"], "type": 3, "token": via["token"]},
            state=client._connection)
