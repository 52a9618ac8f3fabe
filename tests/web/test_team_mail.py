"""The team page without a mail server: it says invitations are not emailed (files in the
mail folder instead) and offers each invitation's link to copy; with one, it does not."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts.models import Invitation, Workspace
from accounts.team import invite_member, mail_unsent_reason


@pytest.fixture
def file_mail(settings: Any, tmp_path: Path) -> Path:
    """Embedded mode's mail: files in a folder, as when EMAIL_HOST is not set."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return settings.EMAIL_FILE_PATH


def team_page(client: Client) -> str:
    return html.unescape(client.get(reverse("team")).content.decode())


def test_without_a_mail_server_the_team_page_says_invitations_are_files(
    alice_client: Client, file_mail: Path
) -> None:
    text = team_page(alice_client)
    assert "No mail server is configured (EMAIL_HOST is not set)" in text
    assert f"written as files in {file_mail}" in text
    assert "set EMAIL_HOST" in text


def test_an_invitation_made_without_a_mail_server_offers_its_link_to_copy(
    alice_client: Client, workspace: Workspace, file_mail: Path
) -> None:
    response = alice_client.post(reverse("team_invite"), {"email": "carol@example.org"}, follow=True)
    text = html.unescape(response.content.decode())
    invitation = Invitation.objects.get()
    assert "no mail server is configured, so nobody emails it: copy its link below" in text
    assert "Invitation sent to" not in text
    link = f"http://testserver/invite/{invitation.token}/"
    assert f'value="{link}" readonly' in text
    assert f'data-copy="invite-link-{invitation.id}"' in text
    assert [path.read_text().count(link) > 0 for path in file_mail.iterdir()] == [True]


def test_with_a_mail_server_there_is_no_warning_but_the_link_is_still_there(
    alice_client: Client, alice: User, workspace: Workspace, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    invitation = invite_member(workspace, "carol@example.org", invited_by=alice)
    text = team_page(alice_client)
    assert "No mail server is configured" not in text
    assert f"http://testserver/invite/{invitation.token}/" in text
    assert mail_unsent_reason() == ""


def test_a_plain_member_sees_no_invitation_links(alice: User, workspace: Workspace, file_mail: Path) -> None:
    from accounts.models import Membership

    invitation = invite_member(workspace, "carol@example.org", invited_by=alice)
    dan = User.objects.create_user("dan", "dan@example.org", "pw")
    Membership.objects.create(user=dan, workspace=workspace, role=Membership.Role.MEMBER)
    client = Client()
    client.force_login(dan)
    assert invitation.token not in team_page(client)


def test_another_workspaces_invitation_links_are_never_shown(
    bob_client: Client, alice: User, workspace: Workspace, file_mail: Path
) -> None:
    invitation = invite_member(workspace, "carol@example.org", invited_by=alice)
    assert invitation.token not in team_page(bob_client)
