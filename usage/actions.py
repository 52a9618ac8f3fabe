"""Counting usage. Callers pass a key naming what they count, so counting is idempotent."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count

from guildmind.db import write_transaction
from usage.models import UsageEvent


def record_usage(workspace_id: int, kind: str, key: str, *, channel: str = "discord") -> None:
    """Count one message; nothing happens when ``key`` was already counted (a retry or a
    redelivery). One INSERT, so it can join the caller's transaction cheaply."""
    event = UsageEvent(workspace_id=workspace_id, kind=kind, channel=channel, key=key)
    with write_transaction():
        UsageEvent.objects.bulk_create([event], ignore_conflicts=True)


def usage_by_kind(workspace_id: int, since: datetime) -> dict[str, int]:
    rows = (
        UsageEvent.objects.filter(workspace_id=workspace_id, created_at__gte=since)
        .values("kind")
        .annotate(n=Count("id"))
    )
    return {row["kind"]: row["n"] for row in rows}
