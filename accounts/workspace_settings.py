"""The workspace settings page: its name, the AI's instructions and escalation (who is
emailed when a member asks for a person). Everyone in the workspace can read it; owners
change it. On a plan without escalation its fields are shown locked, with the plan it
needs: visible, so the owner knows it exists, but not changed by a post."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.actions import get_workspace_for
from accounts.auth_views import _not_owner
from accounts.models import Workspace
from accounts.team import is_owner
from usage.plans import plan_allows

ESCALATION_FIELDS = ("escalation_enabled", "escalation_email")


class WorkspaceSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Workspace
        fields = ["name", "ai_instructions", "escalation_enabled", "escalation_email"]
        labels = {
            "name": "Workspace name",
            "ai_instructions": "Instructions for the AI",
            "escalation_enabled": "Tell the team when a member asks for a person",
            "escalation_email": "Escalation email address",
        }
        help_texts = {
            "ai_instructions": (
                "Tone and rules for every answer, e.g. “Be brief. Never promise refunds.” "
                "<strong>Not a secret:</strong> a member who asks the bot to reveal "
                "its instructions may be shown them word for word, so never put passwords, API keys, "
                "discount codes or internal links here."
            ),
            "escalation_email": "At most one email per conversation every 30 minutes, with a link.",
        }
        widgets = {"ai_instructions": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: object, locked: str = "", **kwargs: object) -> None:
        """``locked``: why escalation cannot be used on this plan ("" when it can)."""
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.escalation_locked = locked
        if locked:
            for name in ESCALATION_FIELDS:
                # Disabled fields keep the saved value whatever is posted.
                self.fields[name].disabled = True

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not self.escalation_locked and data.get("escalation_enabled") and not data.get("escalation_email"):
            self.add_error("escalation_email", "Give the address to email, or turn escalation off.")
        return data


@login_required
@require_http_methods(["GET", "POST"])
def workspace_settings(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    owner = is_owner(request.user, workspace)  # type: ignore[arg-type]
    escalation = plan_allows(workspace, "escalation")
    form = WorkspaceSettingsForm(
        request.POST if request.method == "POST" else None, instance=workspace, locked=escalation.reason
    )
    if request.method == "POST":
        if not owner:
            return _not_owner(request, workspace, "change the workspace settings")
        if form.is_valid():
            form.save()
            messages.success(request, "Saved. The bot uses these settings within seconds.")
            return redirect("workspace_settings")
    context = {"workspace": workspace, "form": form, "owner": owner, "escalation_locked": escalation.reason}
    return render(request, "accounts/workspace_settings.html", context)
