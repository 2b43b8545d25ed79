"""Errors carry fields, build their message from them, and keep their cause."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import discord
import pytest

from hearth import AdapterError, Capability, CapabilityMissing, Forbidden, NotFound, RateLimited
from hearth.adapters.discord.errors import boundary
from hearth.adapters.testing import TestingAdapter as Imitation
from hearth.commands import Command, Param, parse_args
from hearth.errors import Unreachable, UsageError
from hearth.models import Member
from hearth.ports import Adapter

ROOT = Path(__file__).resolve().parents[2]


def test_adapter_errors_build_their_message_from_their_fields() -> None:
    error = Forbidden("Missing Permissions", platform="discord", action="kick")
    assert (error.platform, error.action, error.detail) == ("discord", "kick", "Missing Permissions")
    assert str(error) == "discord: kick: Missing Permissions"
    limited = RateLimited("slow down", 1.5, platform="matrix", action="send")
    assert limited.retry_after == 1.5 and str(limited) == "matrix: send: slow down (retry after 1.50s)"
    assert str(AdapterError("plain")) == "plain"


@pytest.mark.asyncio
async def test_a_missing_capability_names_platform_action_and_capability() -> None:
    class Bare(Adapter):
        name = "bare"

        async def start(self, host: object) -> None: ...

        async def stop(self) -> None: ...

    with pytest.raises(CapabilityMissing) as caught:
        await Bare(account=None, communities={}).mute(
            "tea", Member(platform="bare", id="ann", name="Ann"), None, "")  # type: ignore[arg-type]
    error = caught.value
    assert (error.platform, error.action, error.capability) == ("bare", "mute", Capability.MUTE)
    assert str(error) == "the bare adapter cannot mute"


def test_the_discord_boundary_keeps_the_cause_and_fills_the_fields() -> None:
    response = SimpleNamespace(status=403, reason="Forbidden")
    original = discord.Forbidden(response, {"code": 50013, "message": "Missing Permissions"})
    with pytest.raises(Forbidden) as caught, boundary("kicking a member"):
        raise original
    error = caught.value
    assert error.__cause__ is original
    assert (error.platform, error.action) == ("discord", "kicking a member")
    assert str(error) == (
        "discord: kicking a member: Discord refused (missing permission): Missing Permissions")


def test_an_action_through_a_replaced_discord_client_is_retried_not_failed() -> None:
    """aiohttp's closed session (the client replaced while shards change hands) is
    Unreachable, which the outbound flow retries; any other RuntimeError stays a bug."""
    with pytest.raises(Unreachable) as caught, boundary("sending a direct message to 7"):
        raise RuntimeError("Session is closed")
    assert caught.value.action == "sending a direct message to 7"
    with pytest.raises(RuntimeError, match="something else"), boundary("sending"):
        raise RuntimeError("something else")


def test_wrapped_errors_keep_their_cause() -> None:
    with pytest.raises(UsageError) as caught:
        parse_args(Command(name="x", handler=None, params=(Param("n", "int"),)), '"open')  # type: ignore[arg-type]
    assert isinstance(caught.value.__cause__, ValueError)
    with pytest.raises(NotFound) as missing:
        Imitation(communities={}).person("tea", "ghost")
    assert isinstance(missing.value.__cause__, KeyError)


def test_no_error_raised_while_handling_another_drops_it() -> None:
    """``raise X from None`` in core or the testing adapter would hide the cause."""
    dropped = []
    for path in [*(ROOT / "core").rglob("*.py"), *(ROOT / "adapters" / "testing").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ExceptHandler):
                for inner in ast.walk(node):
                    if (isinstance(inner, ast.Raise) and isinstance(inner.cause, ast.Constant)
                            and inner.cause.value is None):
                        dropped.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert dropped == []
