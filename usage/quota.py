"""Monthly quotas: a message is counted only while the workspace's plan has room for it.

A month is a calendar month in UTC: every workspace's counter starts again at 00:00 UTC on
the 1st, and a plan change takes effect on the next message.

Callers reserve *before* doing the work (an AI reply, a moderation check, a proactive post)
with a key naming it, and release the reservation when the work did not happen after all
(the provider failed, the reply could not be delivered). The key makes both idempotent: a
redelivered message or a retried job is counted once. Counting is one short transaction:
the event row (``INSERT ... ON CONFLICT DO NOTHING``) and the month's counter (``UPDATE ...
SET used = used + 1 WHERE used < limit``), so concurrent messages at the boundary, in any
number of processes, never take a workspace past its limit, on SQLite and on Postgres.

Crossing 80% and reaching 100% emails the owners once per month each (usage.tasks), after
the transaction commits and through the worker, so counting never waits for a mail server.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Workspace
from guildmind.db import select_values, write_transaction
from usage.models import LimitNotice, UsageEvent, UsageMonth
from usage.months import month_of, warning_at
from usage.plans import monthly_limit, plan_allows
from usage.tasks import send_quota_email

log = logging.getLogger(__name__)

# Members asking while the messages have run out are told at most this often per channel.
LIMIT_NOTICE_EVERY = timedelta(hours=1)
LIMIT_NOTICE = (
    "This server has used all of its AI messages for this month, so I can't answer for now. "
    "The team has been told."
)

# Reservation.reason
COUNTED = "counted"
ALREADY_COUNTED = "already-counted"
OVER_LIMIT = "limit"
NOT_IN_PLAN = "plan"
NO_WORKSPACE = "no-workspace"
NOT_COUNTED = "not-counted"

# The feature a channel needs in the plan; a channel not listed needs none.
CHANNEL_FEATURES = {"discord": "discord"}
# Channels whose messages are never counted: the sandbox server (the bundled simulator)
# is for trying the product, on any plan, without spending its messages.
SANDBOX = "sandbox"
UNCOUNTED_CHANNELS = frozenset({SANDBOX})


@dataclass(frozen=True)
class Reservation:
    """The answer to "may I do this work?". ``allowed`` with ``reason`` COUNTED (counted
    now), ALREADY_COUNTED (the key was counted before: a retry) or NOT_COUNTED (a channel
    of ``UNCOUNTED_CHANNELS``: the sandbox); refused with OVER_LIMIT, NOT_IN_PLAN (the plan
    lacks the channel) or NO_WORKSPACE. ``used`` and ``limit`` are the month's figures
    after this call."""

    allowed: bool
    reason: str
    used: int
    limit: int

    # Why it was refused, in plain words for the owner (dashboard, logs); "" when allowed.
    detail: str = ""


# --- counting ----------------------------------------------------------------------------


def reserve(
    workspace_id: int, kind: str, key: str, *, channel: str = "discord", now: datetime | None = None
) -> Reservation:
    """Count one message of ``kind`` (reply, moderation, proactive) for ``key`` if the
    workspace's plan includes ``channel`` and its month has room; call it before the work.
    Counted once per key: a retry of a counted key is allowed without counting again.
    Joins the caller's transaction when there is one (see write_transaction)."""
    if kind not in UsageEvent.Kind.values:
        raise ValueError(f"unknown usage kind {kind!r}")
    if channel in UNCOUNTED_CHANNELS:
        return Reservation(True, NOT_COUNTED, 0, 0)
    now = now or timezone.now()
    month = month_of(now)
    with write_transaction():
        plan = _plan_of(workspace_id)
        if plan is None:
            return Reservation(False, NO_WORKSPACE, 0, 0, "The workspace no longer exists.")
        limit = monthly_limit(plan)
        feature = CHANNEL_FEATURES.get(channel)
        check = plan_allows(plan, feature) if feature is not None else None
        if check is not None and not check.allowed:
            return Reservation(False, NOT_IN_PLAN, _month_row(workspace_id, month)[0], limit, check.reason)
        return _count(workspace_id, kind, key, channel, now, limit, enforce=True)


