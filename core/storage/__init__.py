"""Storage: one database interface, two backends, namespaced and community-scoped stores.

- :class:`Database` (``Database.open(url)``): ``sqlite:///FILE`` through
  aiosqlite (the embedded default) or ``postgresql://…`` through an asyncpg
  pool. ``execute``, ``executemany``, ``fetch``, ``fetchrow``, ``fetchval``
  (``INSERT … RETURNING id``) and ``transaction()``.
- SQL is written once for both (:mod:`hearth.storage.sql`): ``?``
  parameters, integer epoch milliseconds for times, ``id INTEGER PRIMARY
  KEY`` for an auto-numbered id, explicit ``ORDER BY``, ``LIKE … ESCAPE``.
- :class:`Store`: a namespace's tables over every community (migrations, core
  readers); :class:`CommunityStore` (``ctx.store``): a plugin's tables in one
  community, filled and filtered by ``community`` itself.
- Migrations are append-only ``async def upgrade_vN(store)`` functions, each
  applied once, in order, in its own transaction under the schema lock.
"""

from hearth.storage.base import Database, Migration, Row
from hearth.storage.schema import CORE_MIGRATIONS, ms, rebuild
from hearth.storage.sql import like_prefix
from hearth.storage.stores import SQL, CommunityStore, KeyValueStore, Store

__all__ = [
    "CORE_MIGRATIONS",
    "SQL",
    "CommunityStore",
    "Database",
    "KeyValueStore",
    "Migration",
    "Row",
    "Store",
    "like_prefix",
    "ms",
    "rebuild",
]
