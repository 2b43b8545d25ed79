"""The dashboard's web server (aiohttp): routes, sessions, CSRF, actions, and its lease.

Imported only when ``web:`` is configured: a bot without a dashboard never
loads aiohttp's server. Every request reads the person's role in the
community afresh (:func:`hearth.web.views.viewer`); what they may not see is
a 403 page, never data. Actions are chat commands run as the person through
the community's inbox (:meth:`hearth.app.App.run_command`), so the
command's own checks decide, exactly as if they had typed it.

With several processes, the one serving the dashboard may not act for the
community shown: its pages read what the owner keeps in the database (read
again at most every :data:`READ_AGAIN`), and an action goes to the owner
through the database; its answers come back the same way, or the page says
that it was queued when they take longer than :data:`ANSWER_WAIT`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hearth.commands import quote_arg
from hearth.events import CommandInvokedEvent
from hearth.models import Channel, Message
from hearth.timeutil import to_ms
from hearth.web import LEASE, views
from hearth.web.logins import SESSION_TTL, Session, csrf_token, sign, verify
from hearth.web.texts import Say, language_of, say_in

if TYPE_CHECKING:
    from hearth.app import App
    from hearth.web.logins import Logins

log = logging.getLogger(__name__)

COOKIE = "hearth_session"
#: a chart is drawn again at most this often (its days change once a day; drawing costs CPU)
CHART_FOR = timedelta(minutes=5)
#: how long an action waits for its answers from the process acting for the community (s)
ANSWER_WAIT = 10.0
#: a community another process acts for is read again from the database at most this often
READ_AGAIN = timedelta(seconds=15)
_ACTIONS = 0


def _say(request: web.Request) -> Say:
    """The dashboard's words in the browser's language."""
    return say_in(language_of(request.headers.get("Accept-Language", "")))


def _forbidden(request: web.Request, why: str) -> web.Response:
    say = _say(request)
    return web.Response(status=403, text=views.forbidden(str(say(why)), say), content_type="text/html")


def _html(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/html",
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "SAMEORIGIN",
                                 "Referrer-Policy": "no-referrer"})


def _action(text: str) -> tuple[str, list[Any]] | None:
    """A posted action, ``[command, [word or [platform, id], …]]``; None when malformed."""
    try:
        found = json.loads(text)
    except ValueError:
        return None
    if not (isinstance(found, list) and len(found) == 2 and isinstance(found[0], str)
            and isinstance(found[1], list)):
        return None
    for arg in found[1]:
        account = isinstance(arg, list) and len(arg) == 2 and all(isinstance(a, str) for a in arg)
        if not (isinstance(arg, str) or account):
            return None
    return found[0], found[1]


def member_token(member_id: str) -> str:
    """A member argument as typed in chat (``@id``; Matrix ids start with ``@`` already)."""
    return member_id if member_id.startswith("@") else f"@{member_id}"


class Dashboard:
    """The dashboard of one :class:`~hearth.app.App`."""

    def __init__(self, app: App, logins: Logins) -> None:
        assert app.config.web is not None
        self.app, self.logins, self.web = app, logins, app.config.web
        self._runner: web.AppRunner | None = None
        #: (community, chart or "health") -> (drawn at, SVG or report text)
        self._drawn: dict[tuple[str, str], tuple[datetime, Any]] = {}
        self.answer_wait = ANSWER_WAIT
        self.read_again = READ_AGAIN
        #: community acted for elsewhere -> when it was last read again (monotonic seconds)
        self._read: dict[str, float] = {}

    # ------------------------------------------------------------------ serving
    def application(self) -> web.Application:
        application = web.Application(client_max_size=64 * 1024)
        application.add_routes([
            web.get("/", self.overview),
            web.get("/login/{token}", self.login_page),
            web.post("/login/{token}", self.login),
            web.post("/logout", self.logout),
            web.get("/c/{community}", self.community),
            web.get("/c/{community}/chart/{name}.svg", self.chart),
            web.get("/c/{community}/m/{platform}/{member}", self.member),
            web.post("/c/{community}/act", self.act),
        ])
        return application

    async def start_site(self) -> None:
        """Bind ``web.listen`` and serve."""
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.web.host, self.web.port).start()
        log.info("dashboard at %s (listening on %s)", self.web.base_url, self.web.listen)

    async def stop_site(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def serve(self) -> None:
        """Serve while this process holds the dashboard's lease (always, with SQLite)."""
        try:
            while True:
                owns = LEASE in self.app.leases.claimed()
                if owns and self._runner is None:
                    await self.start_site()
                elif not owns and self._runner is not None:
                    log.info("another process serves the dashboard now")
                    await self.stop_site()
                await asyncio.sleep(2)
        finally:
            await self.stop_site()

    # ------------------------------------------------------------------ sessions
    async def _session(self, request: web.Request) -> Session | None:
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return None
        return verify(await self.logins.key(), cookie, to_ms(self.app.clock.now()))

    async def _csrf(self, session: Session) -> str:
        return csrf_token(await self.logins.key(), session)

    async def _post_checked(self, request: web.Request, session: Session) -> dict[str, Any] | None:
        form = dict(await request.post())
        sent = str(form.get("csrf", ""))
        return form if secrets.compare_digest(sent, await self._csrf(session)) else None

    async def _fresh(self, *communities: str) -> None:
        """For those of ``communities`` another process acts for, read what it keeps in the
        database (members, persons, roles), at most every :attr:`read_again`: this
        process's copy is not kept in step."""
        now, stale = time.monotonic(), []
        for key in communities:
            if key not in self.app.config.communities or self.app.leases.owns(key):
                self._read.pop(key, None)
            elif now - self._read.get(key, -math.inf) >= self.read_again.total_seconds():
                stale.append(key)
        if stale:
            await self.app.read_again(stale)
            self._read.update(dict.fromkeys(stale, now))

    async def _viewer(self, request: web.Request) -> tuple[Session, views.Viewer] | web.Response:
        session = await self._session(request)
        if session is None:
            return _forbidden(request, "why_session")
        await self._fresh(request.match_info["community"])
        who = await views.viewer(self.app, request.match_info["community"], session.account,
                                 _say(request))
        if who is None:
            return _forbidden(request, "why_role")
        return session, who

    # ------------------------------------------------------------------ login
    async def login_page(self, request: web.Request) -> web.Response:
        """The link opens a confirmation page: a link preview's GET uses nothing."""
        token = request.match_info["token"]
        login = await self.logins.peek(token)
        if login is None:
            return _forbidden(request, "why_link")
        record = views.core_ctx(self.app, login.community).member(login.account) \
            if login.community in self.app.config.communities else None
        who = record.name if record else ":".join(login.account)
        return _html(views.confirm_login(token, who, login.community, _say(request)))

    async def login(self, request: web.Request) -> web.StreamResponse:
        login = await self.logins.use(request.match_info["token"])
        if login is None:
            return _forbidden(request, "why_link")
        ttl = int(SESSION_TTL.total_seconds())
        expires = to_ms(self.app.clock.now()) + ttl * 1000
        session = Session(login.account, expires, secrets.token_hex(16))
        response = web.HTTPSeeOther(f"/c/{login.community}")
        response.set_cookie(COOKIE, sign(await self.logins.key(), session), httponly=True,
                            samesite="Lax", secure=self.web.base_url.startswith("https://"),
                            max_age=ttl, path="/")
        log.info("dashboard login: %s:%s (link from %s)", *login.account, login.community)
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        session = await self._session(request)
        if session is None or await self._post_checked(request, session) is None:
            return _forbidden(request, "why_form")
        say = _say(request)
        response = web.Response(
            text=views.page(str(say("logged_out")), f'<div class="card">{say("logged_out")}</div>', say),
            content_type="text/html")
        response.del_cookie(COOKIE, path="/")
        return response

    # ------------------------------------------------------------------ pages
    async def overview(self, request: web.Request) -> web.Response:
        session = await self._session(request)
        if session is None:
            return _forbidden(request, "why_session")
        cards = []
        await self._fresh(*self.app.config.communities)
        for key in self.app.config.communities:
            who = await views.viewer(self.app, key, session.account, _say(request))
            if who is not None:
                cards.append(await views.overview_card(self.app, who))
        if not cards:
            return _forbidden(request, "why_any_role")
        say = _say(request)
        return _html(views.page(str(say("overview")), "".join(cards), say, csrf=await self._csrf(session)))

    async def community(self, request: web.Request) -> web.Response:
        found = await self._viewer(request)
        if isinstance(found, web.Response):
            return found
        session, who = found
        health = await self._health(who.community) if who.acts else None
        return _html(await views.community_html(self.app, who, await self._csrf(session), health))

    async def chart(self, request: web.Request) -> web.Response:
        found = await self._viewer(request)
        if isinstance(found, web.Response):
            return found
        _, who = found
        name = request.match_info["name"]
        if name not in views.CHARTS:
            raise web.HTTPNotFound()
        from hearth.web.charts import can_write

        # no CJK font installed: the chart in English rather than empty boxes
        say = who.say if can_write(str(who.say("chart_" + name))) else say_in("en")
        svg = await self._chart(who.community, name, say)
        return web.Response(body=svg, content_type="image/svg+xml",
                            headers={"Cache-Control": "private, max-age=300"})

    async def _chart(self, community: str, name: str, say: Say) -> bytes:
        """The chart's SVG (in ``say``'s language), drawn in a thread at most every :data:`CHART_FOR`."""
        async def draw() -> bytes:
            from hearth.web.charts import draw

            days, series = await views.chart_series(self.app, community, name, say)
            return await asyncio.to_thread(draw, days, series, str(say("chart_" + name)))

        svg: bytes = await self._kept((community, f"{name}:{say('lang')}"), draw)
        return svg

    async def _health(self, community: str) -> str | None:
        """``community_report``'s text (pulse draws a chart for it: kept like a chart)."""
        async def ask() -> str | None:
            report = await self.app.report(community, 1)
            return None if report is None else report.text

        text: str | None = await self._kept((community, "health"), ask)
        return text

    async def _kept(self, key: tuple[str, str], make: Callable[[], Awaitable[Any]]) -> Any:
        now = self.app.clock.now()
        kept = self._drawn.get(key)
        if kept is None or now - kept[0] >= CHART_FOR:
            kept = (now, await make())
            self._drawn[key] = kept
        return kept[1]

    async def member(self, request: web.Request) -> web.Response:
        found = await self._viewer(request)
        if isinstance(found, web.Response):
            return found
        session, who = found
        if not who.acts:
            return _forbidden(request, "why_members")
        account = (request.match_info["platform"], request.match_info["member"])
        html = await views.member_html(self.app, who, account, await self._csrf(session))
        if html is None:
            raise web.HTTPNotFound(text="no such member")
        return _html(html)

    # ------------------------------------------------------------------ actions
    async def act(self, request: web.Request) -> web.Response:
        """Run a panel's command as the logged-in person, through the community's inbox."""
        found = await self._viewer(request)
        if isinstance(found, web.Response):
            return found
        session, who = found
        form = await self._post_checked(request, session)
        if form is None:
            return _forbidden(request, "why_form")
        if not who.acts:
            return _forbidden(request, "why_act")
        action = _action(str(form.get("action", "")))
        if action is None:
            raise web.HTTPBadRequest(text="malformed action")
        command, args = action
        csrf = await self._csrf(session)
        answers = await self.run(who, session, command, args)
        line = " ".join([command, *(a if isinstance(a, str) else ":".join(a) for a in args)])
        return _html(views.result_html(who.community, line, answers, csrf, who.say))

    async def run(self, who: views.Viewer, session: Session, command: str, args: list[Any]) -> list[str]:
        """Run ``command`` with ``args`` as the person; the replies it gave (run by the process
        acting for the community: perhaps another, through the database)."""
        global _ACTIONS
        key = who.community
        ctx = views.core_ctx(self.app, key)
        platform = next((a[0] for a in args if isinstance(a, list)), session.account[0])
        mine = next((r for r in ctx.accounts(session.account) if r.platform == platform), None)
        if mine is None:
            return [str(who.say("no_account", platform=platform, community=key))]
        member = await views.current(self.app, key, (platform, mine.id))
        if member is None:
            return [str(who.say("not_member", platform=platform, community=key))]
        words = [member_token(str(a[1])) if isinstance(a, list) else quote_arg(str(a)) for a in args]
        line = " ".join([command, *words])
        now = self.app.clock.now()
        _ACTIONS += 1
        ref = f"web:{secrets.token_hex(6)}:{_ACTIONS}"
        message = Message(platform=platform, id=ref, channel=Channel(platform=platform, id="dashboard"),
                          author=member, text=line, time_ms=to_ms(now))
        event = CommandInvokedEvent(platform=platform, id=ref, community=key, time=now, message=message)
        log.info("dashboard: %s:%s runs %r in %s", platform, mine.id, line, key)
        answers = await self.app.run_command(event, wait=self.answer_wait)
        if answers is None:
            log.info("dashboard: %r in %s is queued for the process acting for it", line, key)
            return [str(who.say("queued_act", community=key))]
        return [str(a) for a in answers]
