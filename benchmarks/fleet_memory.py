"""Gateway memory per 1,000 guilds: what grows with the guilds a gateway process connects.

Measured with tracemalloc (numpy's arrays included), each structure on its own, net of
what is freed again:

- the server directory (``integrations/discordbot/servers.py``): each guild's settings;
- discord.py's own guild cache: GUILD_CREATE payloads as the simulator builds them (the
  bot's intents: channels and roles, the bot alone among the members), parsed by the
  bot's ``ConnectionState``, plus what the bot keeps of each guild (facts, channel names);
- channel memory (``pipeline/channel_memory.py``): the last messages of each channel of
  servers with channel awareness or all-messages mode; bounded by
  ``CHANNEL_MEMORY_CHANNELS`` whatever the guilds;
- the knowledge index cache (``knowledge/search.py``): one index per workspace, a small
  FAQ each here; bounded by ``KNOWLEDGE_INDEX_CACHE_MB`` whatever the guilds.

It also shows that a process leasing a quarter of the shards holds only its quarter of
the servers (``ServerDirectory.own``).
"""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

APP_ID = "760000000000000001"
BOT_ID = APP_ID
SHARDS = 4
CHUNKS_PER_WORKSPACE = 10
MESSAGE = "has anyone got the export to work with the new version? mine stops half-way through the upload"
FAQ = (
    "Question {n} for workspace {w}: how do refunds, exports and team seats work on the {w}th plan? "
    "Refunds are paid back to the original card within five working days of the request; exports "
    "run every night and keep thirty days of history; a team seat can be moved to another member "
    "from the settings page at any time, and the change shows up on the next invoice. Ask support "
    "for anything else about order {n}."
)


def guild_id(n: int) -> int:
    """The ``n``-th guild's id, on shard ``n % SHARDS`` ((id >> 22) % count, Discord's rule)."""
    return (n << 22) + 7


def _traced(build: Callable[[], Any]) -> tuple[Any, int]:
    """What ``build`` returns and the bytes still allocated once it did (after a collection)."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    gc.collect()
    return kept, tracemalloc.get_traced_memory()[0] - before


def _create_rows(guilds: int, with_knowledge: int) -> list[int]:
    """One workspace per guild, the first ``with_knowledge`` with a small FAQ (embedded), and
    each workspace's server on the shared bot; returns the workspace ids."""
    from accounts.models import Workspace
    from integrations.discordbot.models import BotApplication, DiscordServer
    from knowledge.embedding import embed_chunks_for_storage
    from knowledge.models import Chunk, KnowledgeSource

    texts = [FAQ.format(n=n, w="x") for n in range(CHUNKS_PER_WORKSPACE)]
    model, vectors = embed_chunks_for_storage([("FAQ", "", text) for text in texts])
    app = BotApplication.objects.create(application_id=APP_ID, is_shared=True, bot_token="t")
    workspaces = Workspace.objects.bulk_create(Workspace(name=f"Team {n}") for n in range(guilds))
    sources = KnowledgeSource.objects.bulk_create(
        KnowledgeSource(workspace=w, kind="text", title="FAQ", status="ready")
        for w in workspaces[:with_knowledge]
    )
    Chunk.objects.bulk_create(
        (
            Chunk(
                source=source,
                workspace=source.workspace,
                ordinal=n,
                heading=f"Question {n}",
                text=FAQ.format(n=n, w=source.workspace.pk),
                embedding=vectors[n],
                embedding_model=model,
            )
            for source in sources
            for n in range(CHUNKS_PER_WORKSPACE)
        ),
        batch_size=2000,
    )
    DiscordServer.objects.bulk_create(
        (
            DiscordServer(
                guild_id=str(guild_id(n)),
                workspace=w,
                application=app,
                name=f"Guild {n}",
                channel_awareness=True,
            )
            for n, w in enumerate(workspaces)
        ),
        batch_size=2000,
    )
    return [w.pk for w in workspaces]


