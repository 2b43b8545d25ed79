"""A real PostgreSQL for the tests, from PyPI (``pgserver`` ships the server; it runs as root too).

One server per session, its data in memory (``/dev/shm`` where there is one,
as the Synapse of the tests) and without fsync: a test database need not
survive a power cut. Each test gets a fresh schema of its own (the URL
carries ``search_path``), dropped afterwards. Where pgserver is not installed
or cannot start, the PostgreSQL tests are skipped with the reason.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_schemas = itertools.count(1)


@contextmanager
def server() -> Iterator[str]:
    """Start a throwaway PostgreSQL; yield its URL (a unix socket). ``RuntimeError`` when it cannot."""
    # pgserver's platformdirs warns (an error under this suite's filters) without it.
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="hearth-xdg-"))
    try:
        import pgserver
    except ImportError as exc:
        raise RuntimeError("pgserver is not installed (pip install pgserver)") from exc
    memory = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    data = tempfile.mkdtemp(prefix="hearth-pg-", dir=memory)
    try:
        pg = pgserver.get_server(data, cleanup_mode="stop")
        pg.psql("ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET full_page_writes = off;"
                " SELECT pg_reload_conf();")
    except Exception as exc:
        shutil.rmtree(data, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {exc}") from exc
    try:
        yield pg.get_uri()
    finally:
        pg.cleanup()
        shutil.rmtree(data, ignore_errors=True)


def with_schema(url: str, schema: str) -> str:
    """``url`` with every connection's ``search_path`` set to ``schema``."""
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query), ("search_path", schema)]
    return urlunsplit(parts._replace(query=urlencode(query)))


@asynccontextmanager
async def fresh_schema(url: str) -> AsyncIterator[str]:
    """A new empty schema on the server at ``url``; yield a URL that uses it."""
    import asyncpg

    name = f"test_{os.getpid()}_{next(_schemas)}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"CREATE SCHEMA {name}")
    finally:
        await conn.close()
    try:
        yield with_schema(url, name)
    finally:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(f"DROP SCHEMA {name} CASCADE")
        finally:
            await conn.close()
