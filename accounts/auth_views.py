"""Logging in, signing up, password reset, the team page and invitations.

Log in and password reset are Django's own views with the limits of ``accounts.throttle``
added; log out is Django's. Sign-up goes through ``accounts.signup``. Team views scope
every lookup by ``get_workspace_for(request)``: an id of another workspace is not found
(404); a plain member of this workspace is refused (403).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import login
from django.contrib.auth import views as django_auth
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts import throttle
from accounts.actions import get_workspace_for, set_current_workspace
from accounts.auth_forms import THROTTLED, FinishSignUpForm, InviteForm, LoginForm, SignUpForm
from accounts.models import INVITATION_LIFETIME, Invitation, Membership, Workspace
from accounts.signup import (
    SIGNUP_LINK_LIFETIME,
    LinkRefusal,
    LinkRefused,
    finish_sign_up,
    read_link,
    start_sign_up,
)
from accounts.team import (
    InvitationRefused,
    LastOwnerError,
    Refusal,
    accept_invitation,
    check_invitee,
    find_invitation,
    invite_member,
    is_owner,
    mail_unsent_reason,
    pending_invitations,
    remove_member,
    revoke_invitation,
    send_invitation,
)

# Too Many Requests: the page says how long to wait.
THROTTLED_STATUS = 429

# Unknown tokens and invitations meant for someone else are "not found", like any object of
# a workspace the visitor does not belong to; used and expired ones existed but are gone.
REFUSAL_STATUS = {
    Refusal.UNKNOWN: 404,
    Refusal.WRONG_USER: 404,
    Refusal.USED: 410,
    Refusal.EXPIRED: 410,
}


def _safe_next(request: HttpRequest) -> str:
    """The ``next`` parameter when it points into this site, else ''."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _signed_in(request: HttpRequest) -> AbstractBaseUser:
    """The request's user; only call behind login_required."""
    user = request.user
    if not isinstance(user, AbstractBaseUser):
        raise PermissionDenied("sign in first")
    return user


class LoginView(django_auth.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form: auth_forms.AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, THROTTLED):
            response.status_code = THROTTLED_STATUS
        return response


class PasswordResetView(django_auth.PasswordResetView):
    """Django's reset view (neutral: the same answer whether or not an account has the
    address), limited per client address and per recipient."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: auth_forms.PasswordResetForm) -> HttpResponse:
        ip, email = throttle.client_ip(self.request), form.cleaned_data["email"]
        wait = throttle.spend_request(ip, "password_reset", email)
        if wait is not None:
            form.add_error(None, throttle.wait_message(wait))
            return self.render_to_response(self.get_context_data(form=form), status=THROTTLED_STATUS)
        return super().form_valid(form)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Step one: an email address. The answer is "check your email" whether or not the
    address has an account (its owner gets a note instead of a link)."""
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or "home")
    if request.method == "POST":
        form = SignUpForm(request.POST)
        if form.is_valid():
            email = form.cleaned_data["email"]
            wait = throttle.spend_request(throttle.client_ip(request), "signup", email)
            if wait is not None:
                form.add_error(None, throttle.wait_message(wait))
                context = {"form": form, "next": next_url}
                return render(request, "accounts/signup.html", context, status=THROTTLED_STATUS)
            sent = start_sign_up(email, next_url=next_url, absolute_url=request.build_absolute_uri)
            context = {
                "email": email,
                "sent": sent,
                "lifetime_days": SIGNUP_LINK_LIFETIME.days,
                "mail_saved_to_files": settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"),
            }
            return render(request, "accounts/signup_sent.html", context, status=200 if sent else 503)
    else:
        form = SignUpForm(initial={"email": request.GET.get("email", "")})
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


@require_http_methods(["GET", "POST"])
def signup_finish(request: HttpRequest, token: str) -> HttpResponse:
    """Step two, behind the emailed link: choose a name, workspace and password; the new
    owner is logged in at once."""
    try:
        link = read_link(token)
    except LinkRefused as refused:
        return _link_refused(request, refused)
    if request.method == "POST":
        form = FinishSignUpForm(request.POST, email=link.email)
        if form.is_valid():
            try:
                user, workspace = finish_sign_up(
                    link,
                    name=form.cleaned_data["name"],
                    password=form.cleaned_data["password1"],
                    workspace_name=form.cleaned_data["workspace_name"],
                )
            except LinkRefused as refused:
                return _link_refused(request, refused)
            login(request, user)
            set_current_workspace(request, workspace.id)
            messages.success(request, f"Welcome! Your workspace “{workspace.name}” is ready.")
            return redirect(link.next_url or "home")
    else:
        form = FinishSignUpForm(email=link.email)
    return render(request, "accounts/signup_finish.html", {"form": form, "email": link.email})


def _link_refused(request: HttpRequest, refused: LinkRefused) -> HttpResponse:
    status = 404 if refused.reason == LinkRefusal.INVALID else 410
    return render(
        request, "accounts/signup_link_refused.html", {"reason": refused.reason.value}, status=status
    )


