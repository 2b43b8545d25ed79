"""Every plugin scenario (a test using ``hearth_bot``) runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest


@pytest.fixture
def hearth_storage(storage_url: str) -> str:
    return storage_url
