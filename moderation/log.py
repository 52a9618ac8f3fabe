"""The moderation log: writing entries, counting a member's recent violations, listing.

Plain sync ORM functions; async callers run them through
``sync_to_async(..., thread_sensitive=False)``.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from integrations.discordbot.models import DiscordServer
from moderation.models import ModerationEntry


def record_entry(
    *,
    guild_id: str,
    channel_id: str,
    message_id: str,
    member_id: str,
    member_name: str,
    message_text: str,
    rule: str,
    severity: str,
    action: str,
    reason: str,
    outcome: str,
    outcome_detail: str = "",
    rule_line: int = 0,
    offence: int = 0,
    window_days: int = 0,
    step: str = "",
    created_at: datetime | None = None,
) -> ModerationEntry:
    """Write one entry for the server of ``guild_id``.

    Raises ``DiscordServer.DoesNotExist`` when the guild is unknown or belongs to no
    workspace (moderation never runs there)."""
    server = DiscordServer.objects.only("id", "workspace_id").get(guild_id=guild_id, workspace__isnull=False)
    assert server.workspace_id is not None  # guaranteed by the filter; narrows the type
    return ModerationEntry.objects.create(
        server=server,
        workspace_id=server.workspace_id,
        guild_id=guild_id,
        channel_id=channel_id,
        message_id=message_id,
        member_id=member_id,
        member_name=member_name[:100],
        message_text=message_text,
        rule=rule,
        severity=severity,
        action=action,
        reason=reason,
        outcome=outcome,
        outcome_detail=outcome_detail,
        rule_line=rule_line,
        offence=offence,
        window_days=window_days,
        step=step[:80],
        **({"created_at": created_at} if created_at else {}),
    )


def count_recent_violations(
    guild_id: str, member_id: str, *, since: datetime, exclude_message_id: str = ""
) -> int:
    """How many distinct messages of the member were found in violation since ``since``.

    Every outcome counts (a dry run or a failed action was still a violation). Counting
    messages rather than entries keeps a deleted-and-warned message one violation, and
    ``exclude_message_id`` keeps a redelivered message from counting against itself."""
    entries = ModerationEntry.objects.filter(
        server__guild_id=guild_id, member_id=member_id, created_at__gte=since
    ).exclude(message_id=exclude_message_id)
    return entries.values("message_id").distinct().count()


def offence_times(
    guild_id: str,
    member_id: str,
    *,
    rule: str,
    rule_lines: tuple[int, ...],
    since: datetime,
    exclude_message_id: str = "",
) -> list[datetime]:
    """When the member's earlier messages flagged for this rule since ``since`` were flagged,
    oldest first, one per message (a deleted-and-warned message is one offence).

    The rule is matched by its lines of the rules text (every line the message broke), or
    by its words when either has no line. Members skipped as exempt never offend."""
    entries = (
        ModerationEntry.objects.filter(server__guild_id=guild_id, member_id=member_id, created_at__gte=since)
        .exclude(message_id=exclude_message_id)
        .exclude(outcome=ModerationEntry.Outcome.SKIPPED, outcome_detail__startswith="exempt")
    )
    if rule_lines:
        entries = entries.filter(Q(rule_line__in=rule_lines) | Q(rule_line=0, rule=rule))
    else:
        entries = entries.filter(rule=rule)
    first: dict[str, datetime] = {}
    for message_id, at in entries.order_by("created_at").values_list("message_id", "created_at"):
        first.setdefault(message_id, at)
    return sorted(first.values())


def server_log(server: DiscordServer, *, action: str = "", member_id: str = "") -> QuerySet[ModerationEntry]:
    """A server's entries newest first, optionally only one action or one member.

    The caller checks that the viewer belongs to ``server.workspace``."""
    entries = ModerationEntry.objects.filter(server=server)
    if action:
        entries = entries.filter(action=action)
    if member_id:
        entries = entries.filter(member_id=member_id)
    return entries.order_by("-created_at", "-id")
