"""What plugins offer each other and the dashboard about a community's shape and health.

These are the answers of the hooks :func:`~hearth.hookspecs.pyramid`,
:func:`~hearth.hookspecs.referrals` and :func:`~hearth.hookspecs.community_report`:
plain frozen values, so that no plugin (and not the dashboard) reads another plugin's tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Pyramid:
    """The community's user pyramid: owner/admins -> leaders -> each leader's cohort.

    ``members`` counts everyone the pyramid covers (leaders included),
    ``largest_cohort`` the members in the largest leader's cohort.
    """

    leaders: int
    members: int
    largest_cohort: int = 0

    @property
    def leader_share(self) -> float:
        """Leaders as a share of the members (0 when there are none)."""
        return self.leaders / self.members if self.members else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """A community's activity report: as chat text, and as a self-contained HTML page
    (charts inline, no external resource) for a browser."""

    text: str
    html: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Referral:
    """One member in the referral tree (who invited whom), with the branch they started.

    ``account`` is ``(platform, id)``; ``via`` says how they were invited
    (``"code"``, ``"platform"``; None for a root nobody invited). ``joined`` is
    their latest join as the inviting plugin saw it (None for a root who never
    joined through it). ``stayed`` is True once they have been a member for a month,
    ``removed`` when moderation or a gate removed them. The ``invited``, ``stayed_count``
    and ``removed_count`` figures cover everyone below them (not themselves).
    """

    account: tuple[str, str]
    name: str
    via: str | None = None
    joined: datetime | None = None
    present: bool = True
    stayed: bool = False
    removed: bool = False
    children: tuple[Referral, ...] = ()

    @property
    def invited(self) -> int:
        """Everyone in the branch below this member (their invitees, theirs, and so on)."""
        return sum(1 + child.invited for child in self.children)

    @property
    def stayed_count(self) -> int:
        """How many in the branch below stayed a month."""
        return sum(int(child.stayed) + child.stayed_count for child in self.children)

    @property
    def removed_count(self) -> int:
        """How many in the branch below were removed."""
        return sum(int(child.removed) + child.removed_count for child in self.children)
