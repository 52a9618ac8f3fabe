"""Dashboard forms: the knowledge page's add and search forms, and the playground's.

Every message says what to do next; the knowledge actions re-check what matters
(file type and size, crawlable address) and their ``KnowledgeError`` sentences are shown
on the field they concern.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet

from accounts.models import Workspace
from integrations.discordbot.models import DiscordServer
from knowledge.extract import SUPPORTED_FILE_EXTENSIONS

MAX_QUESTION_LENGTH = 2000
MAX_TITLE_LENGTH = 300  # KnowledgeSource.title
MAX_URL_LENGTH = 2000  # KnowledgeSource.url
# Discord's longest message (with Nitro); a pasted message longer than this never existed.
MAX_MESSAGE_LENGTH = 4000
MAX_RULES_LENGTH = 10_000

SUPPORTED_FILES = ", ".join(f".{ext}" for ext in SUPPORTED_FILE_EXTENSIONS)


class PlaygroundForm(forms.Form):
    """A question asked the way a Discord member would ask it."""

    question = forms.CharField(
        max_length=MAX_QUESTION_LENGTH,
        strip=True,
        error_messages={"required": "Write a question, the way a member of your server would ask it."},
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": "Ask a question as a member of your server would…",
                "autofocus": True,
            }
        ),
    )


class TextSourceForm(forms.Form):
    """A text or FAQ entry."""

    title = forms.CharField(
        required=False,
        max_length=MAX_TITLE_LENGTH,
        strip=True,
        help_text="Optional: the first line is used when empty.",
        widget=forms.TextInput(attrs={"placeholder": "Refund policy"}),
    )
    text = forms.CharField(
        strip=True,
        error_messages={"required": "Write the answer or FAQ you want the bot to know, then add it."},
        widget=forms.Textarea(
            attrs={"rows": 6, "placeholder": "Q: How long do refunds take?\nA: Five business days."}
        ),
    )

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        limit = settings.KNOWLEDGE_MAX_UPLOAD_BYTES
        size = len(text.encode())
        if size > limit:
            raise forms.ValidationError(
                f"This text is {_megabytes(size)}; the most one entry can hold is {_megabytes(limit)}. "
                "Split it into several entries, or upload it as a file."
            )
        return text


class FileSourceForm(forms.Form):
    """An uploaded document. Type and size are checked by ``add_file_source``."""

    file = forms.FileField(
        allow_empty_file=False,
        error_messages={
            "required": f"Choose a file to upload ({SUPPORTED_FILES}).",
            "empty": "This file is empty; choose a file that has text in it.",
            "invalid": "No file was received; choose the file again.",
        },
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(f".{e}" for e in SUPPORTED_FILE_EXTENSIONS)}
        ),
    )
    title = forms.CharField(
        required=False,
        max_length=MAX_TITLE_LENGTH,
        strip=True,
        help_text="Optional: the file name is used when empty.",
    )


class UrlSourceForm(forms.Form):
    """A web page, or a sitemap whose pages are all crawled."""

    PAGE, SITEMAP = "page", "sitemap"

    url = forms.URLField(
        label="Address",
        max_length=MAX_URL_LENGTH,
        assume_scheme="https",
        error_messages={
            "required": "Write the address of the page or sitemap, like https://example.com/help.",
            "invalid": "That is not a web address; write the full address, like https://example.com/help.",
        },
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/help", "inputmode": "url"}),
    )
    kind = forms.ChoiceField(
        label="What is it?",
        choices=[(PAGE, "One page"), (SITEMAP, "A sitemap: every page it lists")],
        initial=PAGE,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether this is one page or a sitemap."},
    )

    @property
    def is_sitemap(self) -> bool:
        return bool(self.cleaned_data.get("kind") == self.SITEMAP)


class KnowledgeSearchForm(forms.Form):
    """What a member might ask; shows what the bot would read before answering."""

    q = forms.CharField(
        label="Question",
        max_length=MAX_QUESTION_LENGTH,
        strip=True,
        error_messages={"required": "Type a question to see what the bot would retrieve for it."},
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "How long do refunds take?"}),
    )


if TYPE_CHECKING:
    _ModelChoiceField = forms.ModelChoiceField[DiscordServer]
else:  # the stubs make it generic; Django's class is not subscriptable at run time
    _ModelChoiceField = forms.ModelChoiceField


class _ServerChoiceField(_ModelChoiceField):
    def label_from_instance(self, obj: DiscordServer) -> str:
        label = obj.name or obj.guild_id
        return label if obj.connected else f"{label} (left)"


class ModerationCheckForm(forms.Form):
    """A message to check against a server's moderation rules, or against rules typed here.

    The server choices are the workspace's servers only, so another workspace's server id
    is simply not a valid choice.
    """

    message = forms.CharField(
        label="Message",
        max_length=MAX_MESSAGE_LENGTH,
        strip=True,
        error_messages={"required": "Paste the message you want to check."},
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Paste a member's message…"}),
    )
    server = _ServerChoiceField(
        label="Check against the rules of",
        queryset=DiscordServer.objects.none(),
        required=False,
        empty_label="Rules typed below",
        error_messages={
            "invalid_choice": "That server is not one of this workspace's; pick one from the list."
        },
    )
    rules = forms.CharField(
        label="Rules",
        required=False,
        max_length=MAX_RULES_LENGTH,
        strip=True,
        help_text="One rule per line. Used when no server is picked.",
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "No advertising or invite links.\nNo swearing or profanity."}
        ),
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        servers = self.servers_of(workspace)
        field = self.fields["server"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = servers
        self.has_servers = servers.exists()
        if self.has_servers and not self.is_bound:
            self.initial.setdefault("server", servers.first())

    @staticmethod
    def servers_of(workspace: Workspace) -> QuerySet[DiscordServer]:
        return DiscordServer.objects.filter(workspace=workspace).order_by("name", "guild_id")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.has_error("server") or self.has_error("rules"):
            return cleaned
        if cleaned.get("server") is None and not cleaned.get("rules"):
            hint = "pick one of your servers, or type" if self.has_servers else "type"
            self.add_error("rules", f"There are no rules to check against: {hint} the rules, one per line.")
        return cleaned


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
