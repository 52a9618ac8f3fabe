"""Usage counting: one event per key, whatever the retries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from usage.actions import record_usage, usage_by_kind

pytestmark = pytest.mark.django_db


def test_a_key_is_counted_once(workspace: Any) -> None:
    record_usage(workspace.pk, "reply", "reply:1")
    record_usage(workspace.pk, "reply", "reply:1")  # a retry
    record_usage(workspace.pk, "moderation", "moderation:1")
    assert usage_by_kind(workspace.pk, timezone.now() - timedelta(days=1)) == {"reply": 1, "moderation": 1}


def test_workspaces_count_separately(workspace: Any, other_workspace: Any) -> None:
    record_usage(workspace.pk, "reply", "reply:1")
    record_usage(other_workspace.pk, "reply", "reply:1")
    since = timezone.now() - timedelta(days=1)
    assert usage_by_kind(workspace.pk, since) == {"reply": 1}
    assert usage_by_kind(other_workspace.pk, since) == {"reply": 1}
