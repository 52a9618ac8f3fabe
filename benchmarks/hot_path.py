"""Gateway hot path: what our code costs on a message that needs no AI, compared with
what discord.py itself spends parsing the same MESSAGE_CREATE, measured in one run.

A message that mentions nobody, in a server in @mention mode with moderation off, must
cost at most 0.5x discord.py's parsing and make zero database queries.
"""

from __future__ import annotations

import time
from typing import Any

GUILD_ID, CHANNEL_ID, BOT_ID = 111111111111111111, 222222222222222222, 333333333333333333


def _guild_payload() -> dict[str, Any]:
    return {
        "id": str(GUILD_ID),
        "name": "Bench",
        "owner_id": "1",
        "roles": [{"id": str(GUILD_ID), "name": "@everyone", "permissions": "1024", "position": 0}],
        "channels": [{"id": str(CHANNEL_ID), "type": 0, "name": "general", "position": 0}],
        "members": [],
        "member_count": 1000,
        "features": [],
        "emojis": [],
        "stickers": [],
    }


def _message_payload(i: int) -> dict[str, Any]:
    return {
        "id": str(400000000000000000 + i),
        "channel_id": str(CHANNEL_ID),
        "guild_id": str(GUILD_ID),
        "author": {
            "id": "5555",
            "username": "mia",
            "discriminator": "0",
            "global_name": "Mia",
            "avatar": None,
        },
        "member": {
            "roles": [],
            "joined_at": "2025-01-01T00:00:00+00:00",
            "nick": None,
            "deaf": False,
            "mute": False,
        },
        "content": "has anyone tried the new release yet? it looks great",
        "timestamp": "2026-11-24T12:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
    }


def main(n: int = 20000) -> dict[str, float]:
    from discord.user import ClientUser
    from django.db import connection

    from integrations.discordbot.gateway import GuildmindBot
    from integrations.discordbot.servers import ServerDirectory
    from moderation.decision import ModerationSettings
    from pipeline.messages import Pipeline
    from pipeline.servers import ServerSettings

    servers = ServerDirectory()
    servers.by_guild[GUILD_ID] = ServerSettings(
        guild_id=GUILD_ID,
        workspace_id=1,
        application_id="1",
        name="Bench",
        connected=True,
        response_mode="mention",
        smart_mode=True,
        channel_awareness=False,
        channel_ids=frozenset(),
        moderation=ModerationSettings(
            enabled=False,
            rules="",
            delete=False,
            warn=False,
            timeout=False,
            kick=False,
            ban=False,
            dry_run=False,
        ),
        source="discord",
    )
    bot = GuildmindBot(pipeline=Pipeline(servers), application_id="1")
    state = bot._connection
    state.user = ClientUser(
        state=state,
        data={"id": str(BOT_ID), "username": "guildmind", "discriminator": "0", "avatar": None, "bot": True},  # type: ignore[typeddict-item]
    )
    state._add_guild_from_data(_guild_payload())  # type: ignore[arg-type]
    parsed: list[Any] = []
    state.dispatch = lambda event, *args: parsed.append(args[0]) if event == "message" else None  # type: ignore[method-assign]
    payloads = [_message_payload(i) for i in range(n)]

    start = time.perf_counter()
    for payload in payloads:
        state.parse_message_create(payload)  # type: ignore[arg-type]
    parse_seconds = time.perf_counter() - start

    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        start = time.perf_counter()
        for message in parsed:
            coroutine = bot.on_message(message)
            try:
                coroutine.send(None)
            except StopIteration:
                pass
            else:  # pragma: no cover - the hot path must never suspend
                raise AssertionError("on_message suspended on a message that needs no work")
        ours_seconds = time.perf_counter() - start
    assert not bot._tasks, "the hot path scheduled work"

    return {
        "parse_us": parse_seconds / n * 1e6,
        "ours_us": ours_seconds / n * 1e6,
        "ratio": ours_seconds / parse_seconds,
        "queries": float(len(queries)),
    }
