from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import Workspace
from guildmind.crypto import EncryptedTextField


class BotApplication(models.Model):
    """A Discord application whose bot user we run: the shared one (from settings) or a
    workspace's custom bot."""

    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.CASCADE, related_name="bot_applications"
    )
    is_shared = models.BooleanField(default=False)
    # The bundled simulator's bot (integrations/discordbot/sandbox.py): run only while the
    # sandbox is, never shown as a workspace's bot.
    is_sandbox = models.BooleanField(default=False)
    application_id = models.CharField(max_length=32, unique=True)
    public_key = models.CharField(max_length=64, blank=True)
    bot_token = EncryptedTextField(blank=True)
    client_secret = EncryptedTextField(blank=True)
    name = models.CharField(max_length=100, blank=True)
    # When the interactions endpoint last received a request with a valid signature for
    # this application (diagnostics: "Discord reaches your endpoint").
    endpoint_verified_at = models.DateTimeField(null=True, blank=True)
    # Written by the gateway process every few seconds while it runs this bot: when it last
    # checked in, and why the bot is not connected (empty when it is).
    gateway_seen_at = models.DateTimeField(null=True, blank=True)
    gateway_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_shared"], condition=models.Q(is_shared=True), name="one_shared_application"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.application_id

    @property
    def token_hint(self) -> str:
        """The only part of the token we ever show back."""
        return f"…{self.bot_token[-4:]}" if self.bot_token else ""


class ProactiveFrequency(models.TextChoices):
    EVERY_2_HOURS = "2h", "Every 2 hours"
    EVERY_4_HOURS = "4h", "Every 4 hours"
    EVERY_6_HOURS = "6h", "Every 6 hours"
    EVERY_12_HOURS = "12h", "Every 12 hours"
    DAILY = "daily", "Daily"
    EVERY_2_DAYS = "2days", "Every 2 days"
    WEEKLY = "weekly", "Weekly"


class DiscordServer(models.Model):
    """A guild connected to a workspace, with its own settings."""

    class ResponseMode(models.TextChoices):
        MENTION = "mention", "@mention"
        ALL = "all", "All messages"
        ASK_ONLY = "ask", "/ask only"

    # Null while a server the shared bot joined is not claimed by any workspace (it is then
    # ignored); servers installed through the dashboard or by a custom bot always have one.
    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.CASCADE, related_name="discord_servers"
    )
    application = models.ForeignKey(BotApplication, on_delete=models.PROTECT, related_name="servers")
    guild_id = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100, blank=True)
    icon = models.CharField(max_length=64, blank=True)
    connected = models.BooleanField(default=True)
    # A server of the bundled simulator, not of Discord: labelled "Sandbox" and never counted
    # against the plan's messages.
    is_sandbox = models.BooleanField(default=False)

    response_mode = models.CharField(
        max_length=10, choices=ResponseMode.choices, default=ResponseMode.MENTION
    )
    smart_mode = models.BooleanField(default=True)
    channel_awareness = models.BooleanField(default=False)
    # 👍/👎 buttons under each AI answer.
    feedback_buttons = models.BooleanField(default=True)
    # All-messages mode: answer each question in a thread started on it (text channels).
    thread_per_question = models.BooleanField(default=False)
    # Forum posts: the forum tag a post's Solved button applies (matched by name, case
    # aside), and whether marking it solved also closes (archives) the post.
    solved_tag_name = models.CharField(max_length=20, default="Solved", blank=True)
    close_on_solved = models.BooleanField(default=False)
    # Channel ids the all-messages mode listens in; empty means every text channel.
    channel_ids = models.JSONField(default=list, blank=True)

    moderation_enabled = models.BooleanField(default=False)
    moderation_rules = models.TextField(blank=True)
    moderation_delete = models.BooleanField(default=True)
    moderation_warn = models.BooleanField(default=False)
    moderation_timeout = models.BooleanField(default=False)
    moderation_kick = models.BooleanField(default=False)
    moderation_ban = models.BooleanField(default=False)
    moderation_dry_run = models.BooleanField(default=False)
    # Offences older than this many days no longer count on the ladder (a window written in
    # the rules text wins).
    moderation_window_days = models.PositiveSmallIntegerField(default=30)
    # Roles and channels (Discord ids) the owner exempts from moderation.
    moderation_exempt_role_ids = models.JSONField(default=list, blank=True)
    moderation_exempt_channel_ids = models.JSONField(default=list, blank=True)

    # Scheduled posts by the bot on its own (the scheduler reads these).
    proactive_enabled = models.BooleanField(default=False)
    # The channel's name as the owner typed it, without '#'; looked up when posting.
    proactive_channel = models.CharField(max_length=100, blank=True)
    proactive_frequency = models.CharField(
        max_length=8, choices=ProactiveFrequency.choices, default=ProactiveFrequency.DAILY
    )
    proactive_topic = models.CharField(max_length=300, blank=True)
    # Written by the scheduler only (``proactive.actions``): the slot it posts
    # next, and the frequency that slot was computed for (a different frequency in the
    # settings makes it compute the next slot again). Null until it first sees the schedule.
    proactive_next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    proactive_scheduled_frequency = models.CharField(max_length=8, blank=True)

    last_error = models.TextField(blank=True)
    # What the gateway last saw of the bot in this server (diagnostics): its permissions
    # (Discord's bit field) and the roles above its own, which it cannot moderate.
    bot_permissions = models.BigIntegerField(null=True, blank=True)
    roles_above_bot = models.JSONField(default=list, blank=True)
    # Channel (and thread) id -> name, from the gateway's cache: written on GUILD_CREATE and
    # CHANNEL_CREATE/UPDATE, so the dashboard shows names. A deleted channel keeps its last
    # name (the log still refers to it).
    channel_names = models.JSONField(default=dict, blank=True)
    # When the owner last saved this server's settings (the getting-started checklist).
    settings_saved_at = models.DateTimeField(null=True, blank=True)
    facts_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return self.name or self.guild_id


