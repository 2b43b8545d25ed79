"""The ``hearth`` command line."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import click

from hearth import logs
from hearth.bootstrap import Loaded, load
from hearth.errors import ConfigError, HearthError

log = logging.getLogger("hearth")

EXIT_RUNTIME = 1
EXIT_INVALID = 2


def _fail(message: str, code: int = EXIT_RUNTIME) -> None:
    click.echo(f"hearth: error: {message}", err=True)
    sys.exit(code)


def _load(path: str | Path, *, warnings: bool = False, strict_accounts: bool = False) -> Loaded:
    try:
        loaded = load(path, strict_accounts=strict_accounts)
    except ConfigError as exc:
        _print_issues(exc)
        errors = sum(1 for i in exc.issues if not i.warning)
        click.echo(f"hearth: {path}: {errors} error{'s' if errors != 1 else ''}; nothing was started",
                   err=True)
        sys.exit(EXIT_INVALID)
    except HearthError as exc:
        _fail(str(exc), EXIT_INVALID)
    if warnings:
        for warning in loaded.warnings:
            click.echo(str(warning), err=True)
    return loaded


def _print_issues(exc: ConfigError) -> None:
    """Errors first, each group in file and line order."""
    for issue in sorted(exc.issues, key=lambda i: (i.warning, i.file, i.line or 0)):
        click.echo(str(issue), err=True)


def bundled_example() -> Path:
    """The example community config shipped with Hearth."""
    return Path(str(files("hearth.examples").joinpath("community.yaml")))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--log-level", default=None,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="How much to log (default: INFO for run, WARNING otherwise).")
@click.version_option(package_name="hearthbot")
@click.pass_context
def main(ctx: click.Context, log_level: str | None) -> None:
    """Hearth: a self-hosted bot that keeps chat communities alive."""
    ctx.obj = {"log_level": log_level}


def _logging(ctx: click.Context, default: str) -> None:
    logs.configure(ctx.obj.get("log_level") or default)


@main.command()
@click.argument("config", type=click.Path(dir_okay=True))
@click.option("--connect", is_flag=True,
              help="Also open the storage database (a PostgreSQL server is connected to).")
@click.pass_context
def check(ctx: click.Context, config: str, connect: bool) -> None:
    """Validate CONFIG (a file or folder); with --connect, open its database too."""
    _logging(ctx, "WARNING")
    loaded = _load(config, warnings=True)
    if connect:
        url = loaded.config.storage
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
            where = f"{url.removeprefix('sqlite:///')} does not exist yet; the first start creates it"
        else:
            try:
                where = asyncio.run(_probe(url))
            except HearthError as exc:
                _fail(str(exc))
        click.echo(f"{config}: storage: {where}")
    for key, community in loaded.config.communities.items():
        for platform in community.bindings:
            reported = any(w.key.startswith(f"accounts.{platform}") for w in loaded.warnings)
            if platform not in loaded.config.accounts and not reported:
                click.echo(f"{config}: warning: community {key!r} is bound to {platform} but "
                           f"accounts.{platform} is missing (needed by `hearth run`)", err=True)
    names = ", ".join(loaded.config.communities)
    click.echo(f"{config}: OK ({len(loaded.config.communities)} communities: {names})")


async def _probe(url: str) -> str:
    """Open the database at ``url`` and close it again; what was found, in words."""
    from hearth.storage import Database

    db = await Database.open(url)
    try:
        versions = await db.fetchval("SELECT COUNT(*) FROM hearth_schema")
    finally:
        await db.close()
    return f"{db.where} is reachable" + ("" if versions else " (and empty: Hearth will set it up)")


def _storage_url(value: str) -> str:
    """A storage URL as given, or an SQLite file's path as its URL."""
    return value if "://" in value else f"sqlite:///{value}"


@main.command("migrate-storage")
@click.argument("source")
@click.argument("target")
@click.pass_context
def migrate_storage(ctx: click.Context, source: str, target: str) -> None:
    """Copy the SQLite database SOURCE (a file or sqlite:///FILE) into the empty TARGET
    (postgresql://…). Stop every Hearth process using SOURCE first."""
    from hearth.storage import Database
    from hearth.storage.copy import copy_database

    _logging(ctx, "WARNING")

    url = _storage_url(source)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        _fail(f"there is no database file {url.removeprefix('sqlite:///')}")

    async def copy() -> str:
        src = await Database.open(url)
        try:
            dst = await Database.open(_storage_url(target))
            try:
                copied = await copy_database(src, dst)
            finally:
                await dst.close()
        finally:
            await src.close()
        return (f"copied {len(copied.rows)} tables ({copied.total} rows) from {src.where} to "
                f"{dst.where}; set storage: to the new URL and start Hearth")

    try:
        click.echo(asyncio.run(copy()))
    except HearthError as exc:
        _fail(str(exc))


