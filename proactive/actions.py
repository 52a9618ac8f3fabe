"""Proactive messages: the posts the bot writes on its own, on each server's schedule.

A schedule is a grid of slots (``proactive.schedule``). The slot the scheduler posts next
is stored on the server (``proactive_next_run_at``), so every worker reads the same
schedule:

- a due schedule posts once for the most recent slot that is due, and its next run is the
  slot after that: after downtime it posts once and moves on, no burst of missed posts;
- a worker claims the slot before composing anything, with a conditional UPDATE of the
  stored next run plus the insert of the slot's ``ProactivePost`` (unique per slot), in one
  transaction: with several workers the loser's UPDATE matches no row and it skips;
- a post that fails (no such channel, no permission, Discord down) is recorded on the post
  and in the server's ``last_error``, and the schedule tries again at its next slot.

``run_due_schedules(now)`` is the unit of work of the worker's periodic tick; tests call it
with the clock they want. ``preview_post`` and ``send_now`` serve the dashboard's "Post now".
The channel is reached through the server's ``ProactivePort`` (``proactive.port``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Workspace
from assistant.answering import compose_post
from assistant.providers.local import NEAR_DUPLICATE
from assistant.text import jaccard
from guildmind.db import write_transaction
from integrations.discordbot.models import DiscordServer
from pipeline.port import ActionError
from proactive.models import ProactivePost
from proactive.port import ProactivePort, port_for
from proactive.schedule import due_slot, interval_of, upcoming_slot
from usage.actions import record_usage
from usage.plans import plan_allows
from usage.quota import release, reserve

log = logging.getLogger(__name__)

# What the composer is shown (and what a new post is compared with) of the earlier posts.
PREVIOUS_POSTS = 100
# Discord's limit for one message.
MAX_MESSAGE_CHARS = 2000
# A claim older than this that never finished belongs to a worker that stopped mid-post.
STALE_CLAIM = timedelta(minutes=15)
# Marks the errors this module writes into DiscordServer.last_error, so a later success
# clears only its own error and diagnostics do not report it twice.
LAST_ERROR_PREFIX = "Proactive post: "

NOTHING_NEW = (
    "Nothing new to say about “{topic}”: every idea the knowledge base gives on it was posted "
    "already, the knowledge base has nothing on it, or the AI provider failed."
)
NOT_ALLOWED = (
    "Not posted: this workspace may not post in this server right now (the server is "
    "disconnected, or the plan does not allow it this month)."
)
NOT_SET_UP = "Not posted: the proactive settings need a channel name and a topic."
INTERRUPTED = "The worker stopped before this post went out."
UNEXPECTED = "An unexpected error stopped this post (see the worker's log)."


@dataclass
class Preview:
    """What "Post now" would send: ``text`` (empty when there is none) and, when it could
    not be sent, why (``error``)."""

    text: str
    error: str = ""


@dataclass
class _Attempt:
    """How far one post got: filled step by step, so a failure still records what was done."""

    channel_id: str = ""
    text: str = ""
    message_id: str = ""
    error: str = ""
    skipped: bool = False


def _usage_channel(server: DiscordServer) -> str:
    # The sandbox's posts are free (usage.quota.UNCOUNTED_CHANNELS); a reserved key is
    # counted once, so recording it again after the post is a no-op.
    return "sandbox" if server.is_sandbox else "discord"


def can_post(server: DiscordServer) -> bool:
    """May the bot post proactively in ``server`` now? The single place plans and quotas
    hook in; a schedule that may not post records the slot as skipped and moves on."""
    if server.workspace_id is None or not server.connected:
        return False
    plan = Workspace.objects.filter(pk=server.workspace_id).values_list("plan", flat=True).first()
    return plan is not None and plan_allows(plan, "discord").allowed


# --- the worker's tick ---------------------------------------------------------------------


def run_due_schedules(now: datetime | None = None) -> list[ProactivePost]:
    """Post every proactive schedule that is due at ``now`` (default: the current time),
    each slot once whatever the number of workers running this at the same moment.
    Returns the posts this call made (posted, failed or skipped). Never raises."""
    now = now or timezone.now()
    _fail_interrupted()
    candidates = (
        DiscordServer.objects.filter(proactive_enabled=True, connected=True, workspace__isnull=False)
        .filter(
            Q(proactive_next_run_at__isnull=True)
            | Q(proactive_next_run_at__lte=now)
            | ~Q(proactive_scheduled_frequency=F("proactive_frequency"))
        )
        .select_related("application")
        .order_by("proactive_next_run_at", "id")
    )
    done: list[ProactivePost] = []
    for server in candidates:
        try:
            post = claim_slot(server, now)
            if post is not None:
                done.append(post_claimed(post, server))
        except Exception:
            log.exception("proactive schedule of server %s failed", server.guild_id)
    return done


def claim_slot(server: DiscordServer, now: datetime) -> ProactivePost | None:
    """Move the server's schedule past ``now`` and claim the slot that is due, if any.

    Returns the claimed post (status "posting"), or None when nothing is due or another
    worker claimed it first. The conditional UPDATE is the lock: it only matches while the
    schedule is still as this worker read it."""
    interval = interval_of(server.proactive_frequency)
    upcoming = upcoming_slot(server, now)
    slot = due_slot(upcoming, interval, now)
    following = upcoming if slot is None else slot + interval
    as_read = {
        "proactive_next_run_at": server.proactive_next_run_at,
        "proactive_scheduled_frequency": server.proactive_scheduled_frequency,
    }
    unchanged = following == server.proactive_next_run_at and (
        server.proactive_scheduled_frequency == server.proactive_frequency
    )
    if slot is None and unchanged:
        return None
    assert server.workspace_id is not None  # only servers of a workspace are scheduled
    with write_transaction():
        won = DiscordServer.objects.filter(pk=server.pk, proactive_enabled=True, **as_read).update(
            proactive_next_run_at=following, proactive_scheduled_frequency=server.proactive_frequency
        )
        server.proactive_next_run_at = following
        server.proactive_scheduled_frequency = server.proactive_frequency
        if not won or slot is None:
            return None
        try:
            with transaction.atomic():
                post = ProactivePost.objects.create(
                    server=server,
                    workspace_id=server.workspace_id,
                    kind=ProactivePost.Kind.SCHEDULED,
                    run_at=slot,
                    topic=server.proactive_topic,
                    channel_name=server.proactive_channel,
                )
        except IntegrityError:
            return None  # the slot was posted already (a schedule moved back by hand)
    if slot > upcoming:
        log.info(
            "server %s: %d missed proactive slots skipped", server.guild_id, (slot - upcoming) // interval
        )
    return post


def post_claimed(post: ProactivePost, server: DiscordServer) -> ProactivePost:
    """Compose and send a claimed scheduled post, then record how it went. Never raises."""
    if not can_post(server):
        return _finish(post, server, _Attempt(error=NOT_ALLOWED, skipped=True))
    if not post.topic or not post.channel_name:
        return _finish(post, server, _Attempt(error=NOT_SET_UP, skipped=True))
    quota = reserve(post.workspace_id, "proactive", usage_key(post), channel=_usage_channel(server))
    if not quota.allowed:
        return _finish(post, server, _Attempt(error=quota.detail, skipped=True))
    attempt = _Attempt()
    previous = previous_posts(server)
    port = port_for(server)
    workspace_id, topic, channel_name = post.workspace_id, post.topic, post.channel_name

    async def work() -> None:
        attempt.channel_id = await port.find_channel(channel_name)
        text = await _compose(topic, workspace_id, previous)
        if text is None:
            attempt.error, attempt.skipped = NOTHING_NEW.format(topic=topic), True
            return
        attempt.text = text
        attempt.message_id = await port.post(attempt.channel_id, channel_name, text)

    _run(port, work, attempt)
    return _finish(post, server, attempt)


def previous_posts(server: DiscordServer) -> list[str]:
    """What the server's workspace already posted there, newest first."""
    if server.workspace_id is None:
        return []
    return list(
        ProactivePost.objects.filter(
            server=server, workspace_id=server.workspace_id, status=ProactivePost.Status.POSTED
        )
        .exclude(text="")
        .order_by("-run_at", "-id")
        .values_list("text", flat=True)[:PREVIOUS_POSTS]
    )


