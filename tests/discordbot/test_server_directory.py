"""A gateway process holds the settings of the guilds it connects only: the shards of the
shared application and the custom bots it has leases on. Guilds it gives away are
forgotten, with the knowledge indexes no remaining guild needs; guilds it takes over are
loaded on the next refresh."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from accounts.models import Workspace
from integrations.discordbot.models import BotApplication, DiscordServer
from integrations.discordbot.servers import ServerDirectory, Shards
from knowledge import search

pytestmark = pytest.mark.django_db

SHARED, CUSTOM = "100", "200"


def guild_on(shard: int, n: int, count: int = 2) -> str:
    """A guild id on ``shard`` of ``count`` ((id >> 22) % count, Discord's rule)."""
    return str(((n * count + shard) << 22) + 5)


@pytest.fixture
def servers(workspace: Any, other_workspace: Any) -> dict[str, list[str]]:
    shared = BotApplication.objects.create(application_id=SHARED, is_shared=True, bot_token="t")
    custom = BotApplication.objects.create(application_id=CUSTOM, workspace=other_workspace, bot_token="c")
    made: dict[str, list[str]] = {"shard0": [], "shard1": [], "custom": []}
    for n in range(3):
        for shard in (0, 1):
            guild = guild_on(shard, n)
            DiscordServer.objects.create(guild_id=guild, workspace=workspace, application=shared)
            made[f"shard{shard}"].append(guild)
        guild = str((9000 + n) << 22)
        DiscordServer.objects.create(guild_id=guild, workspace=other_workspace, application=custom)
        made["custom"].append(guild)
    return made


def held(directory: ServerDirectory) -> set[str]:
    return {str(g) for g in directory.by_guild}


def test_without_a_scope_it_holds_every_server(servers: dict[str, list[str]]) -> None:
    directory = ServerDirectory()
    assert directory.refresh() == 9
    assert held(directory) == {g for gs in servers.values() for g in gs}


def test_it_holds_only_the_guilds_of_the_shards_and_bots_it_owns(servers: dict[str, list[str]]) -> None:
    directory = ServerDirectory(scope={SHARED: Shards(2, frozenset({1}))})
    directory.refresh()
    assert held(directory) == set(servers["shard1"])


def test_an_empty_scope_holds_nothing(servers: dict[str, list[str]]) -> None:
    directory = ServerDirectory(scope={})
    assert directory.refresh() == 0
    assert directory.by_guild == {}


def test_taking_over_a_shard_and_a_bot_loads_their_guilds(servers: dict[str, list[str]]) -> None:
    directory = ServerDirectory(scope={SHARED: Shards(2, frozenset({0}))})
    directory.refresh()
    assert directory.own({SHARED: Shards(2, frozenset({0, 1})), CUSTOM: Shards(1, frozenset({0}))})
    directory.refresh()
    assert held(directory) == {g for gs in servers.values() for g in gs}


def test_giving_a_shard_away_forgets_its_guilds_and_unused_indexes(
    servers: dict[str, list[str]], workspace: Workspace, other_workspace: Workspace
) -> None:
    directory = ServerDirectory(scope={SHARED: Shards(2, frozenset({0})), CUSTOM: Shards(1, frozenset({0}))})
    directory.refresh()
    search.current_index(workspace.pk)
    search.current_index(other_workspace.pk)
    assert directory.own({SHARED: Shards(2, frozenset({0}))})
    assert held(directory) == set(servers["shard0"])
    assert other_workspace.pk not in search._cache  # no guild of it is left here
    assert workspace.pk in search._cache
    assert not directory.own({SHARED: Shards(2, frozenset({0}))})  # unchanged


def test_a_new_guild_on_another_shard_is_not_loaded(servers: dict[str, list[str]], workspace: Any) -> None:
    directory = ServerDirectory(scope={SHARED: Shards(2, frozenset({0}))})
    directory.refresh()
    shared = BotApplication.objects.get(application_id=SHARED)
    DiscordServer.objects.create(guild_id=guild_on(1, 7), workspace=workspace, application=shared)
    DiscordServer.objects.create(guild_id=guild_on(0, 7), workspace=workspace, application=shared)
    assert directory.refresh() == 1
    assert guild_on(0, 7) in held(directory)
    assert guild_on(1, 7) not in held(directory)


def test_a_guild_moved_to_a_bot_it_does_not_run_is_forgotten(servers: dict[str, list[str]]) -> None:
    directory = ServerDirectory(scope={SHARED: Shards(2, frozenset({0, 1}))})
    directory.refresh()
    moved = servers["shard0"][0]
    DiscordServer.objects.filter(guild_id=moved).update(
        application=BotApplication.objects.get(application_id=CUSTOM)
    )
    DiscordServer.objects.get(guild_id=moved).save()  # bumps updated_at
    directory.refresh()
    assert moved not in held(directory)


def test_a_row_committed_late_with_an_older_stamp_is_still_loaded(
    servers: dict[str, list[str]], workspace: Any
) -> None:
    directory = ServerDirectory()
    directory.refresh()
    shared = BotApplication.objects.get(application_id=SHARED)
    DiscordServer.objects.create(guild_id=guild_on(0, 8), workspace=workspace, application=shared)
    assert directory.refresh() == 1
    # Another process stamped this row a moment before the one just read, and committed it
    # only now.
    late = DiscordServer.objects.create(guild_id=guild_on(0, 9), workspace=workspace, application=shared)
    newest = DiscordServer.objects.get(guild_id=guild_on(0, 8)).updated_at
    DiscordServer.objects.filter(pk=late.pk).update(updated_at=newest - timedelta(seconds=2))

    assert directory.refresh() == 1  # the late row, not the unchanged ones read again
    assert guild_on(0, 9) in held(directory)
