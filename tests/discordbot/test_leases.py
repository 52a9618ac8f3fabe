"""The fleet's leases: each (application, shard) is held by one process, the units spread
evenly over the live processes, a join or leave moves only what must move, an expired
lease is taken over, a released one at once, and a pinned process keeps its shards."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from integrations.discordbot import leases
from integrations.discordbot.identify import _take_db_slot
from integrations.discordbot.leases import Unit
from integrations.discordbot.models import BotApplication, GatewayLease

pytestmark = pytest.mark.django_db

TTL = 30.0


@pytest.fixture
def apps(workspace: Any) -> tuple[int, list[Unit]]:
    """A shared bot with 4 shards and 3 custom bots: 7 units."""
    shared = BotApplication.objects.create(application_id="1", is_shared=True, bot_token="t")
    units: list[Unit] = [(shared.pk, s) for s in range(4)]
    for n in range(3):
        custom = BotApplication.objects.create(application_id=f"2{n}", workspace=workspace, bot_token="t")
        units.append((custom.pk, 0))
    return shared.pk, units


def round_(owner: str, units: list[Unit], now: datetime, **kwargs: Any) -> frozenset[Unit]:
    """One round as the supervisor does it: balance, then give back what came back released."""
    assignment = leases.balance(owner, units, ttl=TTL, now=now, **kwargs)
    leases.release(owner, assignment.released)
    return assignment.held


def settle(
    owners: list[str], units: list[Unit], now: datetime, rounds: int = 3
) -> dict[str, frozenset[Unit]]:
    held: dict[str, frozenset[Unit]] = {}
    for _ in range(rounds):
        for owner in owners:
            held[owner] = round_(owner, units, now)
    return held


def test_a_lone_process_holds_every_unit(apps: tuple[int, list[Unit]]) -> None:
    _, units = apps
    assert round_("a", units, timezone.now()) == frozenset(units)
    assert GatewayLease.objects.count() == 7


def test_two_processes_never_hold_the_same_unit_and_split_evenly(apps: tuple[int, list[Unit]]) -> None:
    _, units = apps
    now = timezone.now()
    held = settle(["a", "b"], units, now)
    assert not held["a"] & held["b"]
    assert held["a"] | held["b"] == frozenset(units)
    assert sorted(len(h) for h in held.values()) == [3, 4]
    owners = list(GatewayLease.objects.values_list("owner", flat=True))
    assert len(owners) == 7 and set(owners) == {"a", "b"}


def test_a_joining_process_takes_only_its_share(apps: tuple[int, list[Unit]]) -> None:
    _, units = apps
    now = timezone.now()
    before = settle(["a", "b"], units, now)
    after = settle(["a", "b", "c"], units, now)
    assert sorted(len(h) for h in after.values()) == [2, 2, 3]
    # What a and b kept is a subset of what they had: nothing moved between them.
    assert after["a"] <= before["a"] and after["b"] <= before["b"]
    assert len(after["a"] ^ before["a"]) + len(after["b"] ^ before["b"]) == len(after["c"])


def test_a_process_that_stops_renewing_loses_its_units_after_the_ttl(apps: tuple[int, list[Unit]]) -> None:
    _, units = apps
    now = timezone.now()
    held = settle(["a", "b"], units, now)
    # b is killed: it renews nothing. Before the TTL a cannot take b's units.
    soon = now + timedelta(seconds=TTL / 2)
    assert round_("a", units, soon) == held["a"]
    later = now + timedelta(seconds=TTL + 1)
    assert round_("a", units, later) == frozenset(units)


def test_a_graceful_leave_hands_over_at_once(apps: tuple[int, list[Unit]]) -> None:
    _, units = apps
    now = timezone.now()
    settle(["a", "b"], units, now)
    leases.leave("b")
    assert round_("a", units, now + timedelta(seconds=1)) == frozenset(units)


def test_a_claim_never_takes_a_live_lease(apps: tuple[int, list[Unit]]) -> None:
    _, units = apps
    now = timezone.now()
    round_("a", units, now)
    expires = now + timedelta(seconds=TTL)
    assert not leases._claim("b", units[0], expires, now)
    assert leases._claim("b", units[0], expires + timedelta(seconds=TTL), expires + timedelta(seconds=1))
    assert GatewayLease.objects.get(application_id=units[0][0], shard=0).owner == "b"


def test_a_pinned_process_keeps_its_shards_and_the_others_leave_them(apps: tuple[int, list[Unit]]) -> None:
    shared, units = apps
    now = timezone.now()
    settle(["a"], units, now)
    for _ in range(3):
        pinned = round_("p", units, now, shared_pk=shared, pinned_shards=[2, 3])
        other = round_("a", units, now, shared_pk=shared)
    assert {(shared, 2), (shared, 3)} <= pinned
    assert not other & pinned and not {(shared, 2), (shared, 3)} & other
    assert pinned | other == frozenset(units)
    assert sorted((len(pinned) - 2, len(other))) == [2, 3]  # the other 5 units split evenly


def test_units_no_longer_wanted_are_given_back(apps: tuple[int, list[Unit]]) -> None:
    _, units = apps
    now = timezone.now()
    round_("a", units, now)
    assignment = leases.balance("a", units[:4], ttl=TTL, now=now)
    assert assignment.released == frozenset(units[4:])


def test_an_identify_slot_is_taken_once_per_interval() -> None:
    assert _take_db_slot("identify:1:0", 5.0) == 0
    wait = _take_db_slot("identify:1:0", 5.0)
    assert 4.0 < wait <= 5.0
    assert _take_db_slot("identify:1:1", 5.0) == 0  # another bucket has its own turn
