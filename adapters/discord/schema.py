"""The Discord parts of the config: ``accounts.discord`` and ``communities.X.discord``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


class Shards(BaseModel):
    """Which shards this process runs: ``{count: 4, ids: [0, 1]}`` (fixed), or
    ``{count: 4, per_process: 2}`` (up to 2 free shards, claimed in the shared database)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    count: int = Field(1, ge=1)
    ids: list[int] | None = None
    per_process: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> Shards:
        if self.ids is not None and self.per_process is not None:
            raise ValueError("give either ids (fixed shards) or per_process (claimed), not both")
        if self.ids is not None:
            wrong = [i for i in self.ids if not 0 <= i < self.count]
            if wrong:
                raise ValueError(f"shard ids {wrong} are not below count {self.count}")
            if len(set(self.ids)) != len(self.ids) or not self.ids:
                raise ValueError("ids must name each shard once, and at least one")
        return self

    def of(self, guild_id: int) -> int:
        """The shard a guild's events come on (Discord's rule)."""
        return (guild_id >> 22) % self.count

    def key(self, shard_id: int) -> str:
        """The lease key of a shard in the shared database."""
        return f"discord shard {shard_id}/{self.count}"

    def claimable(self) -> list[int] | None:
        """The shard ids this process may claim; None: it runs every shard, unclaimed."""
        if self.per_process is not None:
            return list(range(self.count))
        return self.ids


class DiscordAccount(BaseModel):
    """``accounts.discord``: the bot token (from the environment) and connection options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token: SecretStr
    api_url: str = "https://discord.com/api/v10"
    shards: Shards | int | None = None
    application_id: str | None = None
    #: register the command registry as slash commands in each guild at start-up
    sync_commands: bool = True

    @field_validator("token")
    @classmethod
    def _not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("the bot token is empty (set it in the environment, e.g. ${DISCORD_TOKEN})")
        return value


class DiscordBinding(BaseModel):
    """``communities.X.discord``: the guild this community lives in.

    ``group_category`` / ``archive_category``: category ids for group channels and
    for archived ones; when unset the bot creates "Hearth groups" / "Hearth archive"
    and remembers them. A full category (50 channels) spills over into "… 2", "… 3".
    ``max_group_channels``: at most this many group channels open at once in the
    guild; one more is refused (and the admins told).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    guild: str
    group_category: str | None = None
    archive_category: str | None = None
    max_group_channels: int = Field(200, ge=1, le=500)

    @field_validator("guild", mode="before")
    @classmethod
    def _snowflake(cls, value: object) -> str:
        text = str(value)
        if not text.isdigit():
            raise ValueError(f"{value!r} is not a guild id (expected digits, e.g. \"123456789012345678\")")
        return text
