"""The quota under concurrent messages: real threads with their own database connections
(on Postgres, real concurrent transactions), never a count past the limit."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from django.db import connection

from accounts.models import Workspace
from tests.usage.conftest import NOV_15, set_limit
from usage.models import UsageEvent, UsageMonth
from usage.quota import Reservation, reserve, should_notify_limit

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 50
T = TypeVar("T")


def at_once(jobs: list[Callable[[], T]]) -> list[T]:
    """Run every job in its own thread, all released together."""
    start = threading.Barrier(len(jobs))

    def run(job: Callable[[], T]) -> T:
        start.wait()
        try:
            return job()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def reservation(workspace_id: int, key: str) -> Callable[[], Reservation]:
    return lambda: reserve(workspace_id, "reply", key, now=NOV_15)


def test_fifty_messages_at_the_boundary_never_go_over(workspace: Workspace, settings: Any) -> None:
    set_limit(settings, 20)
    for i in range(15):
        reserve(workspace.pk, "moderation", f"before:{i}", now=NOV_15)
    results = at_once([reservation(workspace.pk, f"reply:{i}") for i in range(THREADS)])
    assert sum(r.allowed for r in results) == 5
    assert all(r.used <= 20 for r in results)
    assert UsageMonth.objects.get(workspace=workspace).used == 20
    assert UsageEvent.objects.filter(workspace=workspace).count() == 20


def test_fifty_deliveries_of_one_message_count_once(workspace: Workspace) -> None:
    results = at_once([reservation(workspace.pk, "reply:same") for _ in range(THREADS)])
    assert all(r.allowed for r in results)
    assert sum(r.reason == "counted" for r in results) == 1
    assert UsageMonth.objects.get(workspace=workspace).used == 1
    assert UsageEvent.objects.filter(workspace=workspace).count() == 1


def test_fifty_members_asking_in_one_channel_get_one_notice(workspace: Workspace) -> None:
    results = at_once([lambda: should_notify_limit(workspace.pk, 900, 1, NOV_15) for _ in range(THREADS)])
    assert sum(results) == 1
