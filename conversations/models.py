from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models

from accounts.models import Workspace

# A taken-over conversation goes back to the AI after this long without agent activity.
TAKEOVER_IDLE = timedelta(minutes=3)


class Conversation(models.Model):
    """One member's exchange with the bot in one place (for Discord: guild + channel)."""

    class State(models.TextChoices):
        AI = "ai"
        HUMAN = "human"
        ESCALATED = "escalated"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="conversations")
    source = models.CharField(max_length=20, default="discord")
    # For Discord: guild id, channel id and the member's user id (snowflakes as text so
    # other sources fit the same columns).
    place_id = models.CharField(max_length=40)
    channel_id = models.CharField(max_length=40)
    member_id = models.CharField(max_length=40)
    member_name = models.CharField(max_length=100, blank=True)
    place_name = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.AI)
    # Human takeover: who took it over, and their last sign of life (typing or sending).
    # The AI stays silent while that is recent (TAKEOVER_IDLE), then resumes by itself.
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent_active_at = models.DateTimeField(null=True, blank=True)
    # Escalation: when the member asked for a person, and when the team was last emailed.
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_message_at"]
        indexes = [models.Index(fields=["workspace", "source", "place_id", "channel_id", "member_id"])]

    def __str__(self) -> str:
        return f"{self.member_name or self.member_id} in {self.place_name or self.place_id}"

    def human_active(self, now: datetime) -> bool:
        """Whether a team member has this conversation now (the AI must stay silent)."""
        return (
            self.state == self.State.HUMAN
            and self.agent_active_at is not None
            and now - self.agent_active_at < TAKEOVER_IDLE
        )

    def shown_state(self, now: datetime) -> str:
        """The state as the dashboard shows it: a takeover left idle is back with the AI."""
        if self.state == self.State.HUMAN and not self.human_active(now):
            return self.State.ESCALATED if self.escalated_at else self.State.AI
        return self.state


class Message(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member"
        ASSISTANT = "assistant"
        AGENT = "agent"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=Role.choices)
    author_name = models.CharField(max_length=100, blank=True)
    text = models.TextField()
    # The platform's id for the message, unique per source so a redelivered event is
    # recorded (and answered) once.
    external_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 (NULLs stay unique)
    # For AI replies: the knowledge passages it was grounded in ([{title, url}...]).
    sources = models.JSONField(default=list, blank=True)
    # For AI replies: the bot said it does not know (several in a row escalate).
    abstained = models.BooleanField(default=False)
    # For AI replies: the member's question it answers (its feedback buttons name that
    # question, the only id known before the reply is delivered).
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    # For members' questions the bot could not answer: when the team answered it from the
    # knowledge gaps page (it is no longer a gap).
    gap_closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "external_id"], name="message_external_id_once"),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:50]}"


class AnswerFeedback(models.Model):
    """A member's thumbs-up or thumbs-down on an AI answer: one per member per answer (a
    second click changes the vote)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="feedback")
    member_id = models.CharField(max_length=40)
    helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "member_id"], name="feedback_once_per_member"),
        ]

    def __str__(self) -> str:
        return f"{'helpful' if self.helpful else 'not helpful'} from {self.member_id}"


class ForumPost(models.Model):
    """A member's post in a forum (for Discord: a thread of a forum channel, the post's id
    the thread's) that the bot watches or answered: whether it got an answer, and whether
    its author or a moderator marked it solved."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="forum_posts")
    source = models.CharField(max_length=20, default="discord")
    # For Discord: the guild, the post (thread) and the forum channel it is in.
    place_id = models.CharField(max_length=40)
    post_id = models.CharField(max_length=40)
    forum_id = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=100, blank=True)
    author_id = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # When the bot first answered in it.
    answered_at = models.DateTimeField(null=True, blank=True)
    # When it was marked solved, by whom (the platform's user id), and whether the forum's
    # "solved" tag was applied then.
    solved_at = models.DateTimeField(null=True, blank=True)
    solved_by = models.CharField(max_length=40, blank=True)
    solved_tagged = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source", "place_id", "post_id"], name="forum_post_once"
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.post_id
