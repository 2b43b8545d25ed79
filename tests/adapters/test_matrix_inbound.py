"""The Matrix adapter's inbound conversion on recorded /sync responses, without Synapse.

``matrix_sync/events_in.json`` holds what the bot received on Synapse during
``tests/integration/matrix/test_adapter.py::test_events_in``: a member joins,
posts (mentioning the bot, with a link), replies, edits, reacts, redacts,
changes their display name, joins a second room, writes to the bot in a new
direct chat and leaves every room. The responses are replayed through
:class:`~hearth.adapters.matrix.inbound.Inbound` of an adapter that never
connects (nothing reaches a homeserver).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from nio import SyncResponse

from hearth.adapters.matrix.adapter import MatrixAdapter
from hearth.adapters.matrix.client import Connection
from hearth.adapters.matrix.inbound import Inbound
from hearth.adapters.matrix.schema import MatrixAccount, MatrixBinding
from hearth.adapters.testing.host import RecordingHost
from hearth.events import (
    MemberJoinedEvent,
    MemberLeftEvent,
    MemberUpdatedEvent,
    MessageDeletedEvent,
    MessageEditedEvent,
    MessagePostedEvent,
    ReactionAddedEvent,
)
from hearth.ports import CommunityBinding

RECORDED = json.loads((Path(__file__).parent / "matrix_sync" / "events_in.json").read_text())
KEY = "tea-house"
ALICE = "@alice2_e25847:localhost"


def inbound(host: RecordingHost) -> Inbound:
    """The inbound conversion of an adapter bound to the recorded community, never started."""
    account = MatrixAccount(homeserver="http://127.0.0.1:8008", user_id=RECORDED["bot"],
                            access_token="unused")
    binding = CommunityBinding(key=KEY, space=MatrixBinding(space=RECORDED["space"]),
                               channels=RECORDED["channels"])
    connection = Connection(MatrixAdapter(account=account, communities={KEY: binding}))
    session = connection.session
    session.host = host
    # what joining the community at start finds: the space and its rooms
    session.spaces[KEY] = RECORDED["space"]
    session.community_rooms[KEY] = [RECORDED["space"], *RECORDED["channels"].values()]
    return connection.inbound


async def replay(responses: list[dict[str, Any]]) -> RecordingHost:
    host = RecordingHost()
    converter = inbound(host)
    for n, body in enumerate(responses):
        resp = SyncResponse.from_dict(body)
        assert isinstance(resp, SyncResponse)
        # the first sync of a new account (no stored position) is history, not delivered
        await converter.on_sync(resp, n > 0)
    assert host.skipped == []  # nothing is skipped outside a catch-up
    return host


@pytest.mark.asyncio
async def test_the_first_sync_of_a_new_account_is_history() -> None:
    host = await replay(RECORDED["responses"][:1])
    assert host.events == []


@pytest.mark.asyncio
async def test_recorded_events_become_hearth_events() -> None:
    host = await replay(RECORDED["responses"])
    general = RECORDED["channels"]["general"]
    kinds = [type(e) for e in host.events]
    assert kinds == [MemberJoinedEvent, MessagePostedEvent, MessagePostedEvent, MessageEditedEvent,
                     ReactionAddedEvent, MessageDeletedEvent, MemberUpdatedEvent, MessagePostedEvent,
                     MessagePostedEvent, MemberLeftEvent]
    joined, first, reply, edited, reacted, deleted, renamed, marker, dm, left = host.events
    # a new display name, seen in each of her rooms, is one update
    assert isinstance(renamed, MemberUpdatedEvent) and renamed.member.name == "Alice A."
    assert isinstance(joined, MemberJoinedEvent) and joined.community == KEY
    assert joined.member.id == ALICE and joined.id.startswith("$")

    assert isinstance(first, MessagePostedEvent) and first.community == KEY
    msg = first.message
    assert msg.id == first.id and msg.channel.id == general and msg.channel.name == "general"
    assert msg.author.id == ALICE and not msg.author.is_bot
    assert RECORDED["bot"] in msg.mentions and msg.links == ("https://example.org/x",)

    assert isinstance(reply, MessagePostedEvent)
    assert reply.message.reply_to == first.id and reply.message.text == "and a reply"

    assert isinstance(edited, MessageEditedEvent)
    assert edited.message.id == first.id and edited.message.text == "hello edited"
    assert edited.id != first.id

    assert isinstance(reacted, ReactionAddedEvent) and reacted.community == KEY
    assert reacted.reaction.message_id == first.id and reacted.reaction.emoji == "✅"
    assert reacted.reaction.member.id == ALICE

    assert isinstance(deleted, MessageDeletedEvent)
    assert deleted.message_id == reply.id and deleted.channel.id == general

    assert isinstance(marker, MessagePostedEvent) and marker.message.text == "marker"
    assert marker.message.author.name == "Alice A."  # the display name changed before

    assert isinstance(dm, MessagePostedEvent) and dm.message.text == "!help"
    assert dm.community == KEY and dm.message.channel.dm_with == ALICE

    assert isinstance(left, MemberLeftEvent) and left.community == KEY and left.member.id == ALICE


@pytest.mark.asyncio
async def test_an_edit_by_someone_else_than_the_author_is_ignored() -> None:
    responses = copy.deepcopy(RECORDED["responses"])
    general = RECORDED["channels"]["general"]
    edits = [ev for body in responses
             for ev in body["rooms"].get("join", {}).get(general, {}).get("timeline", {}).get("events", [])
             if (ev.get("content") or {}).get("m.relates_to", {}).get("rel_type") == "m.replace"]
    assert len(edits) == 1
    edits[0]["sender"] = "@mallory:localhost"
    host = await replay(responses)
    assert not [e for e in host.events if isinstance(e, MessageEditedEvent)]
    assert len([e for e in host.events if isinstance(e, MessagePostedEvent)]) == 4



def test_a_pill_written_by_element_names_the_member_by_mxid() -> None:
    """Element puts a pill's display name in ``body``: a command taking a member must see the mxid."""
    from hearth.adapters.matrix.convert import message_parts

    content = {
        "msgtype": "m.text",
        "body": "!strikes Ann & Co and Bo",
        "format": "org.matrix.custom.html",
        "formatted_body": '!strikes <a href="https://matrix.to/#/@ann:hs">Ann &amp; Co</a> and '
                          '<a href="https://matrix.to/#/@bo:hs">Bo</a>',
    }
    parts = message_parts(content)
    assert parts is not None
    assert parts.text == "!strikes @ann:hs and @bo:hs"
    assert parts.mentions == ("@ann:hs", "@bo:hs")
    plain = message_parts({"msgtype": "m.text", "body": "Ann said hi"})
    assert plain is not None and plain.text == "Ann said hi"
