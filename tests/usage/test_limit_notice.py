"""Members asking after the messages ran out: one notice per channel per hour at most."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import Workspace
from tests.usage.conftest import NOV_15
from usage.quota import LIMIT_NOTICE, should_notify_limit

pytestmark = pytest.mark.django_db


def test_the_first_member_to_ask_is_told(workspace: Workspace) -> None:
    assert should_notify_limit(workspace.pk, 900, 1, NOV_15) is True


def test_the_channel_is_not_told_again_within_the_hour(workspace: Workspace) -> None:
    should_notify_limit(workspace.pk, 900, 1, NOV_15)
    assert should_notify_limit(workspace.pk, 900, 1, NOV_15 + timedelta(seconds=1)) is False
    assert should_notify_limit(workspace.pk, 900, 1, NOV_15 + timedelta(minutes=59, seconds=59)) is False


def test_the_channel_is_told_again_after_an_hour(workspace: Workspace) -> None:
    should_notify_limit(workspace.pk, 900, 1, NOV_15)
    should_notify_limit(workspace.pk, 900, 1, NOV_15 + timedelta(minutes=30))  # not told: no new hour
    assert should_notify_limit(workspace.pk, 900, 1, NOV_15 + timedelta(hours=1)) is True
    assert should_notify_limit(workspace.pk, 900, 1, NOV_15 + timedelta(hours=1, minutes=30)) is False


def test_each_channel_and_server_has_its_own_hour(workspace: Workspace, other_workspace: Workspace) -> None:
    should_notify_limit(workspace.pk, 900, 1, NOV_15)
    assert should_notify_limit(workspace.pk, 900, 2, NOV_15) is True
    assert should_notify_limit(workspace.pk, 901, 1, NOV_15) is True
    assert should_notify_limit(other_workspace.pk, 900, 1, NOV_15) is True


def test_the_notice_is_short_and_plain() -> None:
    assert len(LIMIT_NOTICE) < 200
    assert "@" not in LIMIT_NOTICE and "http" not in LIMIT_NOTICE
