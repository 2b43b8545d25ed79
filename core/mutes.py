"""Mutes on networks that cannot end them by themselves (Matrix: a power level).

When a plugin mutes a member through an adapter without
:attr:`~hearth.models.Capability.TIMED_MUTE`, the core keeps one persistent job
per member (plugin ``hearth``, key ``unmute:<platform>:<member id>``) that
unmutes them at the mute's end through the outbound flow, like any action.
Muting again moves the job (never two), an explicit unmute cancels it, and it
survives restarts like every job.
"""

from __future__ import annotations

from typing import Any

from hearth.models import Member
from hearth.scheduler import Job

PREFIX = "unmute:"


def job_key(member: Member) -> str:
    """The key of the core job that ends ``member``'s mute."""
    return f"{PREFIX}{member.platform}:{member.id}"


def job_data(member: Member) -> dict[str, Any]:
    """What the job needs to name the member again after a restart."""
    return {"platform": member.platform, "member": member.id, "name": member.name}


def member_of(job: Job) -> Member:
    """The member an unmute job is for."""
    data = job.data or {}
    return Member(platform=data["platform"], id=data["member"], name=data.get("name") or data["member"])
