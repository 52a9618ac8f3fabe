"""Workspace membership: creating workspaces and finding the one a request works in.

Every dashboard view scopes its queries by ``get_workspace_for(request)``, so an object of
another workspace is simply not found (404) rather than checked case by case.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from accounts.models import Membership, Workspace

SESSION_KEY = "workspace_id"


def create_workspace_for(user: AbstractBaseUser, name: str, *, ai_instructions: str = "") -> Workspace:
    """Create a workspace with ``user`` as its owner."""
    with transaction.atomic():
        workspace = Workspace.objects.create(name=name, ai_instructions=ai_instructions)
        Membership.objects.create(user_id=user.pk, workspace=workspace, role=Membership.Role.OWNER)
    return workspace


def workspaces_of(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Workspace]:
    """The workspaces ``user`` belongs to, oldest membership first; none for anonymous users."""
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user_id=user.pk).order_by("memberships__created_at", "id")


def set_current_workspace(request: HttpRequest, workspace_id: int) -> Workspace:
    """Make ``workspace_id`` the request's current workspace; 404 unless the user is a member."""
    workspace = workspaces_of(request.user).filter(id=workspace_id).first()
    if workspace is None:
        raise Http404("No such workspace")
    request.session[SESSION_KEY] = workspace.id
    return workspace


def get_workspace_for(request: HttpRequest) -> Workspace:
    """The workspace this request works in: the one chosen in the session when the user is
    still a member of it, else the user's first. A signed-in user without any workspace
    gets one of their own (created here), so the dashboard always has something to show.
    Raises Http404 for anonymous requests (views are login_required, so that is a bug)."""
    user = request.user
    if not user.is_authenticated:
        raise Http404("No workspace")
    mine = workspaces_of(user)
    chosen = request.session.get(SESSION_KEY)
    if chosen is not None:
        workspace = mine.filter(id=chosen).first()
        if workspace is not None:
            return workspace
    workspace = mine.first()
    if workspace is None:
        workspace = create_workspace_for(user, f"{user.get_username()}'s workspace")
    request.session[SESSION_KEY] = workspace.id
    return workspace