@main.command()
@click.argument("config", type=click.Path(dir_okay=True))
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per action, nothing else.")
@click.pass_context
def simulate(ctx: click.Context, config: str, scenario: str, as_json: bool) -> None:
    """Replay SCENARIO against CONFIG in virtual time and print every action."""
    from hearth.simulate import dumps, human, load_scenario, run_scenario

    _logging(ctx, "WARNING")
    loaded = _load(config)
    try:
        parsed = load_scenario(scenario, loaded)
    except ConfigError as exc:
        _print_issues(exc)
        sys.exit(EXIT_INVALID)

    def emit(action: dict[str, Any]) -> None:
        click.echo(dumps(action) if as_json else human(action))

    try:
        count = asyncio.run(run_scenario(loaded, parsed, emit))
    except ConfigError as exc:
        _print_issues(exc)
        sys.exit(EXIT_INVALID)
    except HearthError as exc:
        _fail(str(exc))
    if not as_json:
        click.echo(f"-- {count} actions", err=True)


@main.command()
@click.argument("config", required=False, type=click.Path(dir_okay=True))
@click.option("--db", default="hearth-console.db", show_default=True,
              help="SQLite file for the console's state.")
@click.option("--community", default=None, help="Which community to play in (default: the first).")
@click.pass_context
def console(ctx: click.Context, config: str | None, db: str, community: str | None) -> None:
    """Chat with the bot in the terminal, playing every member (no account needed)."""
    from hearth.adapters.console.repl import Console

    _logging(ctx, "WARNING")
    loaded = _load(config or bundled_example())
    if community and community not in loaded.config.communities:
        _fail(f"no community {community!r} in the config", EXIT_INVALID)
    session = Console(loaded, f"sqlite:///{db}", community=community)
    try:
        asyncio.run(session.run(sys.stdin.readline))
    except KeyboardInterrupt:
        pass
    except HearthError as exc:
        _fail(str(exc))


@main.command()
@click.argument("config", type=click.Path(dir_okay=True))
@click.pass_context
def run(ctx: click.Context, config: str) -> None:
    """Connect to the networks CONFIG names and run until interrupted."""
    from hearth.app import App, bindings_for, require_accounts

    _logging(ctx, "INFO")
    loaded = _load(config, warnings=True, strict_accounts=True)
    try:
        require_accounts(loaded.config, loaded.adapters)
    except HearthError as exc:
        _fail(str(exc), EXIT_INVALID)
    used = {p for c in loaded.config.communities.values() for p in c.bindings}
    adapters = [
        info.cls(account=loaded.config.accounts.get(name),
                 communities=bindings_for(loaded.config, info.cls))
        for name, info in loaded.adapters.items() if name in used
    ]

    async def serve() -> str | None:
        """Run until interrupted; the reason when the app could not go on."""
        app = App(loaded.config, loaded.plugins, adapters)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await app.start()
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(app.failed.wait())]
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()
            log.info("stopping")
        finally:
            await app.stop()
        return app.failure

    try:
        failure = asyncio.run(serve())
    except HearthError as exc:
        _fail(str(exc))
    if failure is not None:
        _fail(failure)


@main.command()
@click.argument("config", type=click.Path(dir_okay=True))
@click.argument("account", metavar="PLATFORM:ID")
@click.pass_context
def forget(ctx: click.Context, config: str, account: str) -> None:
    """Erase one person's account (e.g. discord:1234) from CONFIG's storage.

    The member directory, the activity ledger, roles, groups and link codes
    forget the account, its person's strikes are erased, and every plugin is
    told (``on_forget``) to erase what it keeps. Nothing connects to
    the networks; stop the bot first, or it may write back what it holds.
    """
    from hearth.app import App

    _logging(ctx, "WARNING")
    loaded = _load(config)
    platform, _, member_id = account.partition(":")
    if not platform or not member_id:
        _fail(f"{account!r} is not an account (expected PLATFORM:ID, e.g. discord:80351110224678912 "
              "or matrix:@alice:example.org)", EXIT_INVALID)
    if platform not in loaded.adapters:
        _fail(f"unknown network {platform!r} in {account!r} (expected one of: "
              f"{', '.join(sorted(loaded.adapters))})", EXIT_INVALID)

    async def erase() -> list[str]:
        app = App(loaded.config, loaded.plugins, [])
        try:
            await app.open()
            return await app.forget((platform, member_id))
        finally:
            await app.stop()

    try:
        known = asyncio.run(erase())
    except HearthError as exc:
        _fail(str(exc))
    where = f"a member of {', '.join(known)}" if known else "not in the member directory"
    click.echo(f"forgot {platform}:{member_id} ({where}); plugins were told to erase their data")


