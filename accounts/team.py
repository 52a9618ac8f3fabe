"""Workspace teams: inviting members by email, accepting invitations, removing members.

The dashboard views are thin adapters over these functions. Callers find the workspace
with ``get_workspace_for(request)`` first, so nothing here crosses workspaces.
"""

from __future__ import annotations

import enum
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import INVITATION_LIFETIME, Invitation, Membership, Workspace

logger = logging.getLogger(__name__)


class Refusal(enum.StrEnum):
    """Why an invitation cannot be accepted."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    WRONG_USER = "wrong_user"


class InvitationRefused(Exception):
    def __init__(self, reason: Refusal, invitation: Invitation | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.invitation = invitation


class LastOwnerError(Exception):
    """Removing this membership would leave the workspace without an owner."""


def is_owner(user: AbstractBaseUser, workspace: Workspace) -> bool:
    return Membership.objects.filter(
        user_id=user.pk, workspace=workspace, role=Membership.Role.OWNER
    ).exists()


def is_member_email(workspace: Workspace, email: str) -> bool:
    return Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists()


def invite_member(workspace: Workspace, email: str, *, invited_by: AbstractBaseUser) -> Invitation:
    """Create an invitation for ``email``. Earlier pending invitations for the same address
    are withdrawn, so only the newest link works. Does not send the email."""
    with transaction.atomic():
        Invitation.objects.filter(workspace=workspace, email__iexact=email, accepted_at__isnull=True).delete()
        return Invitation.objects.create(workspace=workspace, email=email, invited_by_id=invited_by.pk)


def send_invitation(invitation: Invitation, *, accept_url: str, inviter_name: str) -> bool:
    """Email the invitation with its ``accept_url`` (absolute). Never raises; returns False
    when the mail could not be handed to the mail server, so the caller can say so."""
    context = {
        "workspace": invitation.workspace,
        "inviter_name": inviter_name,
        "accept_url": accept_url,
        "lifetime_days": INVITATION_LIFETIME.days,
    }
    subject = "".join(render_to_string("accounts/invite_subject.txt", context).splitlines())
    body = render_to_string("accounts/invite_email.txt", context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    except Exception:
        logger.exception("could not send the invitation %s to %s", invitation.id, invitation.email)
        return False
    return True


def mail_unsent_reason() -> str:
    """Why invitation emails reach nobody, in plain words ("" when a mail server is set).

    Embedded mode writes mail as files (``EMAIL_FILE_PATH``, ``var/mail`` by default) and
    the console backend prints it: either way an invitee gets nothing unless the owner
    hands them the link."""
    backend = str(settings.EMAIL_BACKEND)
    if backend.endswith("filebased.EmailBackend"):
        return (
            "No mail server is configured (EMAIL_HOST is not set), so invitations are written as "
            f"files in {settings.EMAIL_FILE_PATH} on this machine, not emailed."
        )
    if backend.endswith("console.EmailBackend"):
        return "No mail server is configured: invitations are printed in the server's log, not emailed."
    return ""


def pending_invitations(workspace: Workspace) -> list[Invitation]:
    """Invitations not yet accepted and not yet expired, newest first."""
    cutoff = timezone.now() - INVITATION_LIFETIME
    return list(
        Invitation.objects.filter(
            workspace=workspace, accepted_at__isnull=True, created_at__gt=cutoff
        ).order_by("-created_at")
    )


def find_invitation(token: str) -> Invitation:
    """The invitation with ``token`` if it can still be accepted by someone; raises
    InvitationRefused (UNKNOWN, USED or EXPIRED) otherwise."""
    invitation = Invitation.objects.select_related("workspace").filter(token=token).first()
    if invitation is None:
        raise InvitationRefused(Refusal.UNKNOWN)
    if invitation.accepted_at is not None:
        raise InvitationRefused(Refusal.USED, invitation)
    if invitation.is_expired():
        raise InvitationRefused(Refusal.EXPIRED, invitation)
    return invitation


def check_invitee(invitation: Invitation, user: AbstractBaseUser) -> None:
    """Raise InvitationRefused(WRONG_USER) unless ``user``'s email is the invited address;
    a leaked link is useless to anyone else."""
    email = str(getattr(user, "email", "") or "")
    if email.lower() != invitation.email.lower():
        raise InvitationRefused(Refusal.WRONG_USER, invitation)


def accept_invitation(token: str, user: AbstractBaseUser) -> Membership:
    """Make ``user`` a member of the invitation's workspace and use the invitation up.

    The invitation is claimed with a conditional update, so two concurrent accepts use it
    once; a user who already belongs to the workspace keeps their membership (and role).
    Raises InvitationRefused when the token is unknown, used, expired or for someone else."""
    invitation = find_invitation(token)
    check_invitee(invitation, user)
    now = timezone.now()
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            id=invitation.id, accepted_at__isnull=True, created_at__gt=now - INVITATION_LIFETIME
        ).update(accepted_at=now, accepted_by_id=user.pk)
        if not claimed:
            # Someone accepted (or it expired) between the lookup and now.
            find_invitation(token)
            raise InvitationRefused(Refusal.USED, invitation)
        membership, _ = Membership.objects.get_or_create(
            user_id=user.pk,
            workspace_id=invitation.workspace_id,
            defaults={"role": Membership.Role.MEMBER},
        )
    return membership


def revoke_invitation(invitation: Invitation) -> None:
    invitation.delete()


def remove_member(membership: Membership) -> None:
    """Remove ``membership``; raises LastOwnerError rather than leave the workspace without
    an owner. The owners are locked first, so two owners removing each other at the same
    moment cannot both succeed."""
    with transaction.atomic():
        if membership.role == Membership.Role.OWNER:
            owners = list(
                Membership.objects.select_for_update()
                .filter(workspace_id=membership.workspace_id, role=Membership.Role.OWNER)
                .values_list("id", flat=True)
            )
            if owners == [membership.id] or not owners:
                raise LastOwnerError
        Membership.objects.filter(id=membership.id).delete()