def _fail_interrupted() -> None:
    # Wall-clock time, not the schedule's ``now``: it is about workers, not slots.
    ProactivePost.objects.filter(
        status=ProactivePost.Status.POSTING, created_at__lt=timezone.now() - STALE_CLAIM
    ).update(status=ProactivePost.Status.FAILED, error=INTERRUPTED, finished_at=timezone.now())


# --- "Post now" ----------------------------------------------------------------------------


def preview_post(server: DiscordServer) -> Preview:
    """Compose the post "Post now" would send with the saved settings, and check its
    channel; nothing is sent and nothing is counted. Never raises."""
    problem = _cannot_post_now(server)
    if problem:
        return Preview("", problem)
    attempt = _Attempt()
    previous = previous_posts(server)
    port = port_for(server)
    assert server.workspace_id is not None  # _cannot_post_now
    workspace_id = server.workspace_id

    async def work() -> None:
        text = await _compose(server.proactive_topic, workspace_id, previous)
        if text is None:
            attempt.error = NOTHING_NEW.format(topic=server.proactive_topic)
            return
        attempt.text = text
        attempt.channel_id = await port.find_channel(server.proactive_channel)

    _run(port, work, attempt)
    return Preview(attempt.text, attempt.error)


def send_now(server: DiscordServer, text: str, previewed_at: datetime) -> tuple[ProactivePost, bool]:
    """Send a previewed post at once, outside the schedule (which is left as it is).

    ``previewed_at`` names the preview: sending the same preview twice (a double click, a
    resubmitted form) posts once. Returns the post and whether this call made it. Counts
    one message when it went out. Never raises."""
    assert server.workspace_id is not None
    text = text.strip()[:MAX_MESSAGE_CHARS]
    try:
        with write_transaction(), transaction.atomic():
            post = ProactivePost.objects.create(
                server=server,
                workspace_id=server.workspace_id,
                kind=ProactivePost.Kind.MANUAL,
                run_at=previewed_at,
                topic=server.proactive_topic,
                channel_name=server.proactive_channel,
                text=text,
            )
    except IntegrityError:
        existing = ProactivePost.objects.get(
            server=server, kind=ProactivePost.Kind.MANUAL, run_at=previewed_at
        )
        return existing, False
    problem = _cannot_post_now(server)
    if problem or not text:
        return _finish(post, server, _Attempt(text=text, error=problem or NOT_SET_UP, skipped=True)), True
    quota = reserve(post.workspace_id, "proactive", usage_key(post), channel=_usage_channel(server))
    if not quota.allowed:
        return _finish(post, server, _Attempt(text=text, error=quota.detail, skipped=True)), True
    attempt = _Attempt(text=text)
    port = port_for(server)
    channel_name = post.channel_name

    async def work() -> None:
        attempt.channel_id = await port.find_channel(channel_name)
        attempt.message_id = await port.post(attempt.channel_id, channel_name, text)

    _run(port, work, attempt)
    return _finish(post, server, attempt), True


