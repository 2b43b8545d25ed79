"""Outgoing text built from parts: mentions survive composing, translating, merging and errors."""

from __future__ import annotations

from hearth import CommandError, Member, Mention, Text, UsageError, mention
from hearth.i18n import texts
from hearth.outbox import Request

DISCORD = Member(platform="discord", id="123456789012345678", name="Ann")
MATRIX = Member(platform="matrix", id="@bo:example.org", name="Bo")


def discord_way(part: Mention) -> str:
    return f"<@{part.id}>" if part.platform == "discord" else part.elsewhere


def test_a_mention_is_a_part_and_its_plain_form_names_the_member_without_the_id() -> None:
    text = "Welcome " + mention(DISCORD) + " and " + mention(MATRIX) + "!"
    assert isinstance(text, Text)
    assert text.mentions == (Mention("discord", DISCORD.id, "Ann"), Mention("matrix", MATRIX.id, "Bo"))
    assert text == "Welcome @Ann and @Bo!"  # the neutral form: no id of any network
    assert text.render(discord_way) == f"Welcome <@{DISCORD.id}> and @Bo!"


def test_format_join_strip_and_json_keep_the_parts() -> None:
    line = Text("{who} opened {name}").format(who=mention(DISCORD), name="night-talk")
    assert line.render(discord_way) == f"<@{DISCORD.id}> opened night-talk"
    listed = Text(", ").join([mention(DISCORD), mention(MATRIX)])
    assert listed.render(discord_way) == f"<@{DISCORD.id}>, @Bo"
    assert ("  " + mention(DISCORD) + " \n").strip().mentions == (Mention("discord", DISCORD.id, "Ann"),)
    again = Text.from_json(line.to_json())
    assert again.parts == line.parts and Text.from_json("plain").parts == ("plain",)


def test_translated_texts_keep_mentions_in_their_placeholders() -> None:
    say = texts({"en": {"hi": "Welcome {mention} to {community}!"}}, "en")
    text = say("hi", mention=mention(DISCORD), community="tea")
    assert text.render(discord_way) == f"Welcome <@{DISCORD.id}> to tea!"
    assert say("hi", community="tea") == "Welcome {mention} to tea!"  # a missing value stays


def test_a_name_cannot_forge_markup_or_hide_in_the_neutral_form() -> None:
    forger = Member(platform="matrix", id="@m:evil.org", name="<@1> \u202eevil`")
    assert mention(forger).render(discord_way) == "@@1 evil"
    assert forger.name_and_id.render(discord_way) == "@1 evil (matrix)"


def test_a_command_error_keeps_the_mentions_of_its_reply() -> None:
    error = CommandError("ask " + mention(DISCORD))
    assert isinstance(error.reply, Text) and error.reply.mentions
    usage = UsageError("no " + mention(DISCORD), "strikes @member")
    assert isinstance(usage.problem + "\nUsage: x", Text)


def test_merged_replies_keep_each_mention_as_a_part() -> None:
    """Under a backlog replies to one channel are merged; each names the member answered."""

    async def perform(text: str | None, _reply: str | None) -> None: ...

    merged = Request("send", perform, mergeable=True, parts=[
        ("pong", DISCORD), ("hi " + mention(MATRIX), MATRIX), ("bye", None)]).text()
    assert isinstance(merged, Text)
    assert merged.render(discord_way) == f"<@{DISCORD.id}> pong\nhi @Bo\nbye"  # Bo is mentioned already
