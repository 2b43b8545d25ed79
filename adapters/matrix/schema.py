"""The Matrix parts of the config: ``accounts.matrix`` and ``communities.X.matrix``."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


class PowerLevels(BaseModel):
    """Neutral roles -> Matrix power levels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    owner: int = 100
    admin: int = 100
    leader: int = 50
    member: int = 0
    newcomer: int = 0


class MatrixAccount(BaseModel):
    """``accounts.matrix``: homeserver, bot user and an access token or password."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    homeserver: str
    user_id: str = Field(pattern=r"^@[^:]+:.+$")
    access_token: SecretStr | None = None
    password: SecretStr | None = None
    device_id: str | None = None
    power_levels: PowerLevels = PowerLevels()
    admin_api: bool = False

    @field_validator("homeserver")
    @classmethod
    def _url(cls, value: str) -> str:
        try:
            parts = urlsplit(value.strip())
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected the homeserver's URL, such as https://matrix.example.org")
        return value.strip()

    @model_validator(mode="after")
    def _credentials(self) -> MatrixAccount:
        token = self.access_token.get_secret_value() if self.access_token else ""
        password = self.password.get_secret_value() if self.password else ""
        if not token and not password:
            raise ValueError("give access_token or password (from the environment, e.g. ${MATRIX_TOKEN})")
        return self


class MatrixBinding(BaseModel):
    """``communities.X.matrix``: a space, or a list of rooms."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # room version 12 ids have no ":server" part
    space: str | None = Field(None, pattern=r"^!.+$")
    rooms: list[str] = []

    @model_validator(mode="after")
    def _one(self) -> MatrixBinding:
        if not self.space and not self.rooms:
            raise ValueError("give a space (\"!id:server\" or \"!id\") or rooms: [...]")
        return self
