"""The gateway: v10 JSON over websocket, optional zlib-stream/zstd-stream transport compression.

A :class:`Session` outlives its websocket: dispatches to a detached session are buffered and
replayed on RESUME, like Discord. Dispatching is synchronous (it only queues frames), so a test
can change the world and know every live session has been handed the event in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import WSMsgType, web

from .payloads import current_user_payload, gateway_guild_payload, member_payload
from .recorder import Recorder
from .state import PRIVILEGED_INTENTS, Application, SimState

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MODERATION = 1 << 2
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15

_REPLAY_BUFFER = 1000
_CLIENT_CLOSES_ENDING_SESSION = (1000, 1001)


class GatewayEvent(NamedTuple):
    """A gateway milestone for tests: identify, resume (detail: events replayed), invalid_session, closed."""

    application_id: str
    kind: str
    detail: Any = None


def _encoder_for(compress: str | None) -> Callable[[str], str | bytes] | None:
    """One encoder per connection (the compression context spans the whole stream); None = unsupported."""
    if compress is None:
        return lambda text: text
    if compress == "zlib-stream":
        compressor = zlib.compressobj()
        return lambda text: compressor.compress(text.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH)
    if compress == "zstd-stream":
        return _zstd_encoder()
    return None


def _zstd_encoder() -> Callable[[str], str | bytes] | None:
    try:
        import zstandard
    except ImportError:
        return None
    stream = zstandard.ZstdCompressor().compressobj()
    return lambda text: stream.compress(text.encode()) + stream.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)


@dataclass
class _Close:
    code: int
    reason: str


class Connection:
    """One websocket; a writer task sends queued payloads in order, encoded for this stream."""

    def __init__(self, ws: web.WebSocketResponse, encode: Callable[[str], str | bytes]) -> None:
        self.ws = ws
        self.session: Session | None = None
        self.closed_by_server = False
        self.closed = asyncio.Event()
        self._encode = encode
        self._outbox: asyncio.Queue[dict[str, Any] | _Close] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_forever())

    def send(self, payload: dict[str, Any]) -> None:
        self._outbox.put_nowait(payload)

    def close_soon(self, code: int, reason: str = "") -> None:
        """Closes after everything queued so far has been sent."""
        self.closed_by_server = True
        self._outbox.put_nowait(_Close(code, reason))

    async def stop_writer(self) -> None:
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer

    async def _write_forever(self) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            while True:
                item = await self._outbox.get()
                if isinstance(item, _Close):
                    await self.ws.close(code=item.code, message=item.reason.encode())
                    return
                frame = self._encode(json.dumps(item, separators=(",", ":")))
                if isinstance(frame, bytes):
                    await self.ws.send_bytes(frame)
                else:
                    await self.ws.send_str(frame)


@dataclass
class Session:
    id: str
    app: Application
    shard: list[int] | None
    intents: int
    seq: int = 0
    buffer: deque[tuple[int, dict[str, Any]]] = field(default_factory=lambda: deque(maxlen=_REPLAY_BUFFER))
    connection: Connection | None = None

    @property
    def shard_id(self) -> int:
        return self.shard[0] if self.shard else 0

    @property
    def shard_count(self) -> int:
        return self.shard[1] if self.shard else 1

    def handles_guild(self, guild_id: str) -> bool:
        return (int(guild_id) >> 22) % self.shard_count == self.shard_id

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self.seq += 1
        payload = {"op": 0, "t": event, "s": self.seq, "d": data}
        self.buffer.append((self.seq, payload))
        if self.connection is not None:
            self.connection.send(payload)


class GatewayHub:
    """Accepts gateway connections and routes dispatches to the sessions that should see them."""

    def __init__(self, state: SimState, recorder: Recorder, heartbeat_interval_ms: int) -> None:
        self.state = state
        self.recorder = recorder
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.gateway_url = ""  # set by the server once it knows its port; used as resume_gateway_url
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.events: list[GatewayEvent] = []

    # --- queries --------------------------------------------------------------------------

    def live_sessions(self, application_id: str) -> list[Session]:
        return [s for s in self.sessions.values() if s.app.id == application_id and s.connection is not None]

    # --- dispatching ----------------------------------------------------------------------

    def dispatch(
        self,
        application_ids: Iterable[str],
        guild_id: str | None,
        event: str,
        data: dict[str, Any] | Callable[[Session], dict[str, Any] | None],
        *,
        intent: int | None = None,
    ) -> None:
        """Dispatches to every session (live or awaiting RESUME) of these apps on the guild's shard.

        ``data`` may be a function of the session, returning the payload that session sees (or None
        to skip it), for events whose content depends on the session's intents.
        """
        wanted = set(application_ids)
        for session in list(self.sessions.values()):
            if session.app.id not in wanted:
                continue
            # Discord sends events outside guilds (DMs) to shard 0 only.
            if (session.shard_id != 0) if guild_id is None else not session.handles_guild(guild_id):
                continue
            if intent is not None and not session.intents & intent:
                continue
            payload = data(session) if callable(data) else data
            if payload is not None:
                session.dispatch(event, payload)

    def dispatch_guild_create(self, application_id: str, guild_id: str) -> None:
        guild = self.state.guilds[guild_id]
        app = self.state.applications[application_id]
        payload = gateway_guild_payload(guild, guild.members.get(app.bot.id), newly_joined=True)
        self.dispatch([application_id], guild_id, "GUILD_CREATE", payload)

    # --- connections ----------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False, max_msg_size=0)
        await ws.prepare(request)
        encode = _encoder_for(request.query.get("compress"))
        if (
            request.query.get("v", "10") != "10"
            or request.query.get("encoding", "json") != "json"
            or not encode
        ):
            await ws.close(code=4012, message=b"Invalid API version or unsupported encoding/compression.")
            return ws
        connection = Connection(ws, encode)
        self.connections.add(connection)
        connection.send(
            {"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
        )
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    self._on_text(connection, message.data)
                elif message.type is WSMsgType.BINARY:
                    connection.close_soon(4002, "Decode error.")
        finally:
            await self._on_closed(connection)
        return ws

    async def disconnect(self, application_id: str, code: int = 4000, *, invalidate: bool = False) -> int:
        """Detaches the app's live sessions at once and closes their sockets with ``code``.

        Returns the number of sockets closed. Events dispatched from now on are buffered for RESUME
        (unless ``invalidate``, which forgets the sessions so a RESUME gets INVALID_SESSION). Does not
        wait for the client, so a test can change the world before the bot reconnects.
        """
        sessions = self.live_sessions(application_id)
        for session in sessions:
            connection = session.connection
            assert connection is not None
            session.connection = None
            connection.session = None
            connection.close_soon(code, "Simulated disconnect.")
            if invalidate:
                self.sessions.pop(session.id, None)
        self.recorder.notify()
        return len(sessions)

    async def close_all(self) -> None:
        for connection in list(self.connections):
            connection.close_soon(1001, "Simulator stopping.")
        for connection in list(self.connections):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(connection.closed.wait(), 2.0)

    async def _on_closed(self, connection: Connection) -> None:
        self.connections.discard(connection)
        await connection.stop_writer()
        session = connection.session
        if session is not None and session.connection is connection:
            session.connection = None
            code = connection.ws.close_code
            if not connection.closed_by_server and code in _CLIENT_CLOSES_ENDING_SESSION:
                self.sessions.pop(session.id, None)
            self.events.append(GatewayEvent(session.app.id, "closed", code))
        connection.closed.set()
        self.recorder.notify()

    # --- opcodes --------------------------------------------------------------------------

    def _on_text(self, connection: Connection, text: str) -> None:
        try:
            payload = json.loads(text)
            op, data = payload["op"], payload.get("d")
        except (ValueError, KeyError, TypeError):
            connection.close_soon(4002, "Error while decoding payload.")
            return
        if op in (2, 6, 8) and not isinstance(data, dict):
            connection.close_soon(4002, "Error while decoding payload.")
            return
        if op == 1:
            connection.send({"op": 11, "s": None, "t": None, "d": None})
        elif op == 2:
            self._identify(connection, data)
        elif op == 6:
            self._resume(connection, data)
        elif connection.session is None:
            connection.close_soon(4003, "Not authenticated.")
        elif op == 8:
            self._send_member_chunk(connection.session, data)
        elif op not in (3, 4):  # presence and voice state updates are accepted and ignored
            connection.close_soon(4001, "Unknown opcode.")

    def _identify(self, connection: Connection, data: dict[str, Any]) -> None:
        if connection.session is not None:
            connection.close_soon(4005, "Already authenticated.")
            return
        app = self.state.application_by_token(str(data.get("token", "")))
        if app is None:
            connection.close_soon(4004, "Authentication failed.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0:
            connection.close_soon(4013, "Invalid intent(s).")
            return
        if intents & PRIVILEGED_INTENTS & ~app.privileged_intents:
            connection.close_soon(4014, "Disallowed intent(s).")
            return
        shard = data.get("shard")
        if shard is not None and not _valid_shard(shard):
            connection.close_soon(4010, "Invalid shard.")
            return
        session = Session(id=secrets.token_hex(16), app=app, shard=shard, intents=intents)
        self.sessions[session.id] = session
        session.connection = connection
        connection.session = session
        guilds = [g for g in self.state.guilds_of(app) if session.handles_guild(g.id)]
        session.dispatch("READY", self._ready_payload(session, [g.id for g in guilds]))
        for guild in guilds:
            session.dispatch("GUILD_CREATE", gateway_guild_payload(guild, guild.members.get(app.bot.id)))
        self.events.append(GatewayEvent(app.id, "identify", session.shard))
        self.recorder.notify()

    def _ready_payload(self, session: Session, guild_ids: list[str]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "v": 10,
            "user": current_user_payload(session.app.bot),
            "guilds": [{"id": guild_id, "unavailable": True} for guild_id in guild_ids],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": session.app.id, "flags": session.app.flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ['["guildmind-discord-simulator"]'],
        }
        if session.shard is not None:
            payload["shard"] = list(session.shard)
        return payload

    def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        last_seq = data.get("seq") or 0
        if session is None or session.app.token != data.get("token") or not _can_replay(session, last_seq):
            connection.send({"op": 9, "s": None, "t": None, "d": False})
            app_id = session.app.id if session else ""
            self.events.append(GatewayEvent(app_id, "invalid_session"))
            self.recorder.notify()
            return
        if session.connection is not None:  # a stale socket still holds the session: take it over
            session.connection.session = None
            session.connection.close_soon(4009, "Session taken over.")
        session.connection = connection
        connection.session = session
        replay = [payload for seq, payload in session.buffer if seq > last_seq]
        for payload in replay:
            connection.send(payload)
        session.dispatch("RESUMED", {"_trace": ['["guildmind-discord-simulator"]']})
        self.events.append(GatewayEvent(session.app.id, "resume", len(replay)))
        self.recorder.notify()

    def _send_member_chunk(self, session: Session, data: dict[str, Any]) -> None:
        guild = self.state.guilds.get(str(data.get("guild_id")))
        if guild is None or session.app.id not in guild.application_ids:
            return
        members = list(guild.members.values())
        if data.get("user_ids"):
            wanted = {str(u) for u in data["user_ids"]}
            members = [m for m in members if m.id in wanted]
        elif data.get("query"):
            members = [m for m in members if m.user.username.lower().startswith(str(data["query"]).lower())]
        chunk = {
            "guild_id": guild.id,
            "members": [member_payload(m) for m in members[: data.get("limit") or None]],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        session.dispatch("GUILD_MEMBERS_CHUNK", chunk)


def _valid_shard(shard: Any) -> bool:
    return (
        isinstance(shard, list)
        and len(shard) == 2
        and all(isinstance(n, int) for n in shard)
        and 0 <= shard[0] < shard[1]
    )


def _can_replay(session: Session, last_seq: int) -> bool:
    """False when events the client missed have already left the replay buffer."""
    return not session.buffer or session.buffer[0][0] <= last_seq + 1
