"""What the plan page shows: a workspace's plan and its usage this month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate

from accounts.models import Workspace
from usage.models import UsageEvent, UsageMonth
from usage.months import WARNING_PERCENT, month_bounds, month_of
from usage.plans import PlanInfo, plan_info


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str
    count: int


@dataclass(frozen=True)
class MonthUsage:
    plan: PlanInfo
    month: date
    # The counter the quota enforces, and the plan's messages this month.
    used: int
    limit: int
    by_kind: list[KindCount]
    # Every day of the month in order, future days with 0.
    by_day: list[tuple[date, int]]
    # Messages by (day, kind), days with none left out.
    by_day_and_kind: dict[tuple[date, str], int]
    resets_at: datetime
    # Whole days from today (UTC) to the reset day: 1 on the month's last day.
    days_to_reset: int

    @property
    def percent(self) -> int:
        if self.limit <= 0:
            return 100 if self.used else 0
        return min(100, self.used * 100 // self.limit)

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit

    @property
    def warned(self) -> bool:
        return self.limit > 0 and self.used * 100 >= self.limit * WARNING_PERCENT


def month_usage(workspace: Workspace, now: datetime) -> MonthUsage:
    month = month_of(now)
    start, end = month_bounds(month)
    used = UsageMonth.objects.filter(workspace=workspace, month=month).values_list("used", flat=True).first()
    events = UsageEvent.objects.filter(workspace=workspace, created_at__gte=start, created_at__lt=end)
    kinds = dict(events.values("kind").annotate(n=Count("id")).values_list("kind", "n"))
    by_day_and_kind = {
        (day, kind): n
        for day, kind, n in events.annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "kind")
        .annotate(n=Count("id"))
        .values_list("day", "kind", "n")
    }
    days: dict[date, int] = {}
    for (day, _), n in by_day_and_kind.items():
        days[day] = days.get(day, 0) + n
    by_day = []
    day = month
    while day < end.date():
        by_day.append((day, days.get(day, 0)))
        day += timedelta(days=1)
    info = plan_info(workspace.plan)
    return MonthUsage(
        plan=info,
        month=month,
        used=used or 0,
        limit=info.messages,
        by_kind=[KindCount(kind, str(label), kinds.get(kind, 0)) for kind, label in UsageEvent.Kind.choices],
        by_day=by_day,
        by_day_and_kind=by_day_and_kind,
        resets_at=end,
        days_to_reset=(end.date() - now.astimezone(UTC).date()).days,
    )
