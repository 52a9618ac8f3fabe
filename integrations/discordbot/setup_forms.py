"""Forms of the Discord setup pages: what to ask Discord for, and a server's settings."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from integrations.discordbot.install import ACTION_PERMISSIONS, SETTINGS_FIELDS, Channel, permissions_for
from integrations.discordbot.models import DiscordServer
from integrations.discordbot.permissions import MANAGE_THREADS
from moderation.decision import DEFAULT_WINDOW_DAYS

RULES_MAX_LENGTH = 4000
# Discord snowflakes are decimal numbers of up to 20 digits.
_CHANNEL_ID = re.compile(r"^\d{1,20}$")
_CHANNEL_MENTION = re.compile(r"^<#(\d+)>$")
_SEPARATORS = re.compile(r"[\s,]+")
_ROLE_MENTION = re.compile(r"^<@&(\d+)>$")
# Lists of Discord ids the owner types (or ticks): each gets a form field of its own.
_TYPED_ID_FIELDS = ("channel_ids", "moderation_exempt_role_ids", "moderation_exempt_channel_ids")
WINDOW_MAX_DAYS = 365

MODERATION_ACTION_CHOICES = [
    ("delete", "Delete messages (Manage Messages)"),
    ("timeout", "Time out members (Moderate Members)"),
    ("kick", "Kick members (Kick Members)"),
    ("ban", "Ban members (Ban Members)"),
]


# Discord's limit on a forum tag's name.
SOLVED_TAG_MAX_LENGTH = 20


class InstallForm(forms.Form):
    """Which moderation actions the bot may take, so Discord's dialog asks for exactly the
    permissions they need (answering's own permissions are always asked for)."""

    actions = forms.MultipleChoiceField(
        required=False,
        choices=MODERATION_ACTION_CHOICES,
        initial=["delete"],
        widget=forms.CheckboxSelectMultiple,
        label="Permissions for moderation",
    )
    forum_posts = forms.BooleanField(
        required=False,
        initial=True,
        label="Forum posts: tag and close the posts members mark solved (Manage Threads)",
    )

    def permissions(self) -> int:
        """The permission bits to ask for; call after is_valid()."""
        bits = permissions_for(a for a in self.cleaned_data["actions"] if a in ACTION_PERMISSIONS)
        return bits | MANAGE_THREADS if self.cleaned_data["forum_posts"] else bits


class ServerSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    """One server's settings. ``channels`` is the server's text channel list when Discord
    gave it (the owner ticks channels) or None (the owner types channel ids)."""

    class Meta:
        model = DiscordServer
        # Every owner setting; the channel list gets its own field (ticked or typed).
        fields = [name for name in SETTINGS_FIELDS if name not in _TYPED_ID_FIELDS]
        widgets = {
            "response_mode": forms.RadioSelect,
            "moderation_rules": forms.Textarea(
                attrs={"rows": 5, "placeholder": "No spam or advertising. No slurs. No NSFW content."}
            ),
            "proactive_channel": forms.TextInput(attrs={"placeholder": "announcements"}),
            "proactive_topic": forms.TextInput(attrs={"placeholder": "Tips for new members"}),
        }
        labels = {
            "response_mode": "When does the bot answer?",
            "smart_mode": "Smart mode: answer only when the bot can help",
            "channel_awareness": "Channel awareness: read the recent conversation in the channel",
            "feedback_buttons": "Feedback buttons: 👍 / 👎 under each answer",
            "thread_per_question": "Thread per question: answer in a thread started on the question",
            "solved_tag_name": "Solved tag name",
            "close_on_solved": "Close the post when solved",
            "moderation_enabled": "Moderate messages",
            "moderation_rules": "Rules",
            "moderation_delete": "Delete the message",
            "moderation_warn": "Warn the member",
            "moderation_timeout": "Time the member out",
            "moderation_kick": "Kick the member",
            "moderation_ban": "Ban the member",
            "moderation_dry_run": "Dry run: only log what the bot would do",
            "moderation_window_days": "Offences count on the ladder for (days)",
            "proactive_enabled": "Post proactive messages",
            "proactive_channel": "Channel name",
            "proactive_frequency": "How often",
            "proactive_topic": "Topic",
        }

    def __init__(self, *args: Any, channels: list[Channel] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channels = channels
        saved = [str(c) for c in self.instance.channel_ids or []]
        field: forms.Field
        if channels is not None:
            known = {c.id for c in channels}
            field = forms.MultipleChoiceField(
                required=False,
                choices=[(c.id, _choice_label(c)) for c in channels],
                widget=forms.CheckboxSelectMultiple,
                initial=[c for c in saved if c in known],
            )
            # Channels deleted in Discord since they were saved; dropped on the next save.
            self.stale_channel_ids = [c for c in saved if c not in known]
        else:
            field = forms.CharField(
                required=False,
                initial=" ".join(saved),
                widget=forms.TextInput(attrs={"placeholder": "123456789012345678 234567890123456789"}),
                help_text="Channel ids separated by spaces or commas (in Discord: right-click a channel, "
                "Copy Channel ID).",
            )
            self.stale_channel_ids = []
        field.label = "Channels to listen in, with their threads (none ticked: every channel)"
        self.fields["channels"] = field
        # A form posted without it (an older page, a script) keeps the default.
        self.fields["moderation_window_days"].required = False
        for name, saved_ids, label in (
            ("exempt_roles", self.instance.moderation_exempt_role_ids, "Roles never moderated"),
            ("exempt_channels", self.instance.moderation_exempt_channel_ids, "Channels never moderated"),
        ):
            self.fields[name] = forms.CharField(
                required=False,
                label=label,
                initial=" ".join(str(i) for i in saved_ids or []),
                widget=forms.TextInput(attrs={"placeholder": "123456789012345678"}),
                help_text="Ids separated by spaces (in Discord: right-click, Copy ID).",
            )

    def clean_channels(self) -> list[str]:
        if self.channels is not None:
            return list(self.cleaned_data.get("channels") or [])
        # The page may have offered checkboxes (several values) before Discord stopped answering.
        raw = " ".join(self.data.getlist("channels")) if hasattr(self.data, "getlist") else ""
        ids: list[str] = []
        for token in _SEPARATORS.split(raw.strip()):
            if not token:
                continue
            mention = _CHANNEL_MENTION.match(token)
            value = mention.group(1) if mention else token
            if not _CHANNEL_ID.match(value):
                raise forms.ValidationError(
                    f"“{token[:40]}” is not a channel id. Channel ids are numbers such as "
                    "123456789012345678 (in Discord: right-click a channel, Copy Channel ID)."
                )
            if value not in ids:
                ids.append(value)
        return ids

    def clean_exempt_roles(self) -> list[str]:
        return _typed_ids(self.cleaned_data.get("exempt_roles") or "", _ROLE_MENTION, "role")

    def clean_exempt_channels(self) -> list[str]:
        return _typed_ids(self.cleaned_data.get("exempt_channels") or "", _CHANNEL_MENTION, "channel")

    def clean_moderation_window_days(self) -> int:
        days = self.cleaned_data.get("moderation_window_days")
        if days is None:
            return DEFAULT_WINDOW_DAYS
        if not 1 <= days <= WINDOW_MAX_DAYS:
            raise forms.ValidationError(f"Between 1 and {WINDOW_MAX_DAYS} days.")
        return int(days)

    def clean_moderation_rules(self) -> str:
        rules = str(self.cleaned_data.get("moderation_rules") or "").strip()
        if len(rules) > RULES_MAX_LENGTH:
            raise forms.ValidationError(
                f"Rules are at most {RULES_MAX_LENGTH} characters (these are {len(rules)})."
            )
        return rules

    def clean_proactive_channel(self) -> str:
        name = str(self.cleaned_data.get("proactive_channel") or "").strip()
        if name.startswith("#"):
            name = name[1:].strip()
        if "#" in name or re.search(r"\s", name):
            raise forms.ValidationError(
                "Type the channel's name only, without '#' or spaces (Discord writes spaces as dashes: "
                "“product-tips”)."
            )
        return name

    def clean_solved_tag_name(self) -> str:
        name = " ".join(str(self.cleaned_data.get("solved_tag_name") or "").split())
        if len(name) > SOLVED_TAG_MAX_LENGTH:
            raise forms.ValidationError(
                f"Discord's forum tags are at most {SOLVED_TAG_MAX_LENGTH} characters (this is {len(name)})."
            )
        return name

    def clean_proactive_topic(self) -> str:
        return str(self.cleaned_data.get("proactive_topic") or "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("moderation_enabled"):
            if "moderation_rules" in data and not data["moderation_rules"]:
                self.add_error(
                    "moderation_rules",
                    "Write the rules the bot should enforce; moderation cannot start without them.",
                )
            actions = ("delete", "warn", "timeout", "kick", "ban")
            if not any(data.get(f"moderation_{a}") for a in actions) and not data.get("moderation_dry_run"):
                self.add_error(
                    None,
                    "Moderation is on but no action is: turn on at least one action (we suggest "
                    "starting with delete only), or dry run to only log what the bot would do.",
                )
        if data.get("proactive_enabled"):
            if "proactive_channel" in data and not data["proactive_channel"]:
                self.add_error("proactive_channel", "Name the channel the bot should post in.")
            if not data.get("proactive_topic"):
                self.add_error("proactive_topic", "Say what the bot should post about.")
            channel = data.get("proactive_channel")
            if channel and self.channels is not None:
                texts = [c for c in self.channels if c.kind == "text"]
                if channel.lower() not in {c.name.lower() for c in texts}:
                    listed = ", ".join(f"#{c.name}" for c in texts[:10]) or "none"
                    self.add_error(
                        "proactive_channel",
                        f"This server has no text channel named #{channel} (its channels: {listed}). "
                        "Create it in Discord first, or pick one of these.",
                    )
        return data

    def save(self, commit: bool = True) -> DiscordServer:
        server: DiscordServer = super().save(commit=False)
        server.channel_ids = self.cleaned_data["channels"]
        server.moderation_exempt_role_ids = self.cleaned_data["exempt_roles"]
        server.moderation_exempt_channel_ids = self.cleaned_data["exempt_channels"]
        if commit:
            # Only the settings: the gateway may be updating the name or status meanwhile.
            # ``updated_at`` (auto_now) is what tells the gateway to reload this server.
            server.save(update_fields=[*self.Meta.fields, *_TYPED_ID_FIELDS, "updated_at"])
        return server


def _typed_ids(raw: str, mention: re.Pattern[str], kind: str) -> list[str]:
    ids: list[str] = []
    for token in _SEPARATORS.split(raw.strip()):
        if not token:
            continue
        mentioned = mention.match(token)
        value = mentioned.group(1) if mentioned else token
        if not _CHANNEL_ID.match(value):
            raise forms.ValidationError(
                f"“{token[:40]}” is not a {kind} id. Ids are numbers such as 123456789012345678."
            )
        if value not in ids:
            ids.append(value)
    return ids


def _choice_label(channel: Channel) -> str:
    """#support, #help (forum: its posts), Support (category: its channels and their threads)."""
    if channel.kind == "forum":
        return f"#{channel.name} (forum: its posts)"
    if channel.kind == "category":
        return f"{channel.name} (category: its channels)"
    return f"#{channel.name}"
