"""Account URLs: sign-up, password reset by email, the team page and invitations.

Included at the site root next to ``accounts.urls`` (which has log in and log out).
"""

from __future__ import annotations

from django.contrib.auth import views as django_auth
from django.urls import path, reverse_lazy

from accounts import auth_views

urlpatterns = [
    path("signup/", auth_views.signup, name="signup"),
    path("signup/<str:token>/", auth_views.signup_finish, name="signup_finish"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        django_auth.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        django_auth.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        django_auth.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("team/", auth_views.team, name="team"),
    path("team/invite/", auth_views.team_invite, name="team_invite"),
    path("team/members/<int:membership_id>/remove/", auth_views.team_remove, name="team_remove"),
    path(
        "team/invitations/<int:invitation_id>/withdraw/",
        auth_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invite/<str:token>/", auth_views.invite_accept, name="invite_accept"),
]