def _guild_payloads(guilds: int, channels: int, members: int) -> list[dict[str, Any]]:
    from devtools.discord_simulator.payloads import gateway_guild_payload
    from devtools.discord_simulator.state import Member, SimState, now_iso

    sim = SimState()
    bot = sim.create_user("Guildmind", bot=True, user_id=BOT_ID)
    payloads = []
    for n in range(guilds):
        guild = sim.create_guild(f"Guild {n}", sim.create_user(f"owner{n}"), guild_id=str(guild_id(n)))
        for c in range(channels):
            sim.create_channel(guild, f"channel-{c}")
        for m in range(members):
            user = sim.create_user(f"member{n}-{m}")
            guild.members[user.id] = Member(user=user, role_ids=[], joined_at=now_iso())
        guild.members[bot.id] = me = Member(user=bot, role_ids=[], joined_at=now_iso())
        payloads.append(gateway_guild_payload(guild, me))
    return payloads


def _discord_cache(payloads: list[dict[str, Any]]) -> Any:
    """The bot's client with every guild of ``payloads`` parsed and remembered as on arrival."""
    from discord.user import ClientUser

    import integrations.discordbot.gateway as gateway
    from integrations.discordbot.gateway import GuildmindBot
    from integrations.discordbot.servers import ServerDirectory
    from pipeline.messages import Pipeline

    bot = GuildmindBot(pipeline=Pipeline(ServerDirectory(scope={})), application_id=APP_ID)
    state = bot._connection
    state.user = ClientUser(
        state=state,
        data={"id": BOT_ID, "username": "Guildmind", "discriminator": "0", "avatar": None, "bot": True},  # type: ignore[typeddict-item]
    )

    async def remember_all() -> None:
        # What the bot keeps of a guild's arrival (its facts, its channel names); their
        # database writes are not what is measured.
        saved = gateway.async_db
        gateway.async_db = lambda function, executor=None: _no_write  # type: ignore[assignment,return-value]
        try:
            for guild in bot.guilds:
                await bot.record_facts(guild)
                await bot.record_channel_names(guild, [*guild.channels, *guild.threads])
        finally:
            gateway.async_db = saved

    for payload in payloads:
        state._add_guild_from_data(payload)  # type: ignore[arg-type]
    asyncio.run(remember_all())
    return bot


async def _no_write(*args: Any, **kwargs: Any) -> None:
    return None


def _channel_memory(guilds: int, channels: int) -> Any:
    """The channel memory after every channel of ``guilds`` spoke its fill, one channel
    after another, up to the bound (past it, the least recently active are forgotten)."""
    from django.conf import settings

    from pipeline.channel_memory import ChannelMemory, Seen

    memory = ChannelMemory(
        per_channel=settings.CHANNEL_MEMORY_MESSAGES, channels=settings.CHANNEL_MEMORY_CHANNELS
    )
    message_id = 1 << 40
    places = [(guild_id(n), c + 1) for n in range(guilds) for c in range(channels)]
    for guild, channel in places[: settings.CHANNEL_MEMORY_CHANNELS]:
        for _ in range(settings.CHANNEL_MEMORY_MESSAGES):
            message_id += 1
            # Distinct strings, as arriving messages are (no sharing between them).
            text = f"{MESSAGE} #{message_id}"
            memory.remember(guild, channel, Seen(message_id, 5000 + channel, f"member {channel}", text))
    return memory


def run(
    guilds: int = 1000,
    *,
    channels: int = 20,
    members: int = 50,
    indexes: int | None = None,
    bounded: bool = True,
) -> dict[str, float]:
    """Measure ``guilds`` guilds (``channels`` text channels and ``members`` members each),
    the knowledge indexes of ``indexes`` of their workspaces (default: all) and, with
    ``bounded``, the channel memory and the index cache. Requires Django set up. Figures in
    MB (10^6 bytes) for the whole ``guilds``."""
    from django.conf import settings

    from integrations.discordbot.servers import ServerDirectory, Shards
    from knowledge import search

    started = time.perf_counter()
    with_index = 0 if not bounded else guilds if indexes is None else indexes
    workspaces = _create_rows(guilds, with_index)
    payloads = _guild_payloads(guilds, channels, members)
    # Imports, compiled queries and other first-time costs are paid before measuring.
    _refreshed(ServerDirectory(scope={APP_ID: Shards(10**9, frozenset({0}))}))
    _discord_cache(payloads[:1])
    built = workspaces[:with_index]
    if built:
        search.current_index(built[0])
        search.invalidate(built[0])
    tracemalloc.start()
    try:
        every, directory_bytes = _traced(lambda: _refreshed(ServerDirectory()))
        quarter, quarter_bytes = _traced(
            lambda: _refreshed(ServerDirectory(scope={APP_ID: Shards(SHARDS, frozenset({0}))}))
        )
        bot, discord_bytes = _traced(lambda: _discord_cache(payloads))
        memory, memory_bytes = _traced(lambda: _channel_memory(guilds, channels) if bounded else [])
        _, index_bytes = _traced(lambda: [search.current_index(w) for w in built])
    finally:
        tracemalloc.stop()
    remembered = len(memory)
    result = {
        "guilds": float(guilds),
        "servers_held": float(len(every.by_guild)),
        "quarter_held": float(len(quarter.by_guild)),
        "directory_mb": directory_bytes / 1e6,
        "quarter_directory_mb": quarter_bytes / 1e6,
        "discord_mb": discord_bytes / 1e6,
        "discord_guilds": float(len(bot.guilds)),
        "channels_remembered": float(remembered),
        "channel_memory_mb": memory_bytes / 1e6,
        "channel_bytes_each": memory_bytes / max(remembered, 1),
        "channel_cap": float(settings.CHANNEL_MEMORY_CHANNELS),
        "indexes": float(len(built)),
        "index_mb": index_bytes / 1e6,
        "index_reported_mb": search.cached_bytes() / 1e6,
        "index_cap_mb": float(settings.KNOWLEDGE_INDEX_CACHE_MB),
        "seconds": time.perf_counter() - started,
    }
    for workspace_id in built:
        search.invalidate(workspace_id)
    _delete_rows(workspaces)
    return result


