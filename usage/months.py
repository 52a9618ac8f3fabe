"""Usage is counted per calendar month (UTC): the month a message counts in, its bounds,
and the share of a plan's messages at which the owners are warned."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

# The owners are warned when a month's usage reaches this share of the plan's messages.
WARNING_PERCENT = 80


def month_of(now: datetime) -> date:
    """The first day of ``now``'s calendar month in UTC."""
    return now.astimezone(UTC).date().replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's first instant, in UTC."""
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end_day = next_month(month)
    return start, datetime(end_day.year, end_day.month, 1, tzinfo=UTC)


def warning_at(limit: int) -> int:
    """How many messages of ``limit`` make WARNING_PERCENT (rounded up, at least 1)."""
    return max(1, math.ceil(limit * WARNING_PERCENT / 100))
