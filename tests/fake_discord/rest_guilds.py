"""REST routes for guilds, roles, members and bans."""

from __future__ import annotations

from aiohttp import web

from .rest import (
    ApiError,
    RouteBase,
    json_response,
    no_content,
    parse_overwrites,
    snowflake_param,
)
from .state import (
    ADMINISTRATOR,
    GUILD_CATEGORY,
    GUILD_TEXT,
    LimitError,
)


class GuildRoutes(RouteBase):
    """Guild routes."""

    # -- guilds --------------------------------------------------------------------------

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        data = guild.to_payload()
        if request.query.get("with_counts") in ("true", "1", "True"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return json_response(data)

    async def list_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response([c.to_payload() for c in guild.channels.values()])

    async def create_channel(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        body = self._body(request)
        kind = int(body.get("type") or GUILD_TEXT)
        if kind not in (GUILD_TEXT, GUILD_CATEGORY):
            raise ApiError(400, 50035, f"Invalid Form Body (fake supports types 0 and 4, not {kind})")
        if not body.get("name"):
            raise ApiError(400, 50035, "Invalid Form Body (name: required)")
        parent = body.get("parent_id")
        try:
            guild.check_room(None if parent is None else int(parent))
        except LimitError as exc:
            raise ApiError(400, exc.code, exc.message) from exc
        channel = guild.add_channel(
            str(body["name"]),
            type=kind,
            category=None if parent is None else int(parent),
            overwrites=list(parse_overwrites(body.get("permission_overwrites") or []).values()),
            topic=body.get("topic"),
            position=body.get("position"),
        )
        channel.nsfw = bool(body.get("nsfw", False))
        self.events.channel("CHANNEL_CREATE", channel)
        return json_response(channel.to_payload(), 201)

    async def list_roles(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response([r.to_payload() for r in guild.roles.values()])

    async def create_role(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        body = self._body(request)
        role = guild.add_role(
            str(body.get("name") or "new role"),
            int(body.get("permissions") or guild.everyone.permissions),
            color=int(body.get("color") or 0),
            hoist=bool(body.get("hoist", False)),
            mentionable=bool(body.get("mentionable", False)),
            position=1,
        )
        for other in guild.roles.values():  # new roles go just above @everyone
            if other.id not in (role.id, guild.id) and other.position >= 1:
                other.position += 1
        self.events.role("GUILD_ROLE_CREATE", guild, role)
        return json_response(role.to_payload())

    async def edit_role(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        role = guild.roles.get(snowflake_param(request, "role_id"))
        if role is None:
            raise ApiError(404, 10011, "Unknown Role")
        body = self._body(request)
        for key in ("name", "color", "hoist", "mentionable"):
            if key in body and body[key] is not None:
                setattr(role, key, body[key])
        if body.get("permissions") is not None:
            role.permissions = int(body["permissions"])
        self.events.role("GUILD_ROLE_UPDATE", guild, role)
        return json_response(role.to_payload())

    async def delete_role(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        role = guild.roles.pop(snowflake_param(request, "role_id"), None)
        if role is None:
            raise ApiError(404, 10011, "Unknown Role")
        for member in guild.members.values():
            if role.id in member.roles:
                member.roles.remove(role.id)
        self.events.role("GUILD_ROLE_DELETE", guild, role)
        return no_content()

    async def list_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        limit = max(1, min(1000, int(request.query.get("limit", 1))))
        after = int(request.query.get("after", 0))
        members = sorted((m for m in guild.members.values() if m.user.id > after),
                         key=lambda m: m.user.id)[:limit]
        return json_response([m.to_payload() for m in members])

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response(self._member(request, guild).to_payload())

    async def edit_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        member = self._member(request, guild)
        body = self._body(request)
        if "communication_disabled_until" in body:
            if body["communication_disabled_until"] and (
                self.state.permissions(guild, member.user.id) & ADMINISTRATOR
            ):
                raise ApiError(403, 50013, "Missing Permissions")
            member.communication_disabled_until = body["communication_disabled_until"]
        if "roles" in body:
            role_ids = [int(r) for r in body["roles"] or []]
            if any(r not in guild.roles for r in role_ids):
                raise ApiError(400, 50035, "Invalid Form Body (roles: unknown role)")
            member.roles = [r for r in role_ids if r != guild.id]
        if "nick" in body:
            member.nick = body["nick"] or None
        if "flags" in body:
            member.flags = int(body["flags"] or 0)
        self.events.member_update(member)
        return json_response(member.to_payload())

    async def add_member_role(self, request: web.Request) -> web.Response:
        return self._member_role(request, add=True)

    async def remove_member_role(self, request: web.Request) -> web.Response:
        return self._member_role(request, add=False)

    def _member_role(self, request: web.Request, *, add: bool) -> web.Response:
        guild = self._guild(request)
        member = self._member(request, guild)
        role_id = snowflake_param(request, "role_id")
        if role_id not in guild.roles:
            raise ApiError(404, 10011, "Unknown Role")
        if add and role_id not in member.roles:
            member.roles.append(role_id)
            self.events.member_update(member)
        elif not add and role_id in member.roles:
            member.roles.remove(role_id)
            self.events.member_update(member)
        return no_content()

    async def kick(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        member = self._member(request, guild)
        del guild.members[member.user.id]
        self.events.member_remove(guild, member.user)
        return no_content()

    async def list_bans(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response([
            {"reason": reason, "user": self.state.users[uid].to_payload()}
            for uid, reason in guild.bans.items()
        ])

    async def get_ban(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        uid = snowflake_param(request, "user_id")
        if uid not in guild.bans:
            raise ApiError(404, 10026, "Unknown Ban")
        return json_response({"reason": guild.bans[uid],
                              "user": self.state.users[uid].to_payload()})

    async def ban(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        user = self._user(snowflake_param(request, "user_id"))
        guild.bans[user.id] = request.headers.get("X-Audit-Log-Reason")
        if user.id in guild.members:
            del guild.members[user.id]
            self.events.member_remove(guild, user)
        self.events.ban(guild, user, add=True)
        return no_content()

    async def unban(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        user = self._user(snowflake_param(request, "user_id"))
        if guild.bans.pop(user.id, "missing") == "missing":
            raise ApiError(404, 10026, "Unknown Ban")
        self.events.ban(guild, user, add=False)
        return no_content()
