"""Forms for signing up and inviting team members."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from accounts.models import Workspace
from accounts.team import is_member_email

if TYPE_CHECKING:
    _UserCreationForm = UserCreationForm[User]
else:  # the stubs make it generic; Django's class is not subscriptable at run time
    _UserCreationForm = UserCreationForm

WORKSPACE_NAME_MAX = Workspace._meta.get_field("name").max_length or 100


def default_workspace_name(username: str) -> str:
    return f"{username}'s workspace"[:WORKSPACE_NAME_MAX]


class SignUpForm(_UserCreationForm):
    """Django's sign-up form plus a required email (unique, ignoring case) and the name of
    the workspace the new account owns."""

    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="Used to reset your password and to receive invitations.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    workspace_name = forms.CharField(
        label="Workspace name",
        max_length=WORKSPACE_NAME_MAX,
        required=False,
        strip=True,
        help_text="Usually your team or Discord community. Leave it empty to name it after your username.",
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account already uses this email address. Log in instead, or reset your "
                "password if you have forgotten it."
            )
        return email

    def chosen_workspace_name(self) -> str:
        return self.cleaned_data.get("workspace_name") or default_workspace_name(
            self.cleaned_data["username"]
        )


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@example.org"}),
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if is_member_email(self.workspace, email):
            raise forms.ValidationError(f"{email} is already a member of this workspace.")
        return email
