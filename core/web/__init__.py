"""The web dashboard, served by ``hearth run`` when ``web:`` is configured (docs/dashboard.md).

:mod:`hearth.web.logins` (login links, sessions) needs no web server and is
what ``!dashboard`` and ``hearth login`` use; :mod:`hearth.web.server`
imports aiohttp and is loaded only when the dashboard is served.
"""

#: the lease (in ``hearth_leases``) held by the process serving the dashboard
LEASE = "(dashboard)"