def _cannot_post_now(server: DiscordServer) -> str:
    if not server.proactive_channel or not server.proactive_topic:
        return NOT_SET_UP
    if not can_post(server):
        return NOT_ALLOWED
    return ""


# --- talking to the channel and the AI-----------------------------------------------------


def _run(port: ProactivePort, work: Callable[[], Awaitable[None]], attempt: _Attempt) -> None:
    """Run ``work`` through the port; its failures end up in ``attempt.error``."""
    try:
        port.run(work, timeout=settings.AI_TIMEOUT_SECONDS + 60)
    except ActionError as exc:
        attempt.error = exc.reason
    except Exception:
        log.exception("proactive post failed")
        attempt.error = UNEXPECTED


async def _compose(topic: str, workspace_id: int, previous: list[str]) -> str | None:
    text = await compose_post(topic, workspace_id, previous)
    if text is None or repeats_earlier_post(text, previous):
        return None
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[: MAX_MESSAGE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return text


def repeats_earlier_post(text: str, previous: list[str]) -> bool:
    """Whatever the provider, a post that reads like an earlier one is not sent."""
    body = text.strip()
    return any(body == p.strip() or jaccard(body, p) >= NEAR_DUPLICATE for p in previous)


# --- recording -----------------------------------------------------------------------------


def _finish(post: ProactivePost, server: DiscordServer, attempt: _Attempt) -> ProactivePost:
    if attempt.error:
        status = ProactivePost.Status.SKIPPED if attempt.skipped else ProactivePost.Status.FAILED
    else:
        status = ProactivePost.Status.POSTED
    post.status, post.error = status, attempt.error
    post.text = attempt.text or post.text
    post.channel_id, post.message_id = attempt.channel_id, attempt.message_id
    post.finished_at = timezone.now()
    with write_transaction():
        post.save(update_fields=["status", "error", "text", "channel_id", "message_id", "finished_at"])
        if status != ProactivePost.Status.POSTED:
            release(post.workspace_id, usage_key(post))  # nothing went out: not a message
        if status == ProactivePost.Status.POSTED:
            record_usage(post.workspace_id, "proactive", usage_key(post), channel=_usage_channel(server))
            DiscordServer.objects.filter(pk=server.pk, last_error__startswith=LAST_ERROR_PREFIX).update(
                last_error=""
            )
        elif status == ProactivePost.Status.FAILED:
            DiscordServer.objects.filter(pk=server.pk).update(
                last_error=(LAST_ERROR_PREFIX + attempt.error)[:2000]
            )
    log.info(
        "proactive %s post of server %s for %s in #%s: %s%s",
        post.kind,
        server.guild_id,
        post.run_at.isoformat(),
        post.channel_name,
        status,
        f" ({attempt.error})" if attempt.error else "",
    )
    return post


def usage_key(post: ProactivePost) -> str:
    """One message per slot (or per "Post now" preview), however often it is retried."""
    manual = ":now" if post.kind == ProactivePost.Kind.MANUAL else ""
    return f"proactive:{post.server_id}{manual}:{post.run_at.isoformat()}"