def has_room(workspace_id: int, *, channel: str = "discord", now: datetime | None = None) -> bool:
    """Whether a message could be counted now (the plan includes ``channel`` and the month
    has room). A read only, for previews and to skip work early; the work itself must
    ``reserve``, which decides atomically."""
    month = month_of(now or timezone.now())
    plan = Workspace.objects.filter(pk=workspace_id).values_list("plan", flat=True).first()
    if plan is None:
        return False
    feature = CHANNEL_FEATURES.get(channel)
    if feature is not None and not plan_allows(plan, feature).allowed:
        return False
    return _month_row(workspace_id, month)[0] < monthly_limit(plan)


def count_regardless(
    workspace_id: int, kind: str, key: str, *, channel: str = "discord", now: datetime | None = None
) -> Reservation:
    """Count work that was done already, even past the limit (once per key, like
    ``reserve``). For callers not yet reserving first; new code calls ``reserve``."""
    if channel in UNCOUNTED_CHANNELS:
        return Reservation(True, NOT_COUNTED, 0, 0)
    now = now or timezone.now()
    with write_transaction():
        plan = Workspace.objects.filter(pk=workspace_id).values_list("plan", flat=True).first()
        if plan is None:
            return Reservation(False, NO_WORKSPACE, 0, 0, "The workspace no longer exists.")
        return _count(workspace_id, kind, key, channel, now, monthly_limit(plan), enforce=False)


def release(workspace_id: int, key: str) -> bool:
    """Give back the message counted for ``key`` when the work did not happen after all (the
    AI failed and the member got an apology, the reply could not be delivered). False when
    nothing was counted under ``key`` (or it was released already)."""
    with write_transaction():
        event = (
            UsageEvent.objects.filter(workspace_id=workspace_id, key=key).values("pk", "created_at").first()
        )
        if event is None:
            return False
        deleted, _ = UsageEvent.objects.filter(pk=event["pk"]).delete()
        if not deleted:
            return False
        UsageMonth.objects.filter(
            workspace_id=workspace_id, month=month_of(event["created_at"]), used__gt=0
        ).update(used=F("used") - 1)
    return True


def _count(
    workspace_id: int, kind: str, key: str, channel: str, now: datetime, limit: int, *, enforce: bool
) -> Reservation:
    """Inside write_transaction: the event, then the counter; the event is taken back when
    the counter has no room."""
    month = month_of(now)
    if not _insert_event(workspace_id, kind, key, channel, now):
        return Reservation(True, ALREADY_COUNTED, _month_row(workspace_id, month)[0], limit)
    bound = limit if enforce else None
    row = _increment(workspace_id, month, bound)
    if row is None:  # the month's first message, or no room
        UsageMonth.objects.bulk_create(
            [UsageMonth(workspace_id=workspace_id, month=month)], ignore_conflicts=True
        )
        row = _increment(workspace_id, month, bound)
    if row is None:
        UsageEvent.objects.filter(workspace_id=workspace_id, key=key).delete()
        used, warned, told = _month_row(workspace_id, month)
        _claim_email(workspace_id, month, used, limit, warned=warned, told=told, now=now)
        detail = f"All {limit:,} messages of this month are used; they reset on the 1st (UTC)."
        return Reservation(False, OVER_LIMIT, used, limit, detail)
    used, warned, told = row
    _claim_email(workspace_id, month, used, limit, warned=warned, told=told, now=now)
    return Reservation(True, COUNTED, used, limit)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _plan_of(workspace_id: int) -> str | None:
    # Workspace.objects.filter(pk=...).values_list("plan", flat=True).first(), written out:
    # every counted message reads it.
    row = select_values(Workspace, workspace_id, ("plan",))
    return None if row is None else str(row[0])


def _insert_event(workspace_id: int, kind: str, key: str, channel: str, now: datetime) -> bool:
    """True when the event was inserted; False when ``key`` was counted already (on Postgres
    a concurrent insert of the same key waits for the other transaction's outcome)."""
    # Identifiers come from the model's metadata; every value is a parameter.
    with connection.cursor() as cursor:
        cursor.execute(
            _insert_event_sql(connection.vendor),
            [workspace_id, kind, channel, key, connection.ops.adapt_datetimefield_value(now)],
        )
        return cursor.rowcount == 1


# The statements' text, built once per backend (every counted message runs them).
@functools.cache
def _insert_event_sql(vendor: str) -> str:
    return (
        f"INSERT INTO {_q(UsageEvent._meta.db_table)} "  # noqa: S608
        f"({_q('workspace_id')}, {_q('kind')}, {_q('channel')}, {_q('key')}, {_q('created_at')}) "
        f"VALUES (%s, %s, %s, %s, %s) ON CONFLICT ({_q('workspace_id')}, {_q('key')}) DO NOTHING"
    )


