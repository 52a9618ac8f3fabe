"""The plan and usage page: plan and price, used / included, by kind, by day, days to reset."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Workspace
from tests.usage.conftest import set_limit
from usage.charts import axis_step, day_chart, series_of
from usage.models import UsageEvent
from usage.months import month_of
from usage.quota import reserve
from usage.summary import month_usage

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(alice: Any) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def test_it_shows_the_plan_the_price_and_the_month(alice_client: Client, workspace: Workspace) -> None:
    now = timezone.now()
    reserve(workspace.pk, "reply", "r1", now=now)
    reserve(workspace.pk, "reply", "r2", now=now)
    reserve(workspace.pk, "moderation", "m1", now=now)
    page = alice_client.get("/usage/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Starter plan" in html and "$39" in html
    assert re.search(r"<strong>3</strong> of 2,500 messages used", html)
    assert re.search(r"AI reply</td><td data-label=\"Messages\">2<", html)
    assert re.search(r"Moderation check</td><td data-label=\"Messages\">1<", html)
    assert re.search(r"Proactive post</td><td data-label=\"Messages\">0<", html)
    today = now.astimezone(UTC).date().isoformat()
    assert f'data-day="{today}" data-count="3"' in html
    assert "Resets in" in html
    for price in ("$139", "$449"):
        assert price in html  # the other plans


def test_it_shows_when_the_messages_ran_out(
    alice_client: Client, workspace: Workspace, settings: Any
) -> None:
    set_limit(settings, 1)
    reserve(workspace.pk, "reply", "r1", now=timezone.now())
    html = alice_client.get("/usage/").content.decode()
    assert (
        "All of this month&#x27;s messages are used" in html
        or "All of this month's messages are used" in html
    )


def test_it_shows_only_the_members_workspace(
    alice_client: Client, workspace: Workspace, other_workspace: Workspace
) -> None:
    Workspace.objects.filter(pk=other_workspace.pk).update(plan=Workspace.Plan.PRO)
    reserve(other_workspace.pk, "reply", "theirs", now=timezone.now())
    html = alice_client.get("/usage/").content.decode()
    assert "Starter plan" in html and "<strong>0</strong> of 2,500" in html


def test_it_needs_a_login(client: Client) -> None:
    response = client.get("/usage/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_month_counts_by_kind_and_by_day(workspace: Workspace) -> None:
    nov_3 = datetime(2026, 11, 3, 9, tzinfo=UTC)
    reserve(workspace.pk, "reply", "a", now=nov_3)
    reserve(workspace.pk, "proactive", "b", now=nov_3 + timedelta(hours=14, minutes=59))  # 23:59 UTC
    reserve(workspace.pk, "moderation", "c", now=datetime(2026, 11, 4, 0, 0, tzinfo=UTC))
    reserve(workspace.pk, "reply", "october", now=datetime(2026, 10, 31, 23, 59, tzinfo=UTC))
    usage = month_usage(workspace, datetime(2026, 11, 20, 8, tzinfo=UTC))
    assert usage.used == 3 and usage.limit == 2500
    assert [(k.kind, k.count) for k in usage.by_kind] == [("reply", 1), ("moderation", 1), ("proactive", 1)]
    assert len(usage.by_day) == 30 and usage.by_day[0][0] == month_of(datetime(2026, 11, 1, tzinfo=UTC))
    assert usage.by_day[2][1] == 2 and usage.by_day[3][1] == 1 and sum(n for _, n in usage.by_day) == 3


@pytest.mark.parametrize(
    ("now", "days"),
    [
        (datetime(2026, 11, 1, 0, 0, tzinfo=UTC), 30),
        (datetime(2026, 11, 20, 8, tzinfo=UTC), 11),
        (datetime(2026, 11, 30, 23, 59, tzinfo=UTC), 1),
        (datetime(2026, 12, 31, 12, tzinfo=UTC), 1),
        (datetime(2027, 2, 1, 12, tzinfo=UTC), 28),
    ],
)
def test_days_to_reset(workspace: Workspace, now: datetime, days: int) -> None:
    usage = month_usage(workspace, now)
    assert usage.days_to_reset == days
    assert usage.resets_at == datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)


def test_the_chart_stacks_each_day_s_kinds_on_a_y_axis_of_round_numbers() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC).date()
    days = [start + timedelta(days=i) for i in range(3)]
    series = series_of(UsageEvent.Kind.choices)
    counts = {(days[0], "reply"): 6, (days[0], "moderation"): 4, (days[1], "proactive"): 5}
    chart = day_chart(days, series, counts, start)

    full, half, empty = chart.bars
    # The busiest day fills the plot; each kind is its own segment, stacked bottom up.
    assert [s.series.key for s in full.segments] == ["reply", "moderation"]
    assert full.segments[0].y + full.segments[0].height == chart.plot_bottom
    assert full.segments[1].y + full.segments[1].height == full.segments[0].y
    assert full.segments[1].y == chart.plot_top
    assert half.segments[0].height == (chart.plot_bottom - chart.plot_top) // 2 and not empty.segments
    assert [t.value for t in chart.ticks] == [0, 5, 10] and chart.ticks[-1].y == chart.plot_top
    assert full.today and not half.today
    assert (chart.peak, chart.total) == (10, 15)
    assert [(s.key, n) for s, n in chart.totals] == [("reply", 6), ("moderation", 4), ("proactive", 5)]


@pytest.mark.parametrize(("peak", "step"), [(0, 1), (3, 1), (10, 5), (37, 10), (180, 50), (2300, 1000)])
def test_the_axis_steps_are_round(peak: int, step: int) -> None:
    assert axis_step(peak) == step


def test_a_free_workspace_is_told_what_its_plan_lacks(alice_client: Client, workspace: Workspace) -> None:
    Workspace.objects.filter(pk=workspace.pk).update(plan=Workspace.Plan.FREE)
    html = alice_client.get("/usage/").content.decode()
    assert "Free plan" in html and "Discord needs the Starter plan or above." in html
    assert "are used" not in html
