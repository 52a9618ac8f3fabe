"""The schedule of a server's proactive posts: a grid of slots ``origin + k * interval``.

The origin is the first time the scheduler saw the schedule (truncated to the minute; the
first post goes out then), and a change of frequency keeps the last slot and steps on with
the new interval. Pure: no database, no I/O.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from integrations.discordbot.models import DiscordServer, ProactiveFrequency

PROACTIVE_INTERVALS: dict[str, timedelta] = {
    ProactiveFrequency.EVERY_2_HOURS: timedelta(hours=2),
    ProactiveFrequency.EVERY_4_HOURS: timedelta(hours=4),
    ProactiveFrequency.EVERY_6_HOURS: timedelta(hours=6),
    ProactiveFrequency.EVERY_12_HOURS: timedelta(hours=12),
    ProactiveFrequency.DAILY: timedelta(days=1),
    ProactiveFrequency.EVERY_2_DAYS: timedelta(days=2),
    ProactiveFrequency.WEEKLY: timedelta(weeks=1),
}
"""How long the scheduler waits between two proactive posts, by frequency."""


def interval_of(frequency: str) -> timedelta:
    return PROACTIVE_INTERVALS.get(frequency, PROACTIVE_INTERVALS[ProactiveFrequency.DAILY])


def upcoming_slot(server: DiscordServer, now: datetime) -> datetime:
    """The slot the schedule posts next (``<= now`` means it is due). Pure: no database."""
    stored = server.proactive_next_run_at
    if stored is not None and server.proactive_scheduled_frequency == server.proactive_frequency:
        return stored
    if stored is not None and server.proactive_scheduled_frequency in PROACTIVE_INTERVALS:
        # The frequency changed: keep the last slot of the old grid, step on with the new one.
        return (
            stored
            - interval_of(server.proactive_scheduled_frequency)
            + interval_of(server.proactive_frequency)
        )
    return now.replace(second=0, microsecond=0)


def due_slot(upcoming: datetime, interval: timedelta, now: datetime) -> datetime | None:
    """The most recent slot of the grid ``upcoming + k * interval`` that is not after
    ``now``; None when ``upcoming`` is still ahead. Missed slots before it are skipped."""
    if upcoming > now:
        return None
    return upcoming + (now - upcoming) // interval * interval


def next_run(server: DiscordServer, now: datetime | None = None) -> datetime | None:
    """When the schedule posts next, for the dashboard; None when it is off. A time in the
    past means "at the next tick of the worker" (within a minute)."""
    if not server.proactive_enabled:
        return None
    return upcoming_slot(server, now or timezone.now())
