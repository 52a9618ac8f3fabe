"""``DiscordSimulator``: the test-facing API over a local Discord-compatible REST + gateway server.

Run it in the same event loop as the bot under test::

    sim = DiscordSimulator()
    await sim.start()
    configure_discord_endpoints(sim.api_base_url, sim.gateway_url)
    ...
    await sim.stop()
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp
from aiohttp import web

from . import control
from . import interactions as flows
from . import permissions as perms
from .actions import Backend
from .components import build_click
from .gateway import GUILDS, GatewayEvent, GatewayHub
from .interactions import LOADING, Options
from .messages import build_message
from .payloads import channel_payload
from .recorder import Call, Recorder
from .rest import build_app
from .sim_threads import ThreadsAPI
from .state import Application, Channel, Guild, Member, OAuthCode, Role, SimState, User, now_iso


class DiscordSimulator(ThreadsAPI):
    """A simulated Discord for one event loop: build a world (applications, guilds, members), act
    as members (messages, slash commands), steer the network (disconnects, injected failures) and
    observe what bots did (``messages``, ``calls``, ``audit_log``, ``wait_for_*``).

    ``state``, ``hub`` and ``recorder`` are exposed for assertions this API does not cover.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        heartbeat_interval_ms: int = 41250,
        control_key: str | None = None,
    ) -> None:
        """``control_key`` also serves the control API (``control.py``) to holders of that key."""
        self.host = host
        self.control_key = control_key
        self.port = port
        self.state = SimState()
        self.recorder = Recorder()
        self.hub = GatewayHub(self.state, self.recorder, heartbeat_interval_ms)
        self.backend = Backend(self.state, self.hub, self.recorder)
        self._runner: web.AppRunner | None = None
        self._returned_message_ids: set[str] = set()

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Listens on ``host:port`` (port 0 picks a free one); the URLs are valid from now on."""
        app = build_app(self.backend)
        if self.control_key:
            control.install(app, self, self.control_key)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, self.host, self.port).start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self.hub.gateway_url = self.gateway_url

    async def stop(self) -> None:
        """Closes every gateway socket (1001), then the server. Close bot clients first."""
        await self.hub.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def api_base_url(self) -> str:
        return f"http://{self.host}:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    # --- world building -------------------------------------------------------------------

    def add_application(
        self,
        application_id: str,
        bot_token: str,
        bot_name: str = "Guildmind",
        public_key: str | None = None,
        client_secret: str | None = None,
    ) -> Application:
        """Registers an app and its bot user (whose id is the application id). Without ``public_key``
        an Ed25519 key pair is generated, so :meth:`sign_interaction` can sign like Discord."""
        return self.state.create_application(
            str(application_id), bot_token, bot_name, public_key, client_secret
        )

    def add_guild(
        self,
        name: str,
        owner_name: str = "Owner",
        channels: Iterable[str] = ("general", "support"),
        bot_tokens: Iterable[str] = (),
        *,
        guild_id: str | None = None,
        bot_permissions: int = perms.BOT_DEFAULT,
    ) -> Guild:
        """A guild with an owner, text channels (``guild.channels`` by name), @everyone, and the bots
        of ``bot_tokens`` already in it (connected bots receive GUILD_CREATE)."""
        owner = self.state.create_user(owner_name)
        guild = self.state.create_guild(name, owner, guild_id=guild_id)
        for channel_name in channels:
            self.state.create_channel(guild, channel_name)
        for token in bot_tokens:
            app = self.state.application_by_token(token)
            if app is None:
                raise ValueError(f"no application has bot token {token!r}; call add_application first")
            self.backend.add_bot(guild.id, app.id, bot_permissions)
        return guild

    def add_member(
        self,
        guild_id: str,
        name: str,
        *,
        roles: Iterable[str] = (),
        bot: bool = False,
        administrator: bool = False,
    ) -> Member:
        """A new user joined to the guild. ``roles`` are role ids or names; ``administrator`` adds
        an "Administrator" role (created just above @everyone on first use)."""
        guild = self.state.guild(guild_id)
        user = self.state.create_user(name, bot=bot)
        role_ids = [self._role(guild, role).id for role in roles]
        if administrator:
            admin = guild.role_named("Administrator") or self.state.create_role(
                guild, "Administrator", perms.ADMINISTRATOR, 1
            )
            role_ids.append(admin.id)
        member = Member(user=user, role_ids=role_ids, joined_at=now_iso())
        guild.members[user.id] = member
        return member

    def add_role(self, guild_id: str, name: str, permissions: int, position: int) -> Role:
        """A role at ``position`` (1 = just above @everyone); roles at or above it move up one."""
        return self.state.create_role(self.state.guild(guild_id), name, permissions, position)

    def rename_channel(self, guild_id: str, channel_id: str, name: str) -> Channel:
        """Renames a channel; connected bots get CHANNEL_UPDATE."""
        guild = self.state.guild(guild_id)
        channel = guild.channel_by_id(str(channel_id))
        if channel is None:
            raise KeyError(channel_id)
        del guild.channels[channel.name]
        channel.name = name
        guild.channels[name] = channel
        self.hub.dispatch(
            guild.application_ids, guild.id, "CHANNEL_UPDATE", channel_payload(channel), intent=GUILDS
        )
        return channel

    def set_role_permissions(self, guild_id: str, role_id: str, permissions: int) -> None:
        self.state.guild(guild_id).roles[str(role_id)].permissions = permissions

    def set_bot_permissions(self, guild_id: str, application_id: str, permissions: int) -> None:
        """Sets the permissions of the bot's own managed role in the guild."""
        guild = self.state.guild(guild_id)
        bot_id = self.state.application(application_id).bot.id
        role = next(r for r in guild.roles.values() if r.bot_id == bot_id)
        role.permissions = permissions

    async def add_bot_to_guild(
        self, guild_id: str, application_id: str, *, permissions: int = perms.BOT_DEFAULT
    ) -> Role:
        """Adds the bot with a managed role on top of the role list; live sessions get GUILD_CREATE."""
        return self.backend.add_bot(str(guild_id), str(application_id), permissions)

    async def remove_bot_from_guild(self, guild_id: str, application_id: str) -> None:
        """Removes the bot; its sessions get GUILD_DELETE."""
        self.backend.remove_bot(str(guild_id), str(application_id))

    def issue_oauth_code(
        self,
        application_id: str,
        guild_id: str,
        redirect_uri: str,
        *,
        scope: str = "bot applications.commands",
        permissions: int = perms.BOT_DEFAULT,
    ) -> str:
        """What Discord does when an admin approves the install: with the ``bot`` scope the bot joins
        the guild at once; returns a single-use code for ``POST /oauth2/token``."""
        if "bot" in scope.split():
            self.backend.add_bot(str(guild_id), str(application_id), permissions)
        code = secrets.token_urlsafe(24)
        self.state.oauth_codes[code] = OAuthCode(
            code, str(application_id), str(guild_id), redirect_uri, scope
        )
        return code

    # --- members acting -------------------------------------------------------------------

    async def post_message(
        self,
        guild_id: str,
        channel_id: str,
        author_id: str,
        content: str,
        *,
        mention_bot_of: str | None = None,
        mention_everyone: bool = False,
        reply_to: str | None = None,
        attachments: Iterable[tuple[str, str]] = (),
    ) -> dict[str, Any]:
        """A member's message: stored and dispatched as MESSAGE_CREATE to the guild's bots that have
        the GUILD_MESSAGES intent (content hidden without MESSAGE_CONTENT unless they are mentioned).

        ``mention_bot_of`` prefixes ``<@bot id>`` for that application's bot; ``mention_everyone``
        prefixes ``@everyone``; ``reply_to`` makes it a reply to that message id in the channel;
        ``attachments`` are (file name, description) pairs of files the member uploaded.
        """
        guild = self.state.guild(guild_id)
        channel = guild.channel_by_id(str(channel_id))
        if channel is None:
            raise ValueError(f"channel {channel_id} is not in guild {guild_id}")
        author = self.state.member(guild, author_id).user
        if mention_everyone and "@everyone" not in content:
            content = f"@everyone {content}"
        if mention_bot_of is not None:
            content = f"<@{self.state.application(mention_bot_of).bot.id}> {content}"
        referenced = self.state.message(channel.id, reply_to) if reply_to is not None else None
        message = build_message(
            self.state,
            channel_id=channel.id,
            guild=guild,
            author=author,
            body={"content": content, "attachments": self._uploads(channel.id, attachments)},
            referenced=referenced,
        )
        message["mention_everyone"] = mention_everyone
        message["allowed_mentions"] = None  # members' clients send none
        self.backend.publish_message(message, by_bot=False)
        return message

    def _uploads(self, channel_id: str, files: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
        uploads = []
        for filename, description in files:
            attachment_id = self.state.snowflakes.next()
            uploads.append(
                {
                    "id": attachment_id,
                    "filename": filename,
                    "description": description or None,
                    "size": 1024,
                    "url": f"http://simulator.invalid/attachments/{channel_id}/{attachment_id}/{filename}",
                    "proxy_url": f"http://simulator.invalid/attachments/{channel_id}/{attachment_id}/{filename}",
                }
            )
        return uploads

    async def send_interaction(
        self,
        application_id: str,
        guild_id: str,
        channel_id: str,
        user_id: str,
        command_name: str,
        options: Options = None,
    ) -> dict[str, Any]:
        """Dispatches INTERACTION_CREATE (a slash command) to the app's session for that guild."""
        payload = self.build_interaction(application_id, guild_id, channel_id, user_id, command_name, options)
        self.hub.dispatch([str(application_id)], str(guild_id), "INTERACTION_CREATE", payload)
        return payload

    def build_interaction(
        self,
        application_id: str,
        guild_id: str,
        channel_id: str,
        user_id: str,
        command_name: str,
        options: Options = None,
    ) -> dict[str, Any]:
        """The INTERACTION_CREATE payload, registered (its token works) but not dispatched."""
        record = flows.build_interaction(
            self.backend,
            str(application_id),
            str(guild_id),
            str(channel_id),
            str(user_id),
            command_name,
            options,
        )
        return record.payload

    def build_click(self, message_id: str, user_id: str, custom_id: str) -> dict[str, Any]:
        """The MESSAGE_COMPONENT interaction of a member clicking a button of the bot's
        message, registered but not dispatched (deliver it with :meth:`deliver_interaction`)."""
        return build_click(self.backend, str(message_id), str(user_id), custom_id)

    async def click_button(self, message_id: str, user_id: str, custom_id: str) -> dict[str, Any]:
        """A member clicks a button: INTERACTION_CREATE (type 3) to the app's session for the guild."""
        payload = self.build_click(message_id, user_id, custom_id)
        self.hub.dispatch([payload["application_id"]], payload["guild_id"], "INTERACTION_CREATE", payload)
        return payload

    async def deliver_interaction(
        self, endpoint_url: str, interaction: dict[str, Any], *, timestamp: str | None = None
    ) -> tuple[int, Any]:
        """POST ``interaction`` to an Interactions Endpoint URL, signed, as Discord does; a 200
        response with a message or deferral is applied to the interaction like a callback.
        Returns the endpoint's status and parsed body."""
        body = json.dumps(interaction).encode()
        application_id, interaction_id = str(interaction["application_id"]), str(interaction["id"])
        headers = {
            **self.sign_interaction(application_id, body, timestamp or str(int(time.time()))),
            "Content-Type": "application/json",
            "User-Agent": "Discord-Interactions/1.0 (+https://discord.com)",
        }
        async with aiohttp.ClientSession() as session:
            async with session.post(endpoint_url, data=body, headers=headers) as response:
                status, text = response.status, await response.text()
        try:
            parsed: Any = json.loads(text)
        except ValueError:
            parsed = text
        record = self.state.interactions.get(interaction_id)
        answered = record is not None and bool(record.responses)  # a redelivery: Discord keeps the first
        if status == 200 and isinstance(parsed, dict) and parsed.get("type") in (4, 5) and not answered:
            flows.respond(
                self.backend, str(interaction["id"]), interaction["token"], parsed, with_response=False
            )
        return status, parsed

    def sign_interaction(self, application_id: str, body: bytes, timestamp: str) -> dict[str, str]:
        """The ``X-Signature-*`` headers Discord would send with ``body`` to the interactions endpoint."""
        app = self.state.application(application_id)
        if app.signing_key is None:
            raise ValueError("this application was given a public key; the simulator cannot sign for it")
        signature = app.signing_key.sign(timestamp.encode() + body).signature.hex()
        return {"X-Signature-Ed25519": signature, "X-Signature-Timestamp": timestamp}

    # --- gateway control ------------------------------------------------------------------

    async def disconnect(self, application_id: str, code: int = 4000, *, invalidate: bool = False) -> int:
        """Drops the app's gateway sockets (``code`` 4000 or 1001 invite a RESUME); events from now on
        are buffered and replayed on RESUME. ``invalidate`` forces a fresh IDENTIFY instead."""
        return await self.hub.disconnect(str(application_id), code, invalidate=invalidate)

    def connected(self, application_id: str, *, sessions: int = 1) -> bool:
        """True when at least ``sessions`` gateway sessions of the app have READY on a live socket."""
        return len(self.hub.live_sessions(str(application_id))) >= sessions

    async def wait_until_connected(
        self,
        application_id: str,
        timeout: float = 5.0,
        *,
        sessions: int = 1,
    ) -> None:
        await self.recorder.wait_until(
            lambda: True if self.connected(application_id, sessions=sessions) else None,
            timeout,
            f"{sessions} gateway session(s) of application {application_id}",
        )

    @property
    def gateway_events(self) -> list[GatewayEvent]:
        return self.hub.events

    def shards(self, application_id: str) -> list[list[int] | None]:
        """The ``shard`` each live session identified with (None for an unsharded client)."""
        return [s.shard for s in self.hub.live_sessions(str(application_id))]

    # --- observing ------------------------------------------------------------------------

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        """Messages in the channel, oldest first, without deleted ones (ephemeral ones included)."""
        return self.state.live_messages(str(channel_id))

    def message(self, message_id: str) -> dict[str, Any] | None:
        """Any message by id, deleted or not (see :meth:`is_deleted`)."""
        return self.state.messages_by_id.get(str(message_id))

    def is_deleted(self, message_id: str) -> bool:
        return str(message_id) in self.state.deleted_message_ids

    async def wait_for_message(
        self,
        channel_id: str,
        *,
        author_id: str | None = None,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """The oldest message a bot created through REST in the channel (replies, interaction
        responses, follow-ups) that matches and that no earlier call returned. Deferred responses
        count once edited. Raises TimeoutError."""

        def find() -> dict[str, Any] | None:
            for message in self.state.live_messages(str(channel_id)):
                if (
                    message["id"] in self.state.bot_message_ids
                    and message["id"] not in self._returned_message_ids
                    and not message["flags"] & LOADING
                    and (author_id is None or message["author"]["id"] == str(author_id))
                    and (predicate is None or predicate(message))
                ):
                    self._returned_message_ids.add(message["id"])
                    return message
            return None

        return await self.recorder.wait_until(find, timeout, f"a bot message in channel {channel_id}")

    @property
    def calls(self) -> list[Call]:
        """Every REST call received, in order: ``(method, path, json body, bot user id)``."""
        return self.recorder.calls

    @property
    def injected_failures(self) -> list[Call]:
        """The calls that :meth:`fail_next` answered with its injected status."""
        return self.recorder.injected_failures

    async def wait_for_call(
        self,
        method: str,
        path_regex: str,
        *,
        timeout: float = 5.0,
    ) -> Call:
        """The first recorded call (past or future) matching ``method`` and ``path_regex``."""
        pattern = re.compile(path_regex)

        def find() -> Call | None:
            return next(
                (c for c in self.recorder.calls if c.method == method.upper() and pattern.search(c.path)),
                None,
            )

        return await self.recorder.wait_until(find, timeout, f"{method} {path_regex}")

    def fail_next(
        self, method: str, path_regex: str, status: int, *, retry_after: float = 0.1, times: int = 1
    ) -> None:
        """The next ``times`` calls matching ``method`` and ``path_regex`` (``re.search`` on the path
        after ``/api/v10``) fail with ``status``: 429 with Discord's rate-limit body and headers, or
        any other status with a Discord error body."""
        self.recorder.add_failure(method, path_regex, status, retry_after, times)

    def audit_log(self, guild_id: str) -> list[dict[str, Any]]:
        """Moderation the bots did in the guild: action, target_id, user_id (bot), reason."""
        return [e for e in self.state.audit_log if e["guild_id"] == str(guild_id)]

    def interaction_responses(self, interaction_id: str) -> list[dict[str, Any]]:
        """The callback bodies the bot posted for the interaction, in order."""
        return self.state.interactions[str(interaction_id)].responses

    def member(self, guild_id: str, user_id: str) -> Member | None:
        return self.state.guild(guild_id).members.get(str(user_id))

    def user(self, user_id: str) -> User:
        return self.state.user(user_id)

    def _role(self, guild: Guild, id_or_name: str) -> Role:
        role = guild.roles.get(str(id_or_name)) or guild.role_named(str(id_or_name))
        if role is None:
            raise ValueError(f"guild {guild.id} has no role {id_or_name!r}")
        return role