@functools.cache
def _increment_sql(vendor: str, bounded: bool) -> str:
    sql = (
        f"UPDATE {_q(UsageMonth._meta.db_table)} SET {_q('used')} = {_q('used')} + 1 "  # noqa: S608
        f"WHERE {_q('workspace_id')} = %s AND {_q('month')} = %s"
    )
    if bounded:
        sql += f" AND {_q('used')} < %s"
    # The columns themselves: SQLite 3.40 evaluates "column IS NOT NULL" in RETURNING wrongly.
    return sql + f" RETURNING {_q('used')}, {_q('warning_emailed_at')}, {_q('limit_emailed_at')}"


def _increment(workspace_id: int, month: date, limit: int | None) -> tuple[int, bool, bool] | None:
    """Add one to the month's counter, only below ``limit`` when given. Returns the new count
    and whether the 80% and 100% emails were claimed already; None when no row changed (no
    row yet, or no room). On Postgres a concurrent increment waits for the row lock and then
    re-checks ``used < limit`` against the committed count, so the limit holds."""
    params: list[Any] = [workspace_id, connection.ops.adapt_datefield_value(month)]
    if limit is not None:
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(_increment_sql(connection.vendor, limit is not None), params)
        rows = cursor.fetchall()
    if not rows:
        return None
    used, warned_at, told_at = rows[0]
    return int(used), warned_at is not None, told_at is not None


def _month_row(workspace_id: int, month: date) -> tuple[int, bool, bool]:
    row = (
        UsageMonth.objects.filter(workspace_id=workspace_id, month=month)
        .values_list("used", "warning_emailed_at", "limit_emailed_at")
        .first()
    )
    if row is None:
        return 0, False, False
    return row[0], row[1] is not None, row[2] is not None


def _claim_email(
    workspace_id: int, month: date, used: int, limit: int, *, warned: bool, told: bool, now: datetime
) -> None:
    """Claim the 100% or the 80% email of the month when ``used`` reached it and nobody has
    (a conditional update: one process wins), and send it once the transaction commits.
    Reaching 100% claims the 80% email too: one email when a message jumps past both."""
    if limit <= 0 or told or (used < limit and (warned or used < warning_at(limit))):
        return  # nothing to claim: most messages, so no query is built for them
    months = UsageMonth.objects.filter(workspace_id=workspace_id, month=month)
    if used >= limit:
        claimed = months.filter(limit_emailed_at__isnull=True).update(
            limit_emailed_at=now, warning_emailed_at=Coalesce(F("warning_emailed_at"), Value(now))
        )
        threshold = "limit"
    elif used >= warning_at(limit) and not warned:
        claimed = months.filter(warning_emailed_at__isnull=True).update(warning_emailed_at=now)
        threshold = "warning"
    else:
        return
    if claimed:
        _email_after_commit(workspace_id, month, threshold, used, limit)


def _email_after_commit(workspace_id: int, month: date, threshold: str, used: int, limit: int) -> None:
    def enqueue() -> None:
        send_quota_email(workspace_id, month.isoformat(), threshold, used, limit)

    # robust: a queue that cannot take the job is logged and never fails the counting.
    transaction.on_commit(enqueue, robust=True)
    log.info("workspace %s reached its %s threshold (%s of %s)", workspace_id, threshold, used, limit)


# --- telling members ---------------------------------------------------------------------


def should_notify_limit(
    workspace_id: int, guild_id: int | str, channel_id: int | str, now: datetime | None = None
) -> bool:
    """Whether to tell a member in this channel that the month's messages ran out: True at
    most once per LIMIT_NOTICE_EVERY per channel, whichever process asks (one atomic upsert;
    the caller sends LIMIT_NOTICE)."""
    now = now or timezone.now()
    table = _q(LimitNotice._meta.db_table)
    columns = (_q("workspace_id"), _q("place_id"), _q("channel_id"))
    notified = _q("notified_at")
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}, {notified}) VALUES (%s, %s, %s, %s) "  # noqa: S608
        f"ON CONFLICT ({', '.join(columns)}) DO UPDATE SET {notified} = excluded.{notified} "
        f"WHERE {table}.{notified} <= %s"
    )
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = [
        workspace_id,
        str(guild_id),
        str(channel_id),
        adapt(now),
        adapt(now - LIMIT_NOTICE_EVERY),
    ]
    with write_transaction(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1
