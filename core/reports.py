"""What plugins offer each other and the dashboard about a community's shape and health.

These are the answers of the hooks :func:`~hearth.hookspecs.pyramid` and
:func:`~hearth.hookspecs.community_report`: plain frozen values, so that no
plugin (and not the dashboard) reads another plugin's tables.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Pyramid:
    """The community's user pyramid: owner/admins -> leaders -> each leader's cohort.

    ``members`` counts everyone the pyramid covers (leaders included),
    ``largest_cohort`` the members in the largest leader's cohort.
    """

    leaders: int
    members: int
    largest_cohort: int = 0
    #: leaders more needed to keep every cohort within its span
    missing_leaders: int = 0
    #: leaders silent past the community's limit (told, and demoted if still silent)
    inactive_leaders: int = 0
    #: people proposed or approved as leaders who have not answered yet
    proposals: int = 0
    #: tasks for the leaders nobody has claimed yet
    unclaimed_tasks: int = 0

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
