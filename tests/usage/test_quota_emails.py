"""The owners' emails at 80% and at 100% of the month's messages: once each per month."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from huey.contrib.djhuey import HUEY

from accounts.models import Membership, Workspace
from tests.usage.conftest import NOV_15, set_limit
from usage.models import UsageMonth
from usage.quota import reserve
from usage.tasks import EMAIL_RETRIES

pytestmark = pytest.mark.django_db

Capture = Any


def use(
    workspace: Workspace, count: int, capture: Capture, *, start: int = 0, now: datetime = NOV_15
) -> None:
    with capture(execute=True):
        for i in range(start, start + count):
            reserve(workspace.pk, "reply", f"reply:{now:%m}:{i}", now=now)


def test_nothing_is_sent_below_80_percent(
    workspace: Workspace,
    alice: Any,
    settings: Any,
    mailbox: list[Any],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    set_limit(settings, 10)
    use(workspace, 7, django_capture_on_commit_callbacks)
    assert mailbox == []


def test_the_owners_are_emailed_once_at_80_percent(
    workspace: Workspace,
    alice: Any,
    settings: Any,
    mailbox: list[Any],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    set_limit(settings, 10)
    use(workspace, 9, django_capture_on_commit_callbacks)
    (email,) = mailbox
    assert email.to == ["alice@example.org"]
    assert "80%" in email.subject and "November 2026" in email.subject
    assert "8 of the 10 messages" in email.body
    assert "http://127.0.0.1:8000/usage/" in email.body


def test_the_owners_are_emailed_once_at_100_percent(
    workspace: Workspace,
    alice: Any,
    settings: Any,
    mailbox: list[Any],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    set_limit(settings, 10)
    use(workspace, 14, django_capture_on_commit_callbacks)  # 4 refused past the limit
    assert len(mailbox) == 2
    limit = mailbox[1]
    assert "used all its messages for November 2026" in limit.subject
    assert "all 10 messages of its Starter plan" in limit.body
    assert "1 December at 00:00 UTC" in limit.body
    month = UsageMonth.objects.get(workspace=workspace)
    assert month.warning_emailed_at == NOV_15 and month.limit_emailed_at == NOV_15


def test_each_month_has_its_own_emails(
    workspace: Workspace,
    alice: Any,
    settings: Any,
    mailbox: list[Any],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    set_limit(settings, 10)
    use(workspace, 10, django_capture_on_commit_callbacks)
    use(workspace, 10, django_capture_on_commit_callbacks, now=datetime(2026, 12, 2, tzinfo=UTC))
    assert [("80%" in m.subject, "December" in m.subject) for m in mailbox] == [
        (True, False),
        (False, False),
        (True, True),
        (False, True),
    ]


def test_jumping_past_both_lines_sends_only_the_100_percent_email(
    workspace: Workspace,
    alice: Any,
    settings: Any,
    mailbox: list[Any],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    set_limit(settings, 10)
    set_limit(settings, 3, plan="pro")  # an operator lowers a plan below what was used
    use(workspace, 5, django_capture_on_commit_callbacks)
    Workspace.objects.filter(pk=workspace.pk).update(plan=Workspace.Plan.PRO)
    use(workspace, 1, django_capture_on_commit_callbacks, start=5)
    (email,) = mailbox
    assert "used all its messages" in email.subject


def test_a_rolled_back_message_sends_nothing_and_claims_nothing(
    workspace: Workspace,
    alice: Any,
    settings: Any,
    mailbox: list[Any],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    from django.db import transaction

    set_limit(settings, 1)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        reserve(workspace.pk, "reply", "r", now=NOV_15)
        raise RuntimeError("the caller failed")
    assert mailbox == []
    assert not UsageMonth.objects.filter(workspace=workspace, limit_emailed_at__isnull=False).exists()


def test_every_owner_is_emailed_and_members_are_not(
    workspace: Workspace,
    alice: Any,
    settings: Any,
    mailbox: list[Any],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    carol = User.objects.create_user("carol", "carol@example.org", "pw")
    Membership.objects.create(user=carol, workspace=workspace, role=Membership.Role.OWNER)
    dan = User.objects.create_user("dan", "dan@example.org", "pw")
    Membership.objects.create(user=dan, workspace=workspace, role=Membership.Role.MEMBER)
    set_limit(settings, 1)
    use(workspace, 1, django_capture_on_commit_callbacks)
    (email,) = mailbox
    assert email.to == ["alice@example.org", "carol@example.org"]


class BrokenMail:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("the mail server is down")


def test_a_mail_failure_does_not_stop_counting_and_is_retried(
    workspace: Workspace, alice: Any, settings: Any, django_capture_on_commit_callbacks: Capture
) -> None:
    settings.EMAIL_BACKEND = "tests.usage.test_quota_emails.BrokenMail"
    set_limit(settings, 1)
    HUEY.flush()
    with django_capture_on_commit_callbacks(execute=True):
        assert reserve(workspace.pk, "reply", "r", now=NOV_15).allowed  # only enqueued
    task = HUEY.dequeue()
    assert task is not None and task.name.endswith("send_quota_email")
    HUEY.execute(task)  # the worker: the mail server refuses
    (retry,) = HUEY.scheduled()
    assert retry.retries == EMAIL_RETRIES - 1
    HUEY.flush()
