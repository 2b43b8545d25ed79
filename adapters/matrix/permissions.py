"""Start-up check of the bot's own power levels in each community.

Each missing permission is reported once per community, naming the rooms and the
feature that will not work, instead of failing on the first action that needs it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from nio import AsyncClient

from . import ops

# permission -> (what the bot cannot do, the feature that will not work)
FEATURES: dict[str, tuple[str, str]] = {
    "redact": ("redact other people's messages", "deleting messages (ads outside the window)"),
    "kick": ("kick", "kicking members"),
    "ban": ("ban", "banning members"),
    "state:m.room.power_levels": (
        "change power levels", "roles (promotion to member, leader, admin) and mute"
    ),
    f"state:{ops.MUTE_STATE_TYPE}": ("record muted members", "mute and unmute"),
    "state:m.room.pinned_events": ("pin messages", "pinning"),
    "state:m.space.child": ("add rooms to the space", "group rooms (flash groups) inside the space"),
}
ROOM_NEEDS = ("redact", "kick", "ban", "state:m.room.power_levels", f"state:{ops.MUTE_STATE_TYPE}",
              "state:m.room.pinned_events")
SPACE_NEEDS = ("kick", "ban", "state:m.room.power_levels", "state:m.space.child")


def _needed(pl: ops.PowerLevels, name: str) -> int:
    if name == "redact":
        return max(pl.redact, pl.event_level("m.room.redaction"))
    if name.startswith("state:"):
        return pl.event_level(name[6:], state=True)
    return int(getattr(pl, name))


async def check_community(
    client: AsyncClient,
    community: str,
    space: str | None,
    rooms: Sequence[str],
    names: Mapping[str, str | None],
) -> list[str]:
    """One line per permission the bot lacks somewhere in the community."""
    missing: dict[str, list[str]] = {}
    for room_id in rooms:
        needs = SPACE_NEEDS if room_id == space else ROOM_NEEDS
        pl = await ops.get_power_levels(client, room_id)
        mine = pl.user_level(client.user_id)
        for name in needs:
            need = _needed(pl, name)
            if mine < need:
                label = names.get(room_id) or room_id
                where = "the space" if room_id == space else label
                missing.setdefault(name, []).append(f"{where} (needs {need}, has {mine})")
    lines = []
    for name, places in missing.items():
        verb, feature = FEATURES[name]
        lines.append(f"community {community!r}: the bot cannot {verb} in {', '.join(places)}, "
                     f"so {feature} will not work there; raise the bot's power level")
    return lines
