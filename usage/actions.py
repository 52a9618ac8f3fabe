"""Counting usage. Callers pass a key naming what they count, so counting is idempotent.

New code reserves before the work with ``usage.quota.reserve`` (which enforces the plan's
monthly limit); ``record_usage`` counts work already done."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count

from usage.models import UsageEvent
from usage.quota import count_regardless


def record_usage(
    workspace_id: int, kind: str, key: str, *, channel: str = "discord", now: datetime | None = None
) -> None:
    """Count one message of work already done, even past the monthly limit; nothing happens
    when ``key`` was already counted (a retry or a redelivery). One short write that joins
    the caller's transaction; the month's counter and its 80%/100% emails follow."""
    count_regardless(workspace_id, kind, key, channel=channel, now=now)


def usage_by_kind(workspace_id: int, since: datetime) -> dict[str, int]:
    rows = (
        UsageEvent.objects.filter(workspace_id=workspace_id, created_at__gte=since)
        .values("kind")
        .annotate(n=Count("id"))
    )
    return {row["kind"]: row["n"] for row in rows}
