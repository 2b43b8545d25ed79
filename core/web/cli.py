"""``hearth login CONFIG --as PLATFORM:ID``: a login link for the operator, without chat."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hearth.models import Role
from hearth.web.commands import login_url

if TYPE_CHECKING:
    from hearth.app import App

Account = tuple[str, str]


async def operator_link(app: App, account: Account) -> str:
    """A one-time login link for ``account``, an owner or admin of some community (as the
    member directory last saw them); :class:`LookupError` says why not."""
    assert app.logins is not None and app.config.web is not None
    roles = {}
    for key in app.config.communities:
        record = app.people.directory.get(key, account)
        if record is not None and record.present:
            roles[key] = record.role
    if not roles:
        raise LookupError(f"{account[0]}:{account[1]} is not a member of any community here")
    chosen = [key for key, role in roles.items() if role >= Role.ADMIN]
    if not chosen:
        raise LookupError(f"{account[0]}:{account[1]} is not an owner or admin of any community here")
    token = await app.logins.issue(chosen[0], account)
    return login_url(app.config.web.base_url, token)
