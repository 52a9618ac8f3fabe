"""A tiny run of the gateway memory benchmark (``benchmarks/fleet_memory.py``): its figures
are sane, and a process leasing a quarter of the shards holds only a quarter of the servers."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks import fleet_memory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def measured(django_db_setup: None, django_db_blocker: Any) -> dict[str, float]:
    with django_db_blocker.unblock():
        # It creates its rows and deletes them when done.
        return fleet_memory.run(20, channels=3, members=5)


def test_every_guild_is_held_and_parsed(measured: dict[str, float]) -> None:
    assert measured["servers_held"] == 20
    assert measured["discord_guilds"] == 20
    assert measured["indexes"] == 20
    assert measured["channels_remembered"] == 20 * 3


def test_a_process_leasing_a_quarter_of_the_shards_holds_a_quarter_of_the_servers(
    measured: dict[str, float],
) -> None:
    assert measured["quarter_held"] == 5
    assert 0 < measured["quarter_directory_mb"] < measured["directory_mb"] * 0.5


def test_the_figures_are_within_sane_bounds(measured: dict[str, float]) -> None:
    # A guild's settings cost a few hundred bytes to a few kB; discord.py's guild with its
    # channels and roles a few kB; a remembered channel of 20 messages a few kB.
    assert 100 < measured["directory_mb"] * 1e6 / 20 < 10_000
    assert 1_000 < measured["discord_mb"] * 1e6 / 20 < 100_000
    assert 1_000 < measured["channel_bytes_each"] < 50_000
    assert measured["index_mb"] > 0 and measured["index_reported_mb"] > 0


def test_only_a_quarter_held_and_linear_growth_pass() -> None:
    fine = {"guilds": 100.0, "servers_held": 100.0, "quarter_held": 25.0, "directory_mb": 1.0}
    fine |= {"quarter_directory_mb": 0.25, "discord_mb": 1.0}
    assert fleet_memory.passed([fine])
    assert not fleet_memory.passed([fine | {"quarter_held": 100.0}])
    assert not fleet_memory.passed(
        [fine, fine | {"guilds": 200.0, "servers_held": 200.0, "quarter_held": 50.0}]
    )