@login_required
def team(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    return _render_team(request, workspace, InviteForm(workspace=workspace))


@login_required
@require_POST
def team_invite(request: HttpRequest) -> HttpResponse:
    workspace = get_workspace_for(request)
    user = _signed_in(request)
    if not is_owner(user, workspace):
        return _not_owner(request, workspace, "invite members")
    form = InviteForm(request.POST, workspace=workspace)
    if not form.is_valid():
        return _render_team(request, workspace, form)
    invitation = invite_member(workspace, form.cleaned_data["email"], invited_by=user)
    accept_url = request.build_absolute_uri(reverse("invite_accept", args=[invitation.token]))
    inviter_name = getattr(user, "get_full_name", lambda: "")() or user.get_username()
    sent = send_invitation(invitation, accept_url=accept_url, inviter_name=inviter_name)
    if sent and mail_unsent_reason():
        messages.warning(
            request,
            f"Invitation for {invitation.email} saved, but no mail server is configured, so nobody "
            "emails it: copy its link below and send it to them yourself.",
        )
    elif sent:
        messages.success(
            request,
            f"Invitation sent to {invitation.email}. The link in it works for "
            f"{INVITATION_LIFETIME.days} days.",
        )
    else:
        messages.error(
            request,
            f"The invitation for {invitation.email} was saved, but the email could not be sent. "
            f"Send them this link yourself: {accept_url} — or check the email settings "
            "(EMAIL_HOST and friends) and invite them again.",
        )
    return redirect("team")


@login_required
@require_POST
def team_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    workspace = get_workspace_for(request)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), id=membership_id, workspace=workspace
    )
    user = _signed_in(request)
    if not is_owner(user, workspace):
        return _not_owner(request, workspace, "remove members")
    name = membership.user.get_username()
    try:
        remove_member(membership)
    except LastOwnerError:
        messages.error(
            request,
            f"{name} is the only owner of {workspace.name}, and a workspace always needs an owner. "
            "Make another member an owner first (in the admin, under Memberships), then try again.",
        )
        return redirect("team")
    if membership.user_id == user.pk:
        messages.success(request, f"You left {workspace.name}.")
        return redirect("home")
    messages.success(request, f"Removed {name} from {workspace.name}.")
    return redirect("team")


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    workspace = get_workspace_for(request)
    invitation = get_object_or_404(
        Invitation, id=invitation_id, workspace=workspace, accepted_at__isnull=True
    )
    if not is_owner(_signed_in(request), workspace):
        return _not_owner(request, workspace, "withdraw invitations")
    revoke_invitation(invitation)
    messages.success(request, f"Withdrew the invitation for {invitation.email}; its link no longer works.")
    return redirect("team")


@require_http_methods(["GET", "POST"])
def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the invitation (and, to visitors, how to log in or sign up first);
    POST accepts it for the signed-in user."""
    try:
        invitation = find_invitation(token)
        if request.user.is_authenticated:
            check_invitee(invitation, _signed_in(request))
    except InvitationRefused as refused:
        return _refused(request, refused)
    here = request.path
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(here)
        context = {
            "invitation": invitation,
            "login_url": f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': here})}",
            "signup_url": f"{reverse('signup')}?{urlencode({'next': here, 'email': invitation.email})}",
        }
        return render(request, "accounts/invite_accept.html", context)
    user = _signed_in(request)
    if request.method == "POST":
        try:
            accept_invitation(token, user)
        except InvitationRefused as refused:
            return _refused(request, refused)
        set_current_workspace(request, invitation.workspace_id)
        messages.success(request, f"You are now a member of {invitation.workspace.name}.")
        return redirect("home")
    already_member = Membership.objects.filter(user_id=user.pk, workspace=invitation.workspace).exists()
    return render(
        request, "accounts/invite_accept.html", {"invitation": invitation, "already_member": already_member}
    )


def _render_team(request: HttpRequest, workspace: Workspace, form: InviteForm) -> HttpResponse:
    user = _signed_in(request)
    owner = is_owner(user, workspace)
    members = list(
        Membership.objects.filter(workspace=workspace).select_related("user").order_by("created_at", "id")
    )
    context = {
        "workspace": workspace,
        "members": members,
        "is_owner": owner,
        "owner_count": sum(1 for m in members if m.role == Membership.Role.OWNER),
        "invite_form": form,
        # Each pending invitation with the link to copy (the owner may send it themselves).
        "invitations": [
            (invitation, request.build_absolute_uri(reverse("invite_accept", args=[invitation.token])))
            for invitation in (pending_invitations(workspace) if owner else [])
        ],
        "mail_unsent": mail_unsent_reason(),
        "lifetime_days": INVITATION_LIFETIME.days,
    }
    return render(request, "accounts/team.html", context)


def _not_owner(request: HttpRequest, workspace: Workspace, action: str) -> HttpResponse:
    owners = (
        Membership.objects.filter(workspace=workspace, role=Membership.Role.OWNER)
        .select_related("user")
        .order_by("created_at", "id")
    )
    context = {"workspace": workspace, "action": action, "owners": [m.user for m in owners]}
    return render(request, "accounts/not_owner.html", context, status=403)


def _refused(request: HttpRequest, refused: InvitationRefused) -> HttpResponse:
    invitation = refused.invitation
    accepted_by_you = (
        invitation is not None
        and request.user.is_authenticated
        and invitation.accepted_by_id == request.user.pk
    )
    context = {
        "reason": refused.reason.value,
        "invitation": invitation,
        "accepted_by_you": accepted_by_you,
        "here": request.path,
    }
    return render(request, "accounts/invite_refused.html", context, status=REFUSAL_STATUS[refused.reason])
