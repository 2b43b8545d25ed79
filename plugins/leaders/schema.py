"""The leaders plugin's tables (``leaders_*``), oldest migration first.

``offers`` (v1, :mod:`.offers`); v2 adds ``cohorts`` (person -> their leader,
kept so cohorts stay stable), ``council`` (the people let into the council
channel), ``tasks`` (numbered per community), ``announcements`` (the pinned
announcement of each channel, unpinned by the next) and ``warnings`` (a
silent leader told, and when).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from hearth import Store
from hearth.plugins.leaders.offers import upgrade_v1


async def upgrade_v2(store: Store) -> None:
    t = store.table
    await store.execute(
        f"CREATE TABLE {t('cohorts')} (community TEXT NOT NULL, person BIGINT NOT NULL,"
        " leader BIGINT NOT NULL, PRIMARY KEY (community, person))")
    await store.execute(
        f"CREATE TABLE {t('council')} (community TEXT NOT NULL, person BIGINT NOT NULL,"
        " PRIMARY KEY (community, person))")
    await store.execute(
        f"CREATE TABLE {t('tasks')} (community TEXT NOT NULL, id INTEGER NOT NULL,"
        " text TEXT NOT NULL, by_person BIGINT NOT NULL, state TEXT NOT NULL,"
        " claimed_by BIGINT, created_ms BIGINT NOT NULL, claimed_ms BIGINT, done_ms BIGINT,"
        " PRIMARY KEY (community, id))")
    await store.execute(
        f"CREATE TABLE {t('announcements')} (community TEXT NOT NULL, platform TEXT NOT NULL,"
        " channel_id TEXT NOT NULL, message_id TEXT NOT NULL,"
        " PRIMARY KEY (community, platform, channel_id))")
    await store.execute(
        f"CREATE TABLE {t('warnings')} (community TEXT NOT NULL, person BIGINT NOT NULL,"
        " at_ms BIGINT NOT NULL, PRIMARY KEY (community, person))")


MIGRATIONS: Sequence[Callable[[Store], Awaitable[None]]] = (upgrade_v1, upgrade_v2)
