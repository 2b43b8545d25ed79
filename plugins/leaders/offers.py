"""Offers of leadership: proposed, approved by the owner, then accepted by the person.

One row per person asked (``leaders_offers``): ``state`` is ``proposed``
(waiting for the owner), ``approved`` (waiting for the person) or
``declined`` (kept, so a review does not propose them again; the owner may
still approve them). Accepting removes the row.
"""

from __future__ import annotations

from hearth import CommunityStore, Store

PROPOSED, APPROVED, DECLINED = "proposed", "approved", "declined"


async def upgrade_v1(store: Store) -> None:
    offers = store.table("offers")
    await store.execute(
        f"CREATE TABLE {offers} (community TEXT NOT NULL, person BIGINT NOT NULL,"
        " state TEXT NOT NULL, at_ms BIGINT NOT NULL, PRIMARY KEY (community, person))"
    )


async def pending(store: CommunityStore) -> dict[int, str]:
    """Person id -> state of every offer (declined ones included)."""
    return {int(r["person"]): str(r["state"]) for r in await store.select("offers", order_by="person")}


async def offer(store: CommunityStore, person: int, state: str, at_ms: int, *, replace: bool) -> None:
    """Record an offer (``replace``: also move an existing one to ``state``)."""
    await store.insert("offers", {"person": person, "state": state, "at_ms": at_ms},
                       on_conflict=("person",), update=("state", "at_ms") if replace else None)


async def state(store: CommunityStore, person: int) -> str | None:
    row = await store.select_one("offers", "person = ?", (person,))
    return None if row is None else str(row["state"])


async def close(store: CommunityStore, person: int) -> None:
    await store.delete("offers", "person = ?", (person,))
