"""Forms for logging in, signing up and inviting team members."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.views.decorators.debug import sensitive_variables

from accounts import throttle
from accounts.models import Workspace
from accounts.signup import WORKSPACE_NAME_MAX
from accounts.team import is_member_email

if TYPE_CHECKING:
    _UserCreationForm = UserCreationForm[User]
else:  # the stubs make it generic; Django's class is not subscriptable at run time
    _UserCreationForm = UserCreationForm

# New accounts use their email address as username, so it must fit the username column.
EMAIL_MAX = User._meta.get_field("username").max_length or 150
THROTTLED = "throttled"


def username_for(identifier: str) -> str:
    """The username to authenticate: an email address (any case) when exactly one account
    has it, else ``identifier`` itself, taken as a username."""
    if "@" in identifier:
        names = list(
            User.objects.filter(email__iexact=identifier.strip()).values_list("username", flat=True)[:2]
        )
        if len(names) == 1:
            return names[0]
    return identifier


class LoginForm(AuthenticationForm):
    """Django's login form, by email or username, refusing every password (the right one
    too) while the account or the client's address has too many recent failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your email or username and password didn't match. Please try again.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email or username"

    @sensitive_variables("password")
    def clean(self) -> dict[str, Any]:
        identifier = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if identifier is None or not password:
            return self.cleaned_data
        username = username_for(identifier)
        ip = throttle.client_ip(self.request) if self.request is not None else "unknown"
        wait = throttle.login_wait(ip, username)
        if wait is not None:
            raise ValidationError(throttle.wait_message(wait), code=THROTTLED)
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            throttle.record_login_failure(ip, username)
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class AdminLoginForm(LoginForm, AdminAuthenticationForm):
    """The admin's login form (staff only), limited like the dashboard's."""

    error_messages = {**AdminAuthenticationForm.error_messages}


class SignUpForm(forms.Form):
    """The first step of signing up: only the address, which the next step is sent to."""

    email = forms.EmailField(
        label="Email",
        max_length=EMAIL_MAX,
        help_text="We will email you a link to choose your password and set up your workspace.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"])


class FinishSignUpForm(_UserCreationForm):
    """The second step, behind the emailed link: a name, the workspace and a password."""

    name = forms.CharField(
        label="Your name",
        max_length=User._meta.get_field("first_name").max_length or 150,
        strip=True,
        help_text="Shown to your team.",
        widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
    )
    workspace_name = forms.CharField(
        label="Workspace name",
        max_length=WORKSPACE_NAME_MAX,
        required=False,
        strip=True,
        help_text="Usually your team or Discord community. Leave it empty to name it after you.",
    )
    field_order = ["name", "workspace_name", "password1", "password2"]

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ()

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The password validators compare the password with these.
        self.instance.username = self.instance.email = email

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"])
        self.instance.first_name = name
        return name


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
