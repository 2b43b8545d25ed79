"""Domain objects (``@model``): immutable, compared by identity, and still dataclasses to
``dataclasses.fields``/``replace`` and to the event codec."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime, timedelta

import pytest

from hearth.codec import decode, encode
from hearth.events import MemberJoinedEvent, MessagePostedEvent
from hearth.models import Channel, Member, Message, Role
from hearth.timeutil import to_ms

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _message(**changes: object) -> Message:
    fields: dict[str, object] = {
        "platform": "testing", "id": "1", "channel": Channel(platform="testing", id="c", name="general"),
        "author": Member(platform="testing", id="alice", name="Alice"), "text": "hi", "time_ms": to_ms(NOW),
    }
    return Message(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_model_cannot_be_changed() -> None:
    member = Member(platform="testing", id="alice", name="Alice")
    with pytest.raises(AttributeError):
        member.name = "Mallory"  # type: ignore[misc]
    assert member.name == "Alice"


def test_identity_is_platform_and_id() -> None:
    alice = Member(platform="testing", id="alice", name="Alice")
    renamed = Member(platform="testing", id="alice", name="Al", role=Role.ADMIN)
    assert alice == renamed and hash(alice) == hash(renamed)
    assert alice != Member(platform="matrix", id="alice", name="Alice")
    assert _message(text="one") == _message(text="two", raw={"payload": 1})
    assert alice != ("testing", "alice")


def test_events_compare_every_field() -> None:
    member = Member(platform="testing", id="alice", name="Alice")
    joined = MemberJoinedEvent(platform="testing", id="j1", community="tea", time=NOW, member=member)
    assert joined == MemberJoinedEvent(platform="testing", id="j1", community="tea", time=NOW, member=member)
    assert joined != dataclasses.replace(joined, invited_by="bob")


def test_dataclass_functions_work_on_models() -> None:
    message = _message()
    assert dataclasses.is_dataclass(message)
    assert [f.name for f in dataclasses.fields(message)][:3] == ["platform", "id", "channel"]
    edited = dataclasses.replace(message, text="edited")
    assert (edited.text, edited.id, type(edited)) == ("edited", "1", Message)
    event = MessagePostedEvent(platform="testing", id="e", community="tea", time=NOW, message=message)
    moved = dataclasses.replace(event, community="garden")
    assert (moved.community, moved.message) == ("garden", message)
    assert [f.name for f in dataclasses.fields(MemberJoinedEvent)] == [
        "platform", "id", "community", "time", "member", "invited_by"]


def test_repr_leaves_out_the_raw_payload() -> None:
    shown = repr(_message(raw="SECRET-PAYLOAD"))
    assert shown.startswith("Message(platform='testing', id='1'") and "SECRET" not in shown


def test_models_pickle_and_encode() -> None:
    message = _message(mentions=("bob",), reply_to="0")
    again = pickle.loads(pickle.dumps(message))
    assert (again, again.text, again.mentions, again.author.name) == (message, "hi", ("bob",), "Alice")
    event = MessagePostedEvent(platform="testing", id="e", community="tea", time=NOW, message=message)
    decoded = decode(encode(event))
    assert decoded == event and decoded.message.reply_to == "0"  # type: ignore[attr-defined]


def test_a_message_s_time_is_its_milliseconds_as_a_datetime() -> None:
    message = _message(time_ms=to_ms(NOW) + 250)
    assert message.time == NOW + timedelta(milliseconds=250)
    assert message.time.tzinfo is UTC


def test_a_message_stored_by_an_earlier_version_is_read_with_its_time() -> None:
    # a journal or the shared inbox can hold rows written before Message.time_ms
    event = MessagePostedEvent(platform="testing", id="e", community="tea", time=NOW, message=_message())
    text = encode(event)
    earlier = text.replace(f'"time_ms":{to_ms(NOW)}', f'"time":"{NOW.isoformat()}"')
    assert earlier != text
    decoded = decode(earlier)
    assert decoded.message.time_ms == to_ms(NOW)  # type: ignore[attr-defined]