# --- channels by name, for the dashboard and emails: the names the gateway last saw (see
# ``actions.record_channel_names``), the id only where no name is known.
def channel_names(workspace_id: int, guild_id: str = "") -> dict[str, str]:
    """Channel id -> name over the workspace's servers (or one of them). Channel ids are
    Discord snowflakes, unique across guilds, so one map serves every server."""
    servers = DiscordServer.objects.filter(workspace_id=workspace_id)
    if guild_id:
        servers = servers.filter(guild_id=guild_id)
    names: dict[str, str] = {}
    for mapping in servers.values_list("channel_names", flat=True):
        names.update(mapping or {})
    return names


def channel_label(names: dict[str, str], channel_id: str) -> str:
    """``#name`` when the name is known, else ``#<id>``."""
    return f"#{names.get(str(channel_id)) or channel_id}"


class Interaction(models.Model):
    """A slash command we received, so a redelivery is answered once and a job that
    outlived the interaction token is dropped instead of retried."""

    class State(models.TextChoices):
        QUEUED = "queued"
        ANSWERING = "answering"
        ANSWERED = "answered"
        FAILED = "failed"
        EXPIRED = "expired"

    interaction_id = models.CharField(max_length=32, unique=True)
    application = models.ForeignKey(BotApplication, on_delete=models.CASCADE, related_name="interactions")
    guild_id = models.CharField(max_length=32, blank=True)
    channel_id = models.CharField(max_length=32, blank=True)
    user_id = models.CharField(max_length=32, blank=True)
    command = models.CharField(max_length=32)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"/{self.command} {self.interaction_id} ({self.state})"


class OAuthState(models.Model):
    """One "Add to Discord" attempt: the ``state`` we sent to Discord, bound to the browser
    session, user and workspace that started it. Single use and short-lived; only a hash
    of the state is stored, so a database reader cannot finish someone's install."""

    state_hash = models.CharField(max_length=64, unique=True)
    session_key = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    # The permission bits we asked for, to tell the owner when Discord granted fewer.
    permissions = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"install state for {self.workspace_id} (expires {self.expires_at:%H:%M})"


class GatewayProcess(models.Model):
    """A live gateway process of the fleet, checking in every few seconds: the leases are
    spread over the processes whose row has not expired."""

    owner = models.CharField(max_length=100, unique=True)
    # Shards of the shared application this process is pinned to (DISCORD_SHARD_IDS).
    pinned_shards = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.owner


class GatewayLease(models.Model):
    """Which gateway process connects one (application, shard): a custom bot is shard 0.
    Claimed by insert or by a conditional update of an expired row, so two processes never
    hold one; renewed while held, deleted on release."""

    application = models.ForeignKey(BotApplication, on_delete=models.CASCADE, related_name="leases")
    shard = models.PositiveIntegerField(default=0)
    owner = models.CharField(max_length=100, db_index=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "shard"], name="one_lease_per_shard")]

    def __str__(self) -> str:
        return f"{self.application_id}/{self.shard} → {self.owner}"


class IdentifySlot(models.Model):
    """Discord allows one IDENTIFY per bucket (shard id % max_concurrency) of a bot every
    5 s: the fleet takes turns through this row (or Redis when configured)."""

    key = models.CharField(max_length=80, unique=True)
    next_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key
