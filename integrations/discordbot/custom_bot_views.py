"""The custom bot page: the form with the three values from the Developer Portal, and the
views over ``custom_bot``'s actions (login_required; only ever the member's own
workspace's bot)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.actions import get_workspace_for
from accounts.models import Workspace
from integrations.discordbot.custom_bot import (
    CustomBotError,
    connect_custom_bot,
    custom_bot_of,
    endpoint_url,
    invite_permissions,
    invite_url,
    remove_custom_bot,
)
from integrations.discordbot.install import permission_names
from integrations.discordbot.models import BotApplication, DiscordServer

# Discord snowflakes are decimal numbers; every application id since 2015 has 17 to 20 digits.
_SNOWFLAKE = re.compile(r"^\d{17,20}$")
_HEX = re.compile(r"^[0-9a-f]*$")
PUBLIC_KEY_HEX_CHARS = 64  # an Ed25519 public key: 32 bytes
# Bot tokens are dot-separated base64url parts; anything else cannot be sent in a header.
_TOKEN = re.compile(r"^[A-Za-z0-9_.\-]+$")
TOKEN_MAX_LENGTH = 200


class CustomBotForm(forms.Form):
    """The three values from the Developer Portal. ``current`` is the saved custom bot: with
    the same application, an empty token field keeps its token."""

    application_id = forms.CharField(
        label="Application ID",
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
        help_text="General Information → Application ID.",
    )
    public_key = forms.CharField(
        label="Public Key",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="General Information → Public Key (64 characters).",
    )
    bot_token = forms.CharField(
        label="Bot Token",
        required=False,
        max_length=400,
        strip=True,
        # Never echoed back, not even after a validation error.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Bot → Reset Token. Stored encrypted; only its last 4 characters are ever shown.",
    )

    def __init__(self, *args: Any, current: BotApplication | None = None, **kwargs: Any) -> None:
        if current is not None:
            kwargs.setdefault(
                "initial", {"application_id": current.application_id, "public_key": current.public_key}
            )
        super().__init__(*args, **kwargs)
        self.current = current
        if current is not None:
            self.fields["bot_token"].help_text = (
                f"Saved: {current.token_hint}. Leave empty to keep it, or paste a new one "
                "(Bot → Reset Token)."
            )

    def clean_application_id(self) -> str:
        value = str(self.cleaned_data["application_id"]).strip()
        if not _SNOWFLAKE.match(value):
            raise forms.ValidationError(
                "The Application ID is a number of 17 to 20 digits: copy it from General Information "
                "→ Application ID in the Developer Portal."
            )
        return value

    def clean_public_key(self) -> str:
        value = "".join(str(self.cleaned_data["public_key"]).split()).lower()
        if len(value) != PUBLIC_KEY_HEX_CHARS:
            raise forms.ValidationError(
                f"The public key is {PUBLIC_KEY_HEX_CHARS} hexadecimal characters (32 bytes); this one "
                f"has {len(value)}. Copy it again from General Information → Public Key."
            )
        if not _HEX.match(value):
            raise forms.ValidationError(
                "The public key may contain only the digits 0 to 9 and the letters a to f. Copy it again "
                "from General Information → Public Key."
            )
        return value

    def clean_bot_token(self) -> str:
        value = str(self.cleaned_data["bot_token"])
        if value.startswith("Bot "):  # copied from a code sample
            value = value[4:].strip()
        if value and (len(value) > TOKEN_MAX_LENGTH or not _TOKEN.match(value)):
            raise forms.ValidationError(
                "That does not look like a bot token (one line of letters, digits, dots, dashes and "
                "underscores). Copy it again from Bot → Reset Token."
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        application_id = cleaned.get("application_id")
        if application_id and not cleaned.get("bot_token"):
            if self.current is None or self.current.application_id != application_id:
                self.add_error("bot_token", "Paste the bot token of this application (Bot → Reset Token).")
        return cleaned

    def token(self) -> str:
        """The token to check and save: the one typed, else the saved one. Call after is_valid()."""
        typed = str(self.cleaned_data.get("bot_token") or "")
        if typed:
            return typed
        assert self.current is not None  # clean() refused an empty token otherwise
        return self.current.bot_token


# --- views --------------------------------------------------------------------------------


def _page(
    request: HttpRequest, workspace: Workspace, current: BotApplication | None, form: CustomBotForm
) -> HttpResponse:
    context: dict[str, Any] = {
        "workspace": workspace,
        "bot": current,
        "form": form,
        "endpoint_url": endpoint_url(),
        "invite_url": invite_url(current.application_id) if current is not None else "",
        "invite_permissions": permission_names(invite_permissions()),
        "servers": (
            DiscordServer.objects.filter(application=current, workspace=workspace).order_by(
                "name", "guild_id"
            )
            if current is not None
            else DiscordServer.objects.none()
        ),
    }
    return render(request, "discord/custom_bot.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def custom_bot(request: HttpRequest) -> HttpResponse:
    """The workspace's custom bot: what is saved, where to paste what, and the form."""
    workspace = get_workspace_for(request)
    current = custom_bot_of(workspace)
    form = CustomBotForm(request.POST if request.method == "POST" else None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            saved = connect_custom_bot(
                workspace,
                application_id=form.cleaned_data["application_id"],
                public_key=form.cleaned_data["public_key"],
                token=form.token(),
            )
        except CustomBotError as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(
                request,
                f"Saved “{saved.app}”. The gateway connects it within a few seconds; now paste the "
                "Interactions Endpoint URL into the Developer Portal and invite the bot.",
            )
            for warning in saved.warnings:
                messages.warning(request, warning)
            return redirect("discord_custom_bot")
    return _page(request, workspace, current, form)


@login_required
@require_POST
def custom_bot_remove(request: HttpRequest) -> HttpResponse:
    """Remove the current workspace's custom bot (only ever its own: there is no id to pass)."""
    removed = remove_custom_bot(get_workspace_for(request))
    if removed is None:
        messages.info(request, "This workspace has no custom bot.")
    else:
        messages.success(
            request,
            f"Removed “{removed}”: the gateway disconnects it within a few seconds and it no longer "
            "answers in its servers. Its token was erased here; reset it in the Developer Portal too "
            "if you no longer use it.",
        )
    return redirect("discord_custom_bot")