def _refreshed(directory: Any) -> Any:
    directory.refresh()
    return directory


def _delete_rows(workspaces: list[int]) -> None:
    from accounts.models import Workspace
    from integrations.discordbot.models import BotApplication, DiscordServer
    from knowledge.models import Chunk, KnowledgeSource

    DiscordServer.objects.filter(application__application_id=APP_ID).delete()
    BotApplication.objects.filter(application_id=APP_ID).delete()
    Chunk.objects.filter(workspace_id__in=workspaces).delete()
    KnowledgeSource.objects.filter(workspace_id__in=workspaces).delete()
    Workspace.objects.filter(pk__in=workspaces).delete()


def per_thousand(result: dict[str, float], name: str) -> float:
    return result[name] / result["guilds"] * 1000


def passed(results: list[dict[str, float]]) -> bool:
    """Everything held, a quarter of the shards holds a quarter (±10%) of the servers, and
    the directory and discord.py's cache grow linearly (±25% per guild across the runs)."""
    for result in results:
        share = result["quarter_held"] / result["servers_held"]
        if result["servers_held"] != result["guilds"] or not 0.225 <= share <= 0.275:
            return False
        if result["quarter_directory_mb"] > result["directory_mb"] * 0.35:
            return False
    for name in ("directory_mb", "discord_mb"):
        rates = [per_thousand(r, name) for r in results]
        if max(rates) > min(rates) * 1.25:
            return False
    return True


def print_result(results: list[dict[str, float]]) -> None:
    verdict = "ok" if passed(results) else "FAIL"
    first = results[0]
    rows = ", ".join(
        f"{r['guilds']:,.0f} guilds: directory {r['directory_mb']:.2f} MB, "
        f"discord.py {r['discord_mb']:.1f} MB"
        for r in results
    )
    print(
        f"[{verdict}] gateway memory per 1,000 guilds (20 channels, 50 members each): server directory "
        f"{per_thousand(first, 'directory_mb'):.2f} MB, discord.py's guild cache "
        f"{per_thousand(first, 'discord_mb'):.1f} MB ({rows}); a process leasing 1 of {SHARDS} shards "
        f"holds {first['quarter_held']:.0f} of {first['servers_held']:.0f} servers in "
        f"{first['quarter_directory_mb']:.2f} MB"
    )
    print(
        f"       channel memory {first['channel_bytes_each'] / 1000:.1f} kB per remembered channel "
        f"({first['channel_memory_mb']:.0f} MB at the bound of {first['channel_cap']:,.0f} channels, "
        f"CHANNEL_MEMORY_CHANNELS); knowledge indexes {first['index_mb'] / first['indexes'] * 1000:.0f} kB "
        f"per workspace of {CHUNKS_PER_WORKSPACE} passages ({first['index_mb']:.0f} MB for "
        f"{first['indexes']:,.0f}; bounded by KNOWLEDGE_INDEX_CACHE_MB={first['index_cap_mb']:.0f})"
    )
