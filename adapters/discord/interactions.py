"""Slash commands: registered per guild, taken in turn, answered through the interaction.

(Clicks on a question's buttons or menu are interactions too: :mod:`.choices`.)

The command registry of each community is synced to its guild (the payloads
are built in :mod:`.slash`). An invoked command is acknowledged at once
("thinking…") and queued in the community's inbox like a text command; its
answer goes through the interaction when its turn comes, or in the channel
once the interaction's token can no longer be used.
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
from hearth.adapters.discord.convert import PLATFORM, chunks, render
from hearth.adapters.discord.errors import boundary
from hearth.adapters.discord.session import Session
from hearth.errors import AdapterError
from hearth.events import CommandInvokedEvent
from hearth.models import Channel, Message

log = logging.getLogger(__name__)


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

    async def sync_commands(self) -> None:
        """Register each community's command registry as its guild's slash commands."""
        s = self.session
        client, host = s.connected(), s.host
        assert host is not None
        for key, gid in s.guild_ids().items():
            self._slash[gid] = found = slash.build(host.commands(key))
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
        if interaction.guild_id in s.guilds and s.community_of(interaction.guild_id) is None:
            return  # its shard's new holder answers
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
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.defer(thinking=True, ephemeral=target is not None)
            channel = s.channel(key, interaction.channel_id or 0)
            message = Message(
                platform=PLATFORM, id=str(interaction.id), channel=channel,
                author=s.author(key, interaction.user), text=line,
                time=interaction.created_at, reply_to=target, raw=interaction,
            )
            answers = await host.run_command(CommandInvokedEvent(
                platform=PLATFORM, id=f"slash:{interaction.id}", community=key,
                time=interaction.created_at, message=message,
            ))
            await self._deliver(key, interaction, channel, answers)
        finally:
            self._answering.discard(interaction.id)

    async def _deliver(self, key: str, interaction: discord.Interaction, channel: Channel,
                       answers: list[str]) -> None:
        """Answer through the interaction, or in the channel once it can no longer be used."""
        s = self.session
        texts = [render(text) for text in answers] or ["Done."]
        # A margin: the answer must reach Discord before the token expires.
        age = discord.utils.utcnow() - interaction.created_at
        if age < s.adapter.interaction_life - s.adapter.answer_margin:
            try:
                with boundary("answering a slash command"):
                    for i, chunk in enumerate(c for text in texts for c in chunks(text)):
                        if i > 0:
                            await interaction.followup.send(chunk)
                        elif interaction.response.is_done():
                            await interaction.edit_original_response(content=chunk)
                        else:
                            await interaction.response.send_message(chunk)
                return
            except AdapterError as exc:
                log.warning("could not answer slash command %s through the interaction (%s); "
                            "answering in the channel", interaction.id, exc)
        else:
            log.info("slash command %s was answered after %ds, when its interaction had "
                     "expired; answering in the channel", interaction.id, age.total_seconds())
        for text in texts:
            try:
                await self.actions.send(key, channel, f"<@{interaction.user.id}> {text}")
            except AdapterError as exc:
                log.warning("could not answer slash command %s: %s", interaction.id, exc)
                return
