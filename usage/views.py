"""The plan and usage page: the workspace's plan, its messages this month by kind and by
day and kind (a server-drawn SVG chart, :mod:`usage.charts`), and when they reset. Scoped
by ``get_workspace_for``."""

from __future__ import annotations

from datetime import UTC

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.actions import get_workspace_for
from usage.charts import day_chart, series_of
from usage.models import UsageEvent
from usage.months import WARNING_PERCENT
from usage.plans import FEATURE_NAMES, all_plans
from usage.summary import month_usage


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
            "chart": day_chart(
                [day for day, _ in usage.by_day],
                series_of(UsageEvent.Kind.choices),
                usage.by_day_and_kind,
                now.astimezone(UTC).date(),
            ),
            "plans": all_plans(),
            "feature_names": list(FEATURE_NAMES.values()),
            "warning_percent": WARNING_PERCENT,
            "default_plan": settings.DEFAULT_PLAN,
        },
    )
