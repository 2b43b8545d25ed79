"""The Matrix adapter (being built: see the issue tracker)."""

from __future__ import annotations

from hearth.errors import StartupError
from hearth.ports import Adapter, AdapterHost

from hearth.adapters.matrix.schema import MatrixAccount, MatrixBinding


class MatrixAdapter(Adapter):
    """Hearth on Matrix."""

    name = "matrix"
    account_schema = MatrixAccount
    binding_schema = MatrixBinding

    async def start(self, host: AdapterHost) -> None:
        raise StartupError("the matrix adapter is not available in this build yet")

    async def stop(self) -> None:
        return None
