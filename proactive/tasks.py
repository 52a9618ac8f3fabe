"""Huey jobs of proactive messages."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from proactive.actions import run_due_schedules


@db_periodic_task(crontab(minute="*"))
def proactive_tick() -> None:
    """Post the proactive schedules that are due. Every worker process enqueues this each
    minute; each slot is claimed once (see proactive.actions)."""
    run_due_schedules(timezone.now())
