"""Questions with choices as message components: buttons or a select menu, and the picks.

A question's DM (:class:`~hearth.models.Prompt`) keeps its numbered list, so
a typed number answers it too. One choice among at most five: a row of
buttons; among at most 25, or several choices: a select menu; more than 25:
the numbered text alone (Discord's limits). Labels are cut to Discord's
limits (80 characters on a button, 100 in a menu). A component's
``custom_id`` names the question (``hearth:q:<id>[:<number>]``), so a click
after a restart still finds it. A click is acknowledged at once (within
Discord's 3 s) by updating the message: the components are removed and the
choice shown; the pick goes to the core as a
:class:`~hearth.events.ChoiceMadeEvent`.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import discord

from hearth.adapters.discord.convert import MAX_LENGTH, PLATFORM, chunks, render, to_channel
from hearth.adapters.discord.errors import boundary
from hearth.adapters.discord.session import Session
from hearth.events import ChoiceMadeEvent
from hearth.models import Member, Prompt, SentMessage

log = logging.getLogger(__name__)

PREFIX = "hearth:q:"
MAX_BUTTONS = 5  # one action row
MAX_OPTIONS = 25  # one select menu
BUTTON_LABEL = 80
OPTION_LABEL = 100
PLACEHOLDER = "Choose…"
PLACEHOLDER_MANY = "Choose one or more…"
# Component types and the interaction callback that updates the component's message.
ACTION_ROW, BUTTON, STRING_SELECT = 1, 2, 3
SECONDARY = 2
UPDATE_MESSAGE = 7


def _cut(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def components(prompt: Prompt) -> list[dict[str, Any]]:
    """The action rows showing ``prompt``'s choices; empty when Discord cannot show them all."""
    choices, qid = prompt.choices, prompt.question
    if not choices or len(choices) > MAX_OPTIONS:
        return []
    if not prompt.multiple and len(choices) <= MAX_BUTTONS:
        buttons = [{"type": BUTTON, "style": SECONDARY, "label": _cut(label, BUTTON_LABEL),
                    "custom_id": f"{PREFIX}{qid}:{n}"}
                   for n, label in enumerate(choices, start=1)]
        return [{"type": ACTION_ROW, "components": buttons}]
    menu = {
        "type": STRING_SELECT, "custom_id": f"{PREFIX}{qid}",
        "placeholder": PLACEHOLDER_MANY if prompt.multiple else PLACEHOLDER,
        "min_values": 1, "max_values": len(choices) if prompt.multiple else 1,
        "options": [{"label": _cut(label, OPTION_LABEL), "value": str(n)}
                    for n, label in enumerate(choices, start=1)],
    }
    return [{"type": ACTION_ROW, "components": [menu]}]


def picked(data: dict[str, Any]) -> tuple[int, tuple[int, ...]] | None:
    """(question id, numbers picked) from a component interaction's data; None if not ours."""
    custom_id = str(data.get("custom_id") or "")
    if not custom_id.startswith(PREFIX):
        return None
    parts = custom_id[len(PREFIX):].split(":")
    values = [str(v) for v in data.get("values") or []] if len(parts) == 1 else parts[1:2]
    if not parts[0].isdigit() or not values or not all(v.isdigit() for v in values):
        return None
    return int(parts[0]), tuple(int(v) for v in values)


class Choices:
    """Questions sent with components, and the members' clicks on them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def ask(self, community: str | None, member: Member, prompt: Prompt) -> SentMessage:
        """Send the question's DM, its last part with the choices' components."""
        s = self.session
        client = s.connected()
        rows = components(prompt)
        with boundary(f"asking {member.id} a question"):
            user = client.get_user(int(member.id)) or await client.fetch_user(int(member.id))
            dm_channel = user.dm_channel or await user.create_dm()
            parts = chunks(render(prompt.text))
            sent: Any = None
            for i, chunk in enumerate(parts):
                body: dict[str, Any] = {"content": chunk}
                if rows and i == len(parts) - 1:
                    body["components"] = rows
                route = discord.http.Route("POST", "/channels/{channel_id}/messages",
                                           channel_id=dm_channel.id)
                sent = await client.http.request(route, json=body)
        return SentMessage(platform=PLATFORM, id=str(sent["id"]),
                           channel=to_channel(dm_channel.id, None, int(member.id)))

    async def on_component(self, interaction: discord.Interaction) -> None:
        """A click on a question's button or menu: acknowledged at once, then handed to the core."""
        data: dict[str, Any] = dict(interaction.data or {})
        found = picked(data)
        host = self.session.host
        if found is None or host is None:
            return
        question, numbers = found
        labels = _labels(interaction.message, data, numbers)
        content = (interaction.message.content if interaction.message else "") or ""
        shown = f"{content}\n→ {', '.join(labels)}"[:MAX_LENGTH] if labels else content
        # Discord wants a response within 3 s: the message loses its components, shows the pick.
        with contextlib.suppress(discord.HTTPException):
            await interaction.response.edit_message(content=shown, view=None)
        member = self.session.author(None, interaction.user)
        await host.submit(ChoiceMadeEvent(
            platform=PLATFORM, id=f"choice:{interaction.id}", community=None,
            time=interaction.created_at, member=member, question=question, picked=numbers,
        ))


def _labels(message: discord.Message | None, data: dict[str, Any],
            numbers: tuple[int, ...]) -> list[str]:
    """The labels of the picked choices, as the message's components show them."""
    if message is None:
        return []
    custom_id = data.get("custom_id")
    labels: list[str] = []
    for row in message.components:
        for item in getattr(row, "children", []):
            if isinstance(item, discord.Button) and item.custom_id == custom_id and item.label:
                labels.append(item.label)
            elif isinstance(item, discord.SelectMenu) and item.custom_id == custom_id:
                chosen = {str(n) for n in numbers}
                labels += [o.label for o in item.options if o.value in chosen]
    return labels
