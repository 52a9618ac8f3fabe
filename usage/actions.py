"""Counting usage. Callers pass a key naming what they count, so counting is idempotent."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count

from guildmind.db import write_transaction
from usage.models import UsageEvent


def record_usage(workspace_id: int, kind: str, key: str, *, channel: str = "discord") -> bool:
    """Count one message; False when ``key`` was already counted (a retry or redelivery)."""
    with write_transaction():
        try:
            with transaction.atomic():
                UsageEvent.objects.create(
                    workspace_id=workspace_id, kind=kind, key=key[:120], channel=channel
                )
        except IntegrityError:
            return False
    return True


def usage_by_kind(workspace_id: int, since: datetime) -> dict[str, int]:
    rows = (
        UsageEvent.objects.filter(workspace_id=workspace_id, created_at__gte=since)
        .values("kind")
        .annotate(n=Count("id"))
    )
    return {row["kind"]: row["n"] for row in rows}
