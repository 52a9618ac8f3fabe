"""The plan and usage page: the workspace's plan, its messages this month by kind and by
day (a server-drawn SVG chart), and when they reset. Scoped by ``get_workspace_for``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.actions import get_workspace_for
from usage.months import WARNING_PERCENT
from usage.plans import FEATURE_NAMES, all_plans
from usage.summary import month_usage

# The chart's drawing units (the SVG scales to the page's width).
BAR_WIDTH = 14
BAR_GAP = 6
CHART_HEIGHT = 120
LABEL_HEIGHT = 18


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: int
    # Where the day's label is centred.
    center: int
    y: int
    height: int
    today: bool
    # The day number under the bar, on the 1st and every 5th day only (room on phones).
    label: str


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    plot_height: int
    peak: int
    total: int


def day_chart(by_day: list[tuple[date, int]], today: date) -> Chart:
    peak = max((count for _, count in by_day), default=0)
    bars = []
    for index, (day, count) in enumerate(by_day):
        height = round(count * CHART_HEIGHT / peak) if peak else 0
        if count and height < 2:
            height = 2  # a day with any usage stays visible
        bars.append(
            Bar(
                day=day,
                count=count,
                x=index * (BAR_WIDTH + BAR_GAP) + BAR_GAP // 2,
                center=index * (BAR_WIDTH + BAR_GAP) + BAR_GAP // 2 + BAR_WIDTH // 2,
                y=CHART_HEIGHT - height,
                height=height,
                today=day == today,
                label=str(day.day) if day.day == 1 or day.day % 5 == 0 else "",
            )
        )
    return Chart(
        bars=bars,
        width=len(by_day) * (BAR_WIDTH + BAR_GAP),
        height=CHART_HEIGHT + LABEL_HEIGHT,
        plot_height=CHART_HEIGHT,
        peak=peak,
        total=sum(count for _, count in by_day),
    )


@login_required
@require_GET
def plan_and_usage(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    now = timezone.now()
    usage = month_usage(workspace, now)
    return render(
        request,
        "usage/plan.html",
        {
            "workspace": workspace,
            "usage": usage,
            "chart": day_chart(usage.by_day, now.astimezone(UTC).date()),
            "bar_width": BAR_WIDTH,
            "plans": all_plans(),
            "feature_names": list(FEATURE_NAMES.values()),
            "warning_percent": WARNING_PERCENT,
            "default_plan": settings.DEFAULT_PLAN,
        },
    )
