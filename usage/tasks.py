"""Worker jobs of usage: the owners' emails at 80% and at 100% of the month's messages."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from huey.contrib.djhuey import db_task

from accounts.models import Membership, Workspace
from usage.months import WARNING_PERCENT, month_bounds
from usage.plans import plan_name

log = logging.getLogger(__name__)

# A mail server that is down gets this many more tries, this far apart (seconds).
EMAIL_RETRIES = 5
EMAIL_RETRY_DELAY = 60


@db_task(retries=EMAIL_RETRIES, retry_delay=EMAIL_RETRY_DELAY)
def send_quota_email(workspace_id: int, month: str, threshold: str, used: int, limit: int) -> None:
    """Tell the workspace's owners that ``month`` (ISO first day) reached ``threshold``
    ("warning" at 80%, "limit" at 100%). Claimed once per month before it is enqueued (see
    usage.quota); a mail failure is logged and raised, so the worker retries it."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return
    recipients = owner_emails(workspace)
    if not recipients:
        log.warning("workspace %s reached its %s threshold but has no owner email", workspace_id, threshold)
        return
    subject, body = quota_email(workspace, date.fromisoformat(month), threshold, used, limit)
    try:
        send_mail(subject, body, None, recipients, fail_silently=False)
    except Exception:
        log.exception(
            "quota email (%s) for workspace %s failed; the worker retries it", threshold, workspace_id
        )
        raise
    log.info("quota email (%s) sent for workspace %s", threshold, workspace_id)


def owner_emails(workspace: Workspace) -> list[str]:
    """The active owners' addresses; the escalation address when no owner has one."""
    emails = (
        Membership.objects.filter(workspace=workspace, role=Membership.Role.OWNER, user__is_active=True)
        .exclude(user__email="")
        .order_by("created_at")
        .values_list("user__email", flat=True)
    )
    unique = list(dict.fromkeys(emails))
    if not unique and workspace.escalation_email:
        unique = [workspace.escalation_email]
    return unique


def quota_email(workspace: Workspace, month: date, threshold: str, used: int, limit: int) -> tuple[str, str]:
    """The subject and plain-text body of a quota email."""
    month_name = f"{month:%B %Y}"
    _, resets = month_bounds(month)
    reset = f"{resets.day} {resets:%B} at 00:00 UTC"
    plan = plan_name(workspace.plan)
    link = settings.SITE_URL.rstrip("/") + reverse("usage")
    if threshold == "limit":
        subject = f"[Guildmind] {workspace.name} has used all its messages for {month_name}"
        lead = (
            f"{workspace.name} has used all {limit:,} messages of its {plan} plan for {month_name}.\n\n"
            "Until the messages reset, the bot gives no AI replies, runs no moderation checks and "
            "makes no proactive posts in your servers. Members who ask are told, at most once an "
            f"hour per channel.\n\nThe messages reset on {reset}, or as soon as the workspace "
            "moves to a larger plan."
        )
    else:
        subject = f"[Guildmind] {workspace.name} has used {WARNING_PERCENT}% of its messages for {month_name}"
        lead = (
            f"{workspace.name} has used {used:,} of the {limit:,} messages of its {plan} plan for "
            f"{month_name}.\n\nAt {limit:,} the bot stops answering, moderating and posting until "
            f"the messages reset on {reset}, or until the workspace moves to a larger plan."
        )
    body = f"{lead}\n\nSee your plan and usage: {link}\n"
    return subject, body
