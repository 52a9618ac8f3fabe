"""Signing up by email: the address is proven before an account exists, and the answer
never says whether it is registered already.

The first step takes an address and always answers "check your email". A new address is
sent a signed link (nothing is stored until it is opened); a registered one is sent a note
telling its owner that someone tried, with links to log in and to reset the password.
Behind the link, the second step creates the account, with the email address as its
username (so no username can turn out to be taken either), and the workspace it owns.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.actions import create_workspace_for
from accounts.models import Workspace

logger = logging.getLogger(__name__)

SIGNUP_LINK_LIFETIME = timedelta(days=2)
_SALT = "accounts.signup"
WORKSPACE_NAME_MAX = Workspace._meta.get_field("name").max_length or 100


class LinkRefusal(enum.StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    REGISTERED = "registered"


class LinkRefused(Exception):
    def __init__(self, reason: LinkRefusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class SignUpLink:
    """What a sign-up link proves: whoever opens it reads mail sent to ``email``."""

    email: str
    next_url: str = ""


def is_registered(email: str) -> bool:
    return User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists()


def start_sign_up(email: str, *, next_url: str, absolute_url: Callable[[str], str]) -> bool:
    """Email ``email`` the next step: a sign-up link when no account has the address, else
    a note to the account's owner. ``absolute_url`` turns a path into a full link and
    ``next_url`` (already checked to be local) is where the new account lands.

    Never raises; returns False when the mail could not be handed to the mail server. Both
    branches send one email, so the outcome (and the caller's answer) is the same whether
    or not the address is registered."""
    existing = User.objects.filter(email__iexact=email).order_by("id").first()
    recipient = existing.email if existing is not None else email
    if existing is not None or is_registered(email):
        login_path = reverse("login") + (f"?{urlencode({'next': next_url})}" if next_url else "")
        context: dict[str, object] = {
            "name": (existing.get_full_name() or existing.get_username()) if existing else "",
            "login_url": absolute_url(login_path),
            "reset_url": absolute_url(reverse("password_reset")),
        }
        template = "signup_exists"
    else:
        token = signing.dumps({"email": email, "next": next_url}, salt=_SALT)
        context = {
            "finish_url": absolute_url(reverse("signup_finish", args=[token])),
            "lifetime_days": SIGNUP_LINK_LIFETIME.days,
        }
        template = "signup"
    subject = "".join(render_to_string(f"accounts/{template}_subject.txt", context).splitlines())
    body = render_to_string(f"accounts/{template}_email.txt", context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    except Exception:
        logger.exception("could not send the sign-up email to %s", recipient)
        return False
    return True


def read_link(token: str) -> SignUpLink:
    """The link behind ``token``; raises LinkRefused when it is forged or too old, or when
    its address has an account by now (it was used, or signed up another way)."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=SIGNUP_LINK_LIFETIME)
    except signing.SignatureExpired:
        raise LinkRefused(LinkRefusal.EXPIRED) from None
    except signing.BadSignature:
        raise LinkRefused(LinkRefusal.INVALID) from None
    link = SignUpLink(email=str(data["email"]), next_url=str(data.get("next") or ""))
    if is_registered(link.email):
        raise LinkRefused(LinkRefusal.REGISTERED)
    return link


def default_workspace_name(name: str) -> str:
    return f"{name}'s workspace"[:WORKSPACE_NAME_MAX]


def finish_sign_up(
    link: SignUpLink, *, name: str, password: str, workspace_name: str
) -> tuple[User, Workspace]:
    """Create the account of ``link``'s address and the workspace it owns. Raises
    LinkRefused(REGISTERED) when the address got an account meanwhile (two tabs, or the
    same link twice at once: the username is unique, so only one wins)."""
    try:
        with transaction.atomic():
            if is_registered(link.email):
                raise LinkRefused(LinkRefusal.REGISTERED)
            user = User.objects.create_user(link.email, link.email, password, first_name=name)
            workspace = create_workspace_for(user, workspace_name or default_workspace_name(name))
    except IntegrityError:
        raise LinkRefused(LinkRefusal.REGISTERED) from None
    return user, workspace
