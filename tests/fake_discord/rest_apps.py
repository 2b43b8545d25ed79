"""REST routes for the gateway URL, users, the application, commands and interactions."""

from __future__ import annotations

import time

from aiohttp import web

from .rest import (
    FLAG_LOADING,
    ApiError,
    RouteBase,
    json_response,
    no_content,
    snowflake_param,
)
from .state import (
    FLAG_EPHEMERAL,
    JSON,
    AppCommand,
    InteractionRecord,
    Message,
)


class AppRoutes(RouteBase):
    """User, application, command and interaction routes."""

    # -- users, app, gateway -------------------------------------------------------------

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self._gateway_url().rstrip("/")})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        return json_response({
            "url": self._gateway_url().rstrip("/"),
            "shards": self.state.recommended_shards,
            "session_start_limit": {
                "total": 1000, "remaining": self.state.session_starts_remaining,
                "reset_after": 14400000, "max_concurrency": self.state.max_concurrency,
            },
        })

    async def get_me(self, request: web.Request) -> web.Response:
        data = self.state.bot.to_payload()
        data.update(verified=True, mfa_enabled=False, email=None, locale="en-US")
        return json_response(data)

    async def get_user(self, request: web.Request) -> web.Response:
        return json_response(self._user(snowflake_param(request, "user_id")).to_payload())

    async def get_application(self, request: web.Request) -> web.Response:
        state = self.state
        return json_response({
            "id": str(state.application_id),
            "name": state.bot.username,
            "description": "Fake application for tests",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": state.owner.to_payload(),
            "verify_key": "0" * 64,
            "flags": self._app_flags(),
            "team": None,
            "summary": "",
            "bot": state.bot.to_payload(),
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(state.guilds),
            "integration_types_config": {"0": {}},
        })

    async def open_dm(self, request: web.Request) -> web.Response:
        try:
            recipient_id = int(self._body(request).get("recipient_id", 0))
        except (TypeError, ValueError):
            raise ApiError(400, 50035, "Invalid Form Body") from None
        user = self.state.users.get(recipient_id)
        if user is None:
            raise ApiError(400, 50035, "Invalid Form Body")
        return json_response(self.state.dm_with(user).to_payload())
    # -- application commands ------------------------------------------------------------

    def _command_table(self, request: web.Request) -> tuple[dict[str, AppCommand], int | None]:
        self._check_app(request)
        if "guild_id" not in request.match_info:
            return self.state.global_commands, None
        guild = self._guild(request)
        return self.state.guild_commands.setdefault(guild.id, {}), guild.id

    def _upsert(self, table: dict[str, AppCommand], guild_id: int | None, data: JSON
                ) -> AppCommand:
        name = str(data.get("name") or "")
        if not name:
            raise ApiError(400, 50035, "Invalid Form Body (name: required)")
        old = table.get(name)
        command = AppCommand(
            id=old.id if old else self.state.new_id(),
            application_id=self.state.application_id,
            name=name,
            data=dict(data),
            guild_id=guild_id,
            version=(old.version + 1) if old else 1,
        )
        table[name] = command
        return command

    async def list_commands(self, request: web.Request) -> web.Response:
        table, _ = self._command_table(request)
        return json_response([c.to_payload() for c in table.values()])

    async def put_commands(self, request: web.Request) -> web.Response:
        table, guild_id = self._command_table(request)
        body = self._raw_body(request)
        if not isinstance(body, list):
            raise ApiError(400, 50035, "Invalid Form Body (expected a list)")
        old = dict(table)
        table.clear()
        for data in body:
            if data.get("name") in old:
                table[data["name"]] = old[data["name"]]
            self._upsert(table, guild_id, data)
        return json_response([c.to_payload() for c in table.values()])

    async def upsert_command(self, request: web.Request) -> web.Response:
        table, guild_id = self._command_table(request)
        existed = self._body(request).get("name") in table
        command = self._upsert(table, guild_id, self._body(request))
        return json_response(command.to_payload(), 200 if existed else 201)

    async def delete_command(self, request: web.Request) -> web.Response:
        table, _ = self._command_table(request)
        command_id = snowflake_param(request, "command_id")
        for name, command in list(table.items()):
            if command.id == command_id:
                del table[name]
                return no_content()
        raise ApiError(404, 10063, "Unknown application command")

    # -- interactions & followup webhooks ------------------------------------------------

    async def interaction_callback(self, request: web.Request) -> web.Response:
        interaction = self.state.interactions.get(snowflake_param(request, "interaction_id"))
        if interaction is None or interaction.token != request.match_info["token"] or (
                time.monotonic() - interaction.created > self.state.interaction_ack_seconds):
            raise ApiError(404, 10062, "Unknown interaction")
        if interaction.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        body = self._body(request)
        interaction.callbacks.append(body)
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        message: Message | None = None
        if kind in (6, 7) and interaction.message_id is None:
            interaction.callbacks.pop()
            raise ApiError(400, 50035, "Invalid Form Body (type: only a message component's "
                                       "interaction can update its message)")
        if kind in (4, 5):
            message = self._interaction_message(interaction, data, loading=kind == 5)
        elif kind in (6, 7):  # DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE: the component's message
            message = self.state.messages[interaction.message_id]  # type: ignore[index]
            interaction.response_message_id = message.id
            if kind == 7:
                self._apply_edit(message, data)
        self.changed.notify()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return no_content()
        result: JSON = {
            "interaction": {
                "id": str(interaction.id),
                "type": interaction.type,
                "response_message_id": None if message is None else str(message.id),
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(int(data.get("flags") or 0) & FLAG_EPHEMERAL),
            },
        }
        if message is not None:
            result["resource"] = {"type": kind, "message": self.state.message_payload(message)}
        return json_response(result)

    def _interaction_message(self, interaction: InteractionRecord, data: JSON, *,
                             loading: bool) -> Message:
        channel = self.state.channel(interaction.channel_id)
        assert channel is not None
        flags = int(data.get("flags") or 0) & FLAG_EPHEMERAL
        message = self._bot_message(channel, data, extra_flags=flags | (FLAG_LOADING if loading
                                                                          else 0))
        message.webhook_id = self.state.application_id
        message.application_id = self.state.application_id
        message.type = 20
        message.interaction_metadata = {
            "id": str(interaction.id),
            "type": interaction.type,
            "user": interaction.user.to_payload(),
            "authorizing_integration_owners": {"0": str(interaction.guild_id or 0)},
            "name": interaction.payload.get("data", {}).get("name"),
        }
        interaction.response_message_id = message.id
        if not message.flags & FLAG_EPHEMERAL:
            self.events.message_create(message)
        return message

    def _interaction_by_token(self, request: web.Request) -> InteractionRecord:
        self._check_app(request)
        interaction = self.state.interactions_by_token.get(request.match_info["token"])
        if interaction is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        if time.monotonic() - interaction.created > self.state.interaction_token_seconds:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        return interaction

    def _webhook_message(self, request: web.Request, interaction: InteractionRecord) -> Message:
        raw = request.match_info["message_id"]
        message_id = interaction.response_message_id if raw == "@original" else int(raw)
        message = self.state.messages.get(message_id or 0)
        if message is None or message.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        return message

    async def followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request)
        body = self._body(request)
        interaction.followups.append(body)
        channel = self.state.channel(interaction.channel_id)
        assert channel is not None
        message = self._bot_message(channel, body,
                                    extra_flags=int(body.get("flags") or 0) & FLAG_EPHEMERAL)
        message.webhook_id = self.state.application_id
        message.application_id = self.state.application_id
        if not message.flags & FLAG_EPHEMERAL:
            self.events.message_create(message)
        self.changed.notify()
        if request.query.get("wait") in ("true", "1", "True"):
            return json_response(self.state.message_payload(message))
        return no_content()

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request)
        return json_response(self.state.message_payload(self._webhook_message(request,
                                                                              interaction)))

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request)
        message = self._webhook_message(request, interaction)
        interaction.edits.append(self._body(request))
        self._apply_edit(message, self._body(request))
        self.changed.notify()
        return json_response(self.state.message_payload(message))

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request)
        message = self._webhook_message(request, interaction)
        message.deleted = True
        if not message.flags & FLAG_EPHEMERAL:
            self.events.message_delete(message)
        return no_content()

