"""Monthly quotas: every kind counts one message, a retry counts once, and the limit holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Workspace
from tests.usage.conftest import NOV_15, set_limit
from usage.actions import record_usage
from usage.models import UsageEvent, UsageMonth
from usage.months import month_of, next_month
from usage.quota import (
    ALREADY_COUNTED,
    COUNTED,
    NO_WORKSPACE,
    NOT_IN_PLAN,
    OVER_LIMIT,
    has_room,
    release,
    reserve,
)

pytestmark = pytest.mark.django_db


def used(workspace: Workspace, now: datetime = NOV_15) -> int:
    row = UsageMonth.objects.filter(workspace=workspace, month=month_of(now)).first()
    return row.used if row else 0


@pytest.mark.parametrize("kind", ["reply", "moderation", "proactive"])
def test_each_kind_counts_one_message_with_its_kind_and_channel(workspace: Workspace, kind: str) -> None:
    reservation = reserve(workspace.pk, kind, f"{kind}:1", now=NOV_15)
    assert (reservation.allowed, reservation.reason, reservation.used) == (True, COUNTED, 1)
    assert reservation.limit == 2500  # the Starter plan, the default
    event = UsageEvent.objects.get(workspace=workspace)
    assert (event.kind, event.channel, event.key, event.created_at) == (kind, "discord", f"{kind}:1", NOV_15)
    assert used(workspace) == 1


def test_kinds_and_channels_share_one_pool(workspace: Workspace, settings: Any) -> None:
    set_limit(settings, 3)
    assert reserve(workspace.pk, "reply", "r", now=NOV_15).allowed
    assert reserve(workspace.pk, "moderation", "m", channel="web", now=NOV_15).allowed
    assert reserve(workspace.pk, "proactive", "p", now=NOV_15).allowed
    refused = reserve(workspace.pk, "reply", "r2", channel="web", now=NOV_15)
    assert (refused.allowed, refused.reason, refused.used, refused.limit) == (False, OVER_LIMIT, 3, 3)
    assert set(UsageEvent.objects.values_list("channel", flat=True)) == {"discord", "web"}


def test_a_retried_key_is_allowed_without_counting_again(workspace: Workspace) -> None:
    reserve(workspace.pk, "reply", "reply:42", now=NOV_15)
    retry = reserve(workspace.pk, "reply", "reply:42", now=NOV_15)
    assert (retry.allowed, retry.reason, retry.used) == (True, ALREADY_COUNTED, 1)
    assert UsageEvent.objects.count() == 1 and used(workspace) == 1


def test_a_retry_of_a_counted_key_is_allowed_even_at_the_limit(workspace: Workspace, settings: Any) -> None:
    set_limit(settings, 1)
    reserve(workspace.pk, "proactive", "post:1", now=NOV_15)
    assert reserve(workspace.pk, "proactive", "post:1", now=NOV_15).allowed
    assert not reserve(workspace.pk, "proactive", "post:2", now=NOV_15).allowed


def test_at_the_limit_nothing_more_is_counted(workspace: Workspace, settings: Any) -> None:
    set_limit(settings, 2)
    assert [reserve(workspace.pk, "reply", f"r{i}", now=NOV_15).allowed for i in range(4)] == [
        True,
        True,
        False,
        False,
    ]
    assert used(workspace) == 2
    assert sorted(UsageEvent.objects.values_list("key", flat=True)) == ["r0", "r1"]


def test_a_refused_key_can_be_counted_later(workspace: Workspace, settings: Any) -> None:
    set_limit(settings, 1)
    reserve(workspace.pk, "reply", "r1", now=NOV_15)
    assert not reserve(workspace.pk, "reply", "r2", now=NOV_15).allowed
    workspace.plan = Workspace.Plan.STANDARD
    workspace.save()
    assert reserve(workspace.pk, "reply", "r2", now=NOV_15).reason == COUNTED


def test_the_next_month_starts_from_zero(workspace: Workspace, settings: Any) -> None:
    set_limit(settings, 2)
    last_second = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)
    reserve(workspace.pk, "reply", "a", now=last_second)
    reserve(workspace.pk, "reply", "b", now=last_second)
    assert not reserve(workspace.pk, "reply", "c", now=last_second).allowed
    first_second = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    december = reserve(workspace.pk, "reply", "c", now=first_second)
    assert (december.allowed, december.used) == (True, 1)
    assert used(workspace, last_second) == 2 and used(workspace, first_second) == 1


def test_the_month_is_the_calendar_month_in_utc() -> None:
    # 19:30 on 30 November in New York is 00:30 on 1 December in UTC.
    new_york = datetime(2026, 11, 30, 19, 30, tzinfo=ZoneInfo("America/New_York"))
    assert month_of(new_york).isoformat() == "2026-12-01"
    assert month_of(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)).isoformat() == "2026-12-01"
    assert next_month(month_of(datetime(2026, 12, 31, tzinfo=UTC))).isoformat() == "2027-01-01"


def test_a_plan_change_applies_to_the_next_message(workspace: Workspace, settings: Any) -> None:
    set_limit(settings, 1)
    set_limit(settings, 5, plan="standard")
    reserve(workspace.pk, "reply", "a", now=NOV_15)
    assert not reserve(workspace.pk, "reply", "b", now=NOV_15).allowed
    Workspace.objects.filter(pk=workspace.pk).update(plan=Workspace.Plan.STANDARD)
    upgraded = reserve(workspace.pk, "reply", "b", now=NOV_15)
    assert (upgraded.allowed, upgraded.used, upgraded.limit) == (True, 2, 5)


def test_the_free_plan_counts_nothing_on_discord(workspace: Workspace) -> None:
    Workspace.objects.filter(pk=workspace.pk).update(plan=Workspace.Plan.FREE)
    refused = reserve(workspace.pk, "reply", "r", now=NOV_15)
    assert (refused.allowed, refused.reason) == (False, NOT_IN_PLAN)
    assert UsageEvent.objects.count() == 0 and used(workspace) == 0


def test_an_unknown_workspace_is_refused(db: None) -> None:
    assert reserve(999_999, "reply", "r", now=NOV_15).reason == NO_WORKSPACE


def test_an_unknown_kind_is_a_bug(workspace: Workspace) -> None:
    with pytest.raises(ValueError, match="unknown usage kind"):
        reserve(workspace.pk, "answer", "r", now=NOV_15)


def test_workspaces_have_their_own_pools(
    workspace: Workspace, other_workspace: Workspace, settings: Any
) -> None:
    set_limit(settings, 1)
    assert reserve(workspace.pk, "reply", "same-key", now=NOV_15).allowed
    assert reserve(other_workspace.pk, "reply", "same-key", now=NOV_15).reason == COUNTED
    assert not reserve(workspace.pk, "reply", "other", now=NOV_15).allowed


def test_release_gives_the_message_back_once(workspace: Workspace, settings: Any) -> None:
    set_limit(settings, 1)
    reserve(workspace.pk, "reply", "r1", now=NOV_15)
    assert release(workspace.pk, "r1") is True
    assert release(workspace.pk, "r1") is False
    assert used(workspace) == 0 and UsageEvent.objects.count() == 0
    assert reserve(workspace.pk, "reply", "r2", now=NOV_15).allowed


def test_release_takes_from_the_month_the_message_was_counted_in(workspace: Workspace) -> None:
    reserve(workspace.pk, "reply", "late", now=datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    reserve(workspace.pk, "reply", "early", now=datetime(2026, 12, 1, 0, 1, tzinfo=UTC))
    release(workspace.pk, "late")
    assert used(workspace, NOV_15) == 0
    assert used(workspace, datetime(2026, 12, 2, tzinfo=UTC)) == 1


def test_record_usage_counts_done_work_even_past_the_limit(workspace: Workspace, settings: Any) -> None:
    set_limit(settings, 1)
    record_usage(workspace.pk, "proactive", "p1", now=NOV_15)
    record_usage(workspace.pk, "proactive", "p2", now=NOV_15)
    record_usage(workspace.pk, "proactive", "p2", now=NOV_15)  # a retry
    assert used(workspace) == 2 and UsageEvent.objects.count() == 2
    assert not reserve(workspace.pk, "reply", "r", now=NOV_15).allowed


def test_reserve_joins_the_callers_transaction(workspace: Workspace) -> None:
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        reserve(workspace.pk, "reply", "r", now=NOV_15)
        raise RuntimeError("the caller failed")
    assert used(workspace) == 0 and UsageEvent.objects.count() == 0


def test_refusals_say_why_in_plain_words(workspace: Workspace, settings: Any) -> None:
    set_limit(settings, 0)
    assert reserve(workspace.pk, "reply", "r", now=NOV_15).detail.startswith("All 0 messages of this month")
    Workspace.objects.filter(pk=workspace.pk).update(plan=Workspace.Plan.FREE)
    assert (
        reserve(workspace.pk, "reply", "r", now=NOV_15).detail == "Discord needs the Starter plan or above."
    )


def test_has_room_reads_without_counting(workspace: Workspace, settings: Any) -> None:
    set_limit(settings, 1)
    assert has_room(workspace.pk, now=NOV_15)
    reserve(workspace.pk, "reply", "r", now=NOV_15)
    assert not has_room(workspace.pk, now=NOV_15)
    assert has_room(workspace.pk, now=datetime(2026, 12, 1, tzinfo=UTC))
    assert used(workspace) == 1
    Workspace.objects.filter(pk=workspace.pk).update(plan=Workspace.Plan.FREE)
    assert not has_room(workspace.pk, now=datetime(2026, 12, 1, tzinfo=UTC))
