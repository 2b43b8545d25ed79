"""What plugins offer each other and the dashboard about a community's shape and health.

These are the answers of the hooks :func:`~hearth.hookspecs.pyramid`,
:func:`~hearth.hookspecs.referrals`, :func:`~hearth.hookspecs.community_report` and
:func:`~hearth.hookspecs.dashboard_panels`: plain frozen values, so that no
plugin (and not the dashboard) reads another plugin's tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hearth.models import Role

#: a member named by their account on one network: ``(platform, member id)``
Account = tuple[str, str]


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

    account: Account
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


@dataclass(frozen=True, slots=True, kw_only=True)
class PanelAction:
    """A button on a dashboard panel: runs the chat command ``command`` with ``args``.

    The dashboard runs it as the logged-in person, through the community's
    inbox, exactly as if they had typed ``!command args`` on the network:
    the command's own role and power checks decide, and its reply is shown.
    Each argument is a word (quote nothing: one argument, one item) or an
    :data:`Account`, which becomes that member's mention on the network the
    command runs on (the person's account on the member's network).
    ``confirm``: a question the browser asks before sending (for what cannot
    be undone).
    """

    label: str
    command: str
    args: tuple[str | Account, ...] = ()
    confirm: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PanelRow:
    """One line of a panel: its ``cells`` (under the panel's ``columns``), the
    member it is about (linked to their member page, for admins) and its buttons."""

    cells: tuple[str, ...]
    member: Account | None = None
    actions: tuple[PanelAction, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Panel:
    """A box a plugin shows on its community's dashboard page (``dashboard_panels``).

    A table: ``columns`` and ``rows`` (plain text; the dashboard escapes
    it), with ``note`` above it (or alone: ``rows`` may be empty, say why in
    ``note``). Who sees it, like a command: people of ``min_role`` and
    above; with ``power``, leaders only where the community grants leaders
    that power (admins and the owner always). Buttons are shown only to
    those who may act (admins and the owner), and each is checked again as
    its command when pressed. ``waiting``: each row waits for someone's
    decision (a report, a proposal); the overview counts them.
    """

    title: str
    columns: tuple[str, ...] = ()
    rows: tuple[PanelRow, ...] = ()
    note: str = ""
    min_role: Role = Role.ADMIN
    power: str | None = None
    waiting: bool = False