@main.command()
@click.argument("config", type=click.Path(dir_okay=True))
@click.pass_context
def status(ctx: click.Context, config: str) -> None:
    """Show the processes using CONFIG's storage, the communities, Discord shards and Matrix sync
    each owns, their lease ages, and the job backlog. Connects to no network."""
    from hearth.status import status as describe
    from hearth.storage import Database

    _logging(ctx, "WARNING")
    loaded = _load(config)

    from hearth.app import bindings_for

    follows: dict[str, list[str]] = {}  # a claimed part (a Discord shard) -> its communities
    used = {p for c in loaded.config.communities.values() for p in c.bindings}
    for name, info in loaded.adapters.items():
        account = loaded.config.accounts.get(name)
        if name not in used or account is None:
            continue
        adapter = info.cls(account=account, communities=bindings_for(loaded.config, info.cls))
        claims = adapter.claims()
        for key in claims.keys if claims else ():
            follows.setdefault(key, [])
        for community, key in (claims.communities if claims else {}).items():
            follows.setdefault(key, []).append(community)

    async def read() -> list[str]:
        db = await Database.open(loaded.config.storage)
        try:
            return await describe(db, follows)
        finally:
            await db.close()

    try:
        click.echo("\n".join(asyncio.run(read())))
    except HearthError as exc:
        _fail(str(exc))

@main.command()
@click.argument("config", type=click.Path(dir_okay=True))
@click.option("--community", default=None, help="Only this community (default: every one).")
@click.option("--weeks", default=8, show_default=True, type=click.IntRange(1, 52),
              help="How many weeks the charts cover.")
@click.option("--html", "html_file", default=None, type=click.Path(dir_okay=False, writable=True),
              help="Also write a self-contained HTML page with the charts to this file.")
@click.pass_context
def report(ctx: click.Context, config: str, community: str | None, weeks: int,
           html_file: str | None) -> None:
    """Print each community's activity report from CONFIG's database, without connecting.

    The report comes from the plugin that answers ``community_report`` (pulse).
    """
    from hearth.app import App

    _logging(ctx, "WARNING")
    loaded = _load(config)
    keys = list(loaded.config.communities)
    if community is not None:
        if community not in loaded.config.communities:
            _fail(f"no community {community!r} in the config (expected one of: {', '.join(keys)})",
                  EXIT_INVALID)
        keys = [community]
    if html_file is not None and len(keys) > 1:
        _fail("--html writes one community's page: name it with --community", EXIT_INVALID)

    async def gather() -> dict[str, Any]:
        app = App(loaded.config, loaded.plugins, [])
        try:
            await app.open()
            return {key: await app.report(key, weeks) for key in keys}
        finally:
            await app.stop()

    try:
        reports = asyncio.run(gather())
    except HearthError as exc:
        _fail(str(exc))
    missing = [key for key, found in reports.items() if found is None]
    for found in reports.values():
        if found is not None:
            click.echo(found.text)
            click.echo()
    if missing:
        _fail(f"no report for {', '.join(missing)}: enable the pulse plugin there")
    if html_file is not None:
        [found] = reports.values()
        Path(html_file).write_text(found.html, encoding="utf-8")
        click.echo(f"wrote {html_file}", err=True)


@main.command()
@click.argument("config", type=click.Path(dir_okay=True))
@click.option("--as", "account", required=True, metavar="PLATFORM:ID",
              help="The owner's or an admin's account, e.g. discord:80351110224678912.")
@click.pass_context
def login(ctx: click.Context, config: str, account: str) -> None:
    """Print a one-time login link to the web dashboard (valid 10 minutes) for an owner or
    admin account, read from CONFIG's database without connecting."""
    from hearth.app import App
    from hearth.web.cli import operator_link

    _logging(ctx, "WARNING")
    loaded = _load(config)
    if loaded.config.web is None:
        _fail("the dashboard is not configured: add a web: section (see docs/dashboard.md)", EXIT_INVALID)
    platform, _, member_id = account.partition(":")
    if not platform or not member_id:
        _fail(f"{account!r} is not an account (expected PLATFORM:ID, e.g. discord:80351110224678912 "
              "or matrix:@alice:example.org)", EXIT_INVALID)

    async def issue() -> str:
        app = App(loaded.config, loaded.plugins, [])
        try:
            await app.open()
            return await operator_link(app, (platform, member_id))
        finally:
            await app.stop()

    try:
        click.echo(asyncio.run(issue()))
    except LookupError as exc:
        _fail(str(exc.args[0]), EXIT_INVALID)
    except HearthError as exc:
        _fail(str(exc))


@main.command()
def plugins() -> None:
    """List installed plugins and adapters with their versions."""
    from hearth.registry import load_adapters, load_plugins

    found = load_plugins()
    click.echo("plugins:")
    for name in found.names:
        click.echo(f"  {name:<12} {found.versions.get(name, '?')}")
    for name, problem in found.broken.items():
        click.echo(f"  {name:<12} BROKEN: {problem}")
    click.echo("adapters:")
    for name, info in load_adapters().items():
        click.echo(f"  {name:<12} {info.version}")


if __name__ == "__main__":
    main()
