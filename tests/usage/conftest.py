"""Usage test helpers: a small monthly limit, a controlled clock, mail kept in memory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

# Mid-month, so a test has room on both sides.
NOV_15 = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def set_limit(settings: Any, messages: int, plan: str = "starter") -> None:
    settings.PLAN_MESSAGES = {**settings.PLAN_MESSAGES, plan: messages}


@pytest.fixture
def mailbox(settings: Any) -> Iterator[list[Any]]:
    """Sent mail, with the worker's jobs run inline as soon as they are enqueued."""
    from django.core import mail
    from huey.contrib.djhuey import HUEY

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    previous = HUEY.immediate
    HUEY.immediate = True
    yield mail.outbox
    HUEY.immediate = previous
