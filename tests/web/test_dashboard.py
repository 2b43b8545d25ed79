"""The web dashboard: login links, sessions, who sees what, every page and action.

Each test runs on SQLite and PostgreSQL (``storage_url``): login tokens and
the signing key live in the database. The pages are fetched with aiohttp's
test client from the real application (no port is bound).
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from hearth import Role
from hearth.adapters.testing import TestBot
from hearth.plugins.leaders import offers
from hearth.plugins.leaders.texts import DEFAULTS as LEADERS_TEXTS
from hearth.web.server import COOKIE, Dashboard
from hearth.web.texts import say_in
from hearth.web.views import chart_series

CONFIG = """
web: {listen: "127.0.0.1:8470", public_url: "http://hearth.example.org"}
communities:
  tea-house:
    channels: {general: {}, council: {}}
    plugins:
      leaders: {channel: council, powers: [invite_codes]}
      guard: {}
      welcome: {channel: general, gate: {approval: {}}}
  other:
    channels: {general: {}}
    plugins: {}
"""

PEOPLE = [{"id": "olivia", "role": "owner"}, {"id": "adam", "role": "admin"},
          {"id": "lee", "role": "leader"}, {"id": "ann"}, {"id": "ben"}, {"id": "newt", "role": "newcomer"}]

Factory = Callable[..., Awaitable[TestBot]]


@pytest_asyncio.fixture
async def site(hearth_bot: Factory, storage_url: str) -> AsyncIterator[tuple[TestBot, TestClient]]:
    bot = await hearth_bot(CONFIG, members=PEOPLE, storage=storage_url, start="2026-11-20T10:00:00+00:00")
    assert bot.app.logins is not None
    client = TestClient(TestServer(Dashboard(bot.app, bot.app.logins).application()))
    await client.start_server()
    try:
        yield bot, client
    finally:
        await client.close()


def _token(dm: str) -> str:
    found = re.search(r"http://hearth\.example\.org/login/(\S+)", dm)
    assert found, dm
    return found.group(1)


async def link_for(bot: TestBot, who: str) -> str:
    """The token of a login link ``who`` asks for with ``!dashboard``."""
    bot.take()
    await bot.say(who, "general", "!dashboard")
    [dm] = [a for a in bot.take() if a["action"] == "dm" and a["member"] == who]
    assert dm.get("previews") is False  # sent with link previews suppressed
    return _token(dm["text"])


async def log_in(bot: TestBot, client: TestClient, who: str) -> None:
    token = await link_for(bot, who)
    page = await client.get(f"/login/{token}", allow_redirects=False)
    assert page.status == 200 and "Log in" in await page.text()
    done = await client.post(f"/login/{token}", allow_redirects=False)
    assert done.status == 303 and done.headers["Location"] == "/c/tea-house"
    cookie = done.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]  # http here


async def csrf(client: TestClient, path: str) -> str:
    page = await client.get(path)
    found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
    assert found
    return found.group(1)


@pytest.mark.asyncio
async def test_a_login_link_works_once_and_only_by_its_button(site: Any) -> None:
    bot, client = site
    token = await link_for(bot, "adam")
    assert "sent you a login link" in bot.sent("send", channel="general")[-1]["text"]
    for _ in range(2):  # a link preview's GET uses nothing
        assert (await client.get(f"/login/{token}")).status == 200
    assert (await client.get("/")).status == 403  # not logged in yet
    assert (await client.post(f"/login/{token}", allow_redirects=False)).status == 303
    assert (await client.get("/")).status == 200
    used = await client.post(f"/login/{token}")
    assert used.status == 403 and "used already" in await used.text()
    assert (await client.get(f"/login/{token}")).status == 403
    assert (await client.get("/login/made-up")).status == 403


@pytest.mark.asyncio
async def test_a_link_expires_after_ten_minutes(site: Any) -> None:
    bot, client = site
    token = await link_for(bot, "adam")
    await bot.wait("11m")
    assert (await client.get(f"/login/{token}")).status == 403
    assert (await client.post(f"/login/{token}")).status == 403


@pytest.mark.asyncio
async def test_only_admins_ask_for_links_and_tokens_are_stored_hashed(site: Any) -> None:
    bot, _ = site
    bot.take()
    await bot.say("lee", "general", "!dashboard")
    assert not bot.sent("dm") and "for admins" in bot.sent("send")[-1]["text"]
    token = await link_for(bot, "adam")
    rows = await bot.app.db.fetch("SELECT token_hash, used_ms FROM web_logins")
    assert len(rows) == 1 and rows[0]["token_hash"] != token and token not in rows[0]["token_hash"]


@pytest.mark.asyncio
async def test_a_tampered_cookie_gets_403(site: Any) -> None:
    bot, client = site
    await log_in(bot, client, "adam")
    good = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE].value
    body, _, mac = good.partition(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({COOKIE: forged})
    page = await client.get("/c/tea-house")
    assert page.status == 403 and "tampered" in await page.text()


@pytest.mark.asyncio
async def test_admins_see_everything_and_the_charts_are_svg(site: Any) -> None:
    bot, client = site
    await bot.say("ann", "general", "hello @ben")
    await log_in(bot, client, "adam")
    overview = await (await client.get("/")).text()
    assert "tea-house" in overview and "members" in overview and "active this week" in overview
    assert "other" not in re.findall(r'href="/c/([^"]+)"', overview)  # adam has no role there
    assert "testing: connected since" in overview
    page = await (await client.get("/c/tea-house")).text()
    for part in ("Activity, last 8 weeks", "Pyramid", "Leaders", "Leader proposals", "Strike ledger",
                 "Open reports", "Waiting for approval", "Who invited whom",  # guard, welcome
                 "/c/tea-house/chart/messages.svg"):
        assert part in page, part
    chart = await client.get("/c/tea-house/chart/messages.svg")
    assert chart.status == 200 and chart.content_type == "image/svg+xml"
    assert (await chart.read()).lstrip().startswith(b"<?xml")
    for name in ("active", "joins", "interactions"):
        assert (await client.get(f"/c/tea-house/chart/{name}.svg")).status == 200
    member = await client.get("/c/tea-house/m/testing/ann")
    text = await member.text()
    assert member.status == 200 and "ann" in text and "1 messages" in text
    assert (await client.get("/c/other")).status == 403


@pytest.mark.asyncio
async def test_leaders_see_charts_and_pyramid_but_no_moderation_or_members(site: Any) -> None:
    bot, client = site
    await bot.set_role("olivia", "owner")
    await bot.set_role("lee", "admin")
    await log_in(bot, client, "lee")
    await bot.set_role("lee", "leader")  # the role is read again at every request
    page = await client.get("/c/tea-house")
    text = await page.text()
    assert page.status == 200 and "Pyramid" in text and "Leader proposals" in text
    assert "Strike ledger" not in text and "Who invited whom" not in text
    assert "<button>Approve" not in text and "<button>Revoke" not in text  # leaders do not act
    assert (await client.get("/c/tea-house/m/testing/ann")).status == 403
    await bot.set_role("lee", "member")
    assert (await client.get("/c/tea-house")).status == 403
    assert (await client.get("/c/tea-house/chart/messages.svg")).status == 403


@pytest.mark.asyncio
async def test_leaders_with_moderate_see_the_strike_ledger(hearth_bot: Factory, storage_url: str) -> None:
    config = CONFIG.replace("powers: [invite_codes]", "powers: [moderate]")
    bot = await hearth_bot(config, members=PEOPLE, storage=storage_url)
    assert bot.app.logins is not None
    client = TestClient(TestServer(Dashboard(bot.app, bot.app.logins).application()))
    await client.start_server()
    try:
        await bot.set_role("lee", "admin")
        await log_in(bot, client, "lee")
        await bot.set_role("lee", "leader")
        text = await (await client.get("/c/tea-house")).text()
        assert "Strike ledger" in text and "Who invited whom" not in text
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_every_post_needs_the_csrf_token(site: Any) -> None:
    bot, client = site
    await log_in(bot, client, "olivia")
    action = '["leaders approve", [["testing", "ann"]]]'
    bad = await client.post("/c/tea-house/act", data={"action": action, "csrf": "nope"})
    assert bad.status == 403 and "CSRF" in await bad.text()
    assert (await client.post("/logout", data={})).status == 403
    assert (await client.get("/")).status == 200  # still logged in


@pytest.mark.asyncio
async def test_approving_a_proposed_leader_from_the_page(site: Any) -> None:
    bot, client = site
    await bot.app.contexts["tea-house"]["leaders"].store.insert(
        "offers", {"person": (await bot.app.contexts["tea-house"]["leaders"].person(("testing", "ann"))).id,
                   "state": "proposed", "at_ms": 0})
    await log_in(bot, client, "olivia")
    overview = await (await client.get("/")).text()
    assert "<b>1</b>Leader proposals" in overview  # waiting for a decision
    page = await (await client.get("/c/tea-house")).text()
    assert "<button>Approve</button>" in page
    token = await csrf(client, "/c/tea-house")
    action = re.search(r'name="action" value="([^"]*leaders approve[^"]*)"', page)
    assert action
    bot.take()
    form = {"csrf": token, "action": html.unescape(action.group(1))}
    done = await client.post("/c/tea-house/act", data=form)
    assert done.status == 200 and "approved" in (await done.text()).lower()
    await bot.settle()
    [question] = bot.sent("dm", member="ann")
    await bot.dm("ann", "1")  # yes
    assert bot.role_of("ann") == Role.LEADER
    assert question


@pytest.mark.asyncio
async def test_an_action_is_checked_as_the_chat_command(site: Any) -> None:
    bot, client = site
    await log_in(bot, client, "adam")  # an admin: leaders approve is for the owner
    token = await csrf(client, "/c/tea-house")
    done = await client.post("/c/tea-house/act",
                             data={"csrf": token, "action": '["leaders approve", [["testing", "ben"]]]'})
    assert done.status == 200 and "is for owners" in await done.text()
    assert bot.role_of("ben") == Role.MEMBER
    for malformed in ("{", '["leaders approve", [1]]', '["x"]', '[1, []]'):
        bad = await client.post("/c/tea-house/act", data={"csrf": token, "action": malformed})
        assert bad.status == 400, malformed


@pytest.mark.asyncio
async def test_logout_ends_the_session(site: Any) -> None:
    bot, client = site
    await log_in(bot, client, "adam")
    token = await csrf(client, "/")
    assert (await client.post("/logout", data={"csrf": token})).status == 200
    assert (await client.get("/")).status == 403


@pytest.mark.asyncio
async def test_hearth_login_prints_a_link_for_owners_and_admins_only(site: Any) -> None:
    bot, client = site
    from hearth.web.cli import operator_link

    url = await operator_link(bot.app, ("testing", "adam"))
    assert url.startswith("http://hearth.example.org/login/")
    assert (await client.post(f"/login/{_token(url)}", allow_redirects=False)).status == 303
    with pytest.raises(LookupError, match="not an owner or admin"):
        await operator_link(bot.app, ("testing", "lee"))
    with pytest.raises(LookupError, match="not a member"):
        await operator_link(bot.app, ("testing", "nobody"))


@pytest.mark.asyncio
async def test_one_process_serves_the_dashboard(postgres_url: str) -> None:
    """With several processes, the dashboard is a claim of one of them (``(dashboard)``)."""
    from hearth.leases import Leases
    from hearth.ports import Claims
    from hearth.storage import CORE_MIGRATIONS, Database, Store
    from hearth.web import LEASE

    dbs = [await Database.open(postgres_url) for _ in range(2)]
    try:
        await dbs[0].migrate(Store(dbs[0], "hearth"), CORE_MIGRATIONS)
        claim = [Claims(keys=(LEASE,), per_process=1)]
        first, second = (Leases(db, ["tea"], name=n, claims=claim) for db, n in zip(dbs, "ab", strict=True))
        await first.renew()
        await second.renew()
        assert first.claimed() == {LEASE} and second.claimed() == frozenset()
        await first.release()  # the first stops: the second takes the dashboard over
        await second.renew()
        assert second.claimed() == {LEASE}
    finally:
        for db in dbs:
            await db.close()


@pytest.mark.asyncio
async def test_the_member_page_shows_strikes_and_pardons_from_the_page(site: Any) -> None:
    bot, client = site
    guard = bot.app.contexts["tea-house"]["guard"]
    await guard.strikes.add(("testing", "ben"), "abuse", detail="rude words")
    await log_in(bot, client, "adam")
    ledger = await (await client.get("/c/tea-house")).text()
    assert "Strike ledger" in ledger and "abuse" in ledger and 'href="/c/tea-house/m/testing/ben"' in ledger
    page = await (await client.get("/c/tea-house/m/testing/ben")).text()
    assert "abuse (guard" in page and "<button>Pardon all strikes</button>" in page
    action = re.search(r'name="action" value="([^"]*pardon[^"]*)"', page)
    assert action
    token = await csrf(client, "/c/tea-house/m/testing/ben")
    form = {"csrf": token, "action": html.unescape(action.group(1))}
    done = await client.post("/c/tea-house/act", data=form)
    assert done.status == 200 and "pardoned" in (await done.text()).lower()
    assert await guard.strikes.count(("testing", "ben")) == 0
    assert (await client.get("/c/tea-house/m/testing/nobody")).status == 404
    assert (await client.get("/c/tea-house/chart/nothing.svg")).status == 404


def test_hearth_login_on_the_command_line(tmp_path: Any) -> None:
    import asyncio

    from click.testing import CliRunner

    from hearth.cli import main

    config = tmp_path / "hearth.yaml"
    config.write_text(f"storage: sqlite:///{tmp_path / 'h.db'}\n" + CONFIG)

    async def populate() -> None:  # the member directory on disk; hearth login reads it offline
        bot = await TestBot.create(config, members=PEOPLE, storage=tmp_path / "h.db")
        await bot.close()

    asyncio.run(populate())
    runner = CliRunner()
    done = runner.invoke(main, ["login", str(config), "--as", "testing:adam"])
    assert done.exit_code == 0, done.output
    assert re.fullmatch(r"http://hearth\.example\.org/login/\S+\n", done.output)
    leader = runner.invoke(main, ["login", str(config), "--as", "testing:lee"])
    assert leader.exit_code == 2 and "not an owner or admin" in leader.output
    bad = runner.invoke(main, ["login", str(config), "--as", "nonsense"])
    assert bad.exit_code == 2 and "PLATFORM:ID" in bad.output
    no_web = tmp_path / "plain.yaml"
    no_web.write_text("\n".join(line for line in config.read_text().splitlines() if "web:" not in line))
    refused = runner.invoke(main, ["login", str(no_web), "--as", "testing:adam"])
    assert refused.exit_code == 2 and "web:" in refused.output


@pytest.mark.asyncio
async def test_the_process_holding_the_dashboard_serves_it_on_listen(hearth_bot: Factory) -> None:
    import asyncio
    import socket

    import aiohttp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = await hearth_bot(CONFIG.replace("127.0.0.1:8470", f"127.0.0.1:{port}"), members=PEOPLE)
    assert bot.app.logins is not None
    serving = asyncio.ensure_future(Dashboard(bot.app, bot.app.logins).serve())
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):  # until it listens (a real socket: real time)
                try:
                    async with http.get(f"http://127.0.0.1:{port}/") as page:
                        assert page.status == 403 and "not logged in" in await page.text()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.01)
            else:
                raise AssertionError("the dashboard never listened")
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
    with pytest.raises(aiohttp.ClientConnectionError):  # stopped with it
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/"):
            pass


@pytest.mark.asyncio
async def test_a_community_another_process_acts_for(site: Any) -> None:
    """The role comes from the member directory that process writes (actions: see
    test_dashboard_processes.py, with two real processes)."""
    bot, client = site
    await log_in(bot, client, "olivia")
    await bot.app.people.ledger.flush(all_activity=True)  # the directory as the owner writes it
    bot.app.leases.owns = lambda community: False  # type: ignore[method-assign]
    page = await client.get("/c/tea-house")
    assert page.status == 200 and "served by another process" in await page.text()
    await bot.app.db.execute("UPDATE hearth_members SET role = ? WHERE member_id = ?",
                             (int(Role.MEMBER), "olivia"))
    assert (await client.get("/c/tea-house")).status == 403


@pytest.mark.asyncio
async def test_pages_speak_the_browsers_language(site: Any) -> None:
    bot, client = site
    zh = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
    refused = await client.get("/c/tea-house", headers=zh)
    assert refused.status == 403 and "你尚未登录" in await refused.text()
    await log_in(bot, client, "adam")
    page = await (await client.get("/c/tea-house", headers=zh)).text()
    assert '<html lang="zh">' in page and "用户金字塔" in page and "违规记录" in page
    chart = await client.get("/c/tea-house/chart/active.svg", headers=zh)
    assert chart.status == 200 and (await chart.read()).lstrip().startswith(b"<?xml")
    english = await (await client.get("/c/tea-house", headers={"Accept-Language": "fr, en"})).text()
    assert '<html lang="en">' in english and "Pyramid" in english


@pytest.mark.asyncio
async def test_the_joins_chart_shows_leaves_beside_joins(site: Any) -> None:
    bot, client = site
    await bot.wait("1d")
    await bot.join("nina")
    await bot.leave("ben")
    await bot.leave("nina")
    days, series = await chart_series(bot.app, "tea-house", "joins", say_in("en"))
    assert len(days) == 8 * 7 and days[-1] == bot.clock.now().date()
    (joined, joins), (left, leaves) = series
    assert (joined, left) == ("joined", "left")
    assert (joins[-2:], leaves[-2:]) == ([0, 1], [0, 2])
    await log_in(bot, client, "adam")
    page = await (await client.get("/c/tea-house")).text()
    assert "Members who joined and left a day" in page and "/c/tea-house/chart/joins.svg" in page
    chart = await client.get("/c/tea-house/chart/joins.svg")
    labels = re.findall(r"<!-- (.*?) -->", await chart.text())  # the SVG names what it draws
    assert chart.status == 200 and "joined" in labels and "left" in labels


ZH_CONFIG = CONFIG.replace("  tea-house:\n", "  tea-house:\n    language: zh\n").replace(
    "      welcome:", "      flash: {}\n      breakout: {}\n      pulse: {}\n      welcome:")


@pytest.mark.asyncio
async def test_a_chinese_community_gets_chinese_panels(hearth_bot: Factory, storage_url: str) -> None:
    """Panels speak the community's language (as its chat texts do), whatever the browser's."""
    bot = await hearth_bot(ZH_CONFIG, members=PEOPLE, storage=storage_url, start="2026-11-20T10:00:00+00:00")
    assert bot.app.logins is not None
    client = TestClient(TestServer(Dashboard(bot.app, bot.app.logins).application()))
    await client.start_server()
    try:
        await log_in(bot, client, "adam")
        page = await (await client.get("/c/tea-house")).text()
    finally:
        await client.close()
    titles = re.findall(r"<h2>([^<]*)</h2>", page)
    for title in ("意见领袖", "意见领袖提名", "待处理的举报", "快闪群组", "小组交流轮次", "进行中的交流小组",
                  "健康警告", "等待审核"):
        assert title in titles, (title, titles)
    for english in ("Leaders", "Leader proposals", "Open reports", "Flash groups", "Breakout rounds",
                    "Breakout groups open", "Health warnings"):
        assert english not in titles
    # columns, row labels, buttons and notes too
    for words in ("本周消息", "下一轮", "立即开始", "没有进行中的快闪群组。", "没有待处理的举报。"):
        assert words in page, words


def test_every_leader_offer_state_has_a_panel_label_in_both_languages() -> None:
    for state in (offers.PROPOSED, offers.APPROVED, offers.DECLINED):
        assert all(f"panel_{state}" in LEADERS_TEXTS[language] for language in ("en", "zh")), state


@pytest.mark.asyncio
async def test_without_web_the_dashboard_command_says_how_to_enable_it(hearth_bot: Factory) -> None:
    bot = await hearth_bot(CONFIG.split("\n", 2)[2], members=PEOPLE)  # no `web:` line
    assert bot.app.logins is None
    await bot.say("adam", "general", "!dashboard")
    reply = bot.take()[-1]
    assert reply["action"] == "send" and "not enabled" in reply["text"] and "web:" in reply["text"]
    await bot.say("ann", "general", "!dashboard")
    assert "for admins" in bot.take()[-1]["text"]
