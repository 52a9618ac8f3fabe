"""Accounts: sign-up, password reset by email, the team page and invitations."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import team
from accounts.actions import SESSION_KEY
from accounts.models import Invitation, Membership, Workspace
from accounts.team import InvitationRefused, Refusal, accept_invitation, invite_member

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a much better staple 42"
LINK = re.compile(r"http://testserver(/\S+)")


def _finish_data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Dora Explorer",
        "workspace_name": "Dora's Dungeon",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def _link_in(message: Any) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def _sign_up_link(
    client: Client, mailoutbox: list[Any], email: str = "dora@example.org", next: str = ""
) -> str:
    """Ask to sign up with ``email`` and return the path of the link it was sent."""
    url = reverse("signup") + (f"?next={next}" if next else "")
    client.post(url, {"email": email})
    assert mailoutbox[-1].to == [email]
    return _link_in(mailoutbox[-1])


@pytest.fixture
def carol(db: None) -> User:
    """Someone with an account but no membership in the fixtures' workspaces."""
    return User.objects.create_user("carol", "carol@example.org", PASSWORD)


@pytest.fixture
def carol_client(carol: User) -> Client:
    client = Client()
    client.force_login(carol)
    return client


@pytest.fixture
def invitation(alice: User, workspace: Workspace) -> Invitation:
    return invite_member(workspace, "carol@example.org", invited_by=alice)


@pytest.fixture
def member_client(alice: User, workspace: Workspace) -> Client:
    """A plain (non-owner) member of Alice's workspace."""
    user = User.objects.create_user("mo", "mo@example.org", PASSWORD)
    Membership.objects.create(user=user, workspace=workspace, role=Membership.Role.MEMBER)
    client = Client()
    client.force_login(user)
    return client


# --- Sign-up ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_up_emails_a_link_to_a_new_address_and_creates_nothing_yet(
    client: Client, mailoutbox: list[Any]
) -> None:
    response = client.post(reverse("signup"), {"email": "dora@example.org"})

    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert [m.to for m in mailoutbox] == [["dora@example.org"]]
    assert "http://testserver/signup/" in mailoutbox[0].body
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_sign_up_link_creates_the_account_and_its_workspace_and_logs_in(
    client: Client, mailoutbox: list[Any]
) -> None:
    link = _sign_up_link(client, mailoutbox)
    assert "Your name" in client.get(link).content.decode()

    response = client.post(link, _finish_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = User.objects.get()
    assert (user.username, user.email, user.get_full_name()) == (
        "dora@example.org",
        "dora@example.org",
        "Dora Explorer",
    )
    assert user.check_password(PASSWORD)
    memberships = list(Membership.objects.filter(user=user).select_related("workspace"))
    assert [(m.workspace.name, m.role) for m in memberships] == [("Dora's Dungeon", Membership.Role.OWNER)]
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session[SESSION_KEY] == memberships[0].workspace_id
    assert "Dora&#x27;s Dungeon" in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_sign_up_without_a_workspace_name_names_it_after_the_person(
    client: Client, mailoutbox: list[Any]
) -> None:
    client.post(_sign_up_link(client, mailoutbox), _finish_data(workspace_name=""))

    assert list(Workspace.objects.values_list("name", flat=True)) == ["Dora Explorer's workspace"]


def test_sign_up_with_a_registered_address_answers_exactly_as_for_a_new_one(alice: User) -> None:
    registered = Client().post(reverse("signup"), {"email": "alice@example.org"})
    new = Client().post(reverse("signup"), {"email": "nobody@example.org"})

    assert registered.status_code == new.status_code == 200
    registered_page = registered.content.decode().replace("alice@example.org", "ADDRESS")
    assert registered_page == new.content.decode().replace("nobody@example.org", "ADDRESS")


def test_sign_up_with_a_registered_address_emails_its_owner_instead(
    client: Client, alice: User, mailoutbox: list[Any]
) -> None:
    client.post(reverse("signup"), {"email": "ALICE@Example.org"})

    assert len(mailoutbox) == 1
    note = mailoutbox[0]
    assert note.to == ["alice@example.org"]
    assert "Someone tried to sign up with your address" in note.subject
    assert "http://testserver/login/" in note.body
    assert "http://testserver/password-reset/" in note.body
    assert "/signup/" not in note.body
    assert User.objects.count() == 1
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_sign_up_requires_an_email(client: Client, mailoutbox: list[Any]) -> None:
    response = client.post(reverse("signup"), {"email": ""})

    assert response.status_code == 200
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_failed_finish_creates_no_account_and_no_workspace(client: Client, mailoutbox: list[Any]) -> None:
    link = _sign_up_link(client, mailoutbox)

    response = client.post(link, _finish_data(password2="something else entirely"))

    assert response.status_code == 200
    assert not User.objects.exists()
    assert not Workspace.objects.exists()


@pytest.mark.django_db
def test_a_sign_up_link_for_an_address_registered_since_sends_the_visitor_to_log_in(
    client: Client, mailoutbox: list[Any]
) -> None:
    link = _sign_up_link(client, mailoutbox)
    User.objects.create_user("dora", "Dora@example.org", PASSWORD)

    response = client.post(link, _finish_data())

    assert response.status_code == 410
    assert "already has an account" in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_a_used_sign_up_link_cannot_make_a_second_account(client: Client, mailoutbox: list[Any]) -> None:
    link = _sign_up_link(client, mailoutbox)
    client.post(link, _finish_data())

    Client().post(link, _finish_data(name="Someone Else"))

    assert User.objects.count() == 1
    assert Workspace.objects.count() == 1


@pytest.mark.django_db
def test_a_tampered_sign_up_link_is_refused(client: Client, mailoutbox: list[Any]) -> None:
    link = _sign_up_link(client, mailoutbox)
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = link.replace(token, "x" + token[1:])

    response = client.post(forged, _finish_data())

    assert response.status_code == 404
    assert not User.objects.exists()


@pytest.mark.django_db
def test_an_expired_sign_up_link_is_refused(
    client: Client, mailoutbox: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    link = _sign_up_link(client, mailoutbox)
    later = time.time() + 3 * 24 * 3600
    monkeypatch.setattr("django.core.signing.time", SimpleNamespace(time=lambda: later))

    response = client.post(link, _finish_data())

    assert response.status_code == 410
    assert "This sign-up link has expired" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_sign_up_returns_to_a_local_next_but_never_to_another_site(
    client: Client, mailoutbox: list[Any]
) -> None:
    response = client.post(_sign_up_link(client, mailoutbox, next="/team/"), _finish_data())
    assert response["Location"] == "/team/"

    other = Client()
    link = _sign_up_link(other, mailoutbox, email="eve@example.org", next="https://evil.example/")
    response = other.post(link, _finish_data(name="Eve"))
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_the_sign_up_answer_is_the_same_when_the_email_cannot_be_sent(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_send_mail(*args: Any, **kwargs: Any) -> int:
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("accounts.signup.send_mail", broken_send_mail)

    response = client.post(reverse("signup"), {"email": "dora@example.org"})

    assert response.status_code == 503
    assert "could not send the email" in response.content.decode()


# --- Logging in ---------------------------------------------------------------------------


def test_a_person_logs_in_with_their_email_in_any_case(client: Client, alice: User) -> None:
    client.post(reverse("login"), {"username": "Alice@EXAMPLE.org", "password": PASSWORD})

    assert client.session["_auth_user_id"] == str(alice.pk)


def test_a_wrong_password_with_an_email_is_refused(client: Client, alice: User) -> None:
    response = client.post(reverse("login"), {"username": "alice@example.org", "password": "nope"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


# --- Password reset -----------------------------------------------------------------------


def test_password_reset_email_has_a_link_that_sets_a_new_password(
    client: Client, alice: User, mailoutbox: list[Any]
) -> None:
    response = client.post(reverse("password_reset"), {"email": "Alice@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["alice@example.org"]

    # Django swaps the token in the URL for a session value before showing the form.
    form_page = client.get(_link_in(mailoutbox[0]), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response["Location"] == reverse("password_reset_complete")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert Client().login(username="alice", password=NEW_PASSWORD)


def test_a_password_reset_link_works_only_once(client: Client, alice: User, mailoutbox: list[Any]) -> None:
    client.post(reverse("password_reset"), {"email": "alice@example.org"})
    link = _link_in(mailoutbox[0])
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    again = Client().get(link, follow=True).content.decode()

    assert "This link no longer works" in again
    assert "Ask for a new link" in again


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(
    client: Client, mailoutbox: list[Any]
) -> None:
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)

    assert mailoutbox == []
    assert "Check your email" in response.content.decode()


def test_password_reset_answers_alike_for_known_and_unknown_addresses(alice: User) -> None:
    known = Client().post(reverse("password_reset"), {"email": "alice@example.org"}, follow=True)
    unknown = Client().post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert known.content == unknown.content


# --- Inviting -----------------------------------------------------------------------------


def test_an_owner_invites_by_email_with_an_absolute_accept_link(
    alice_client: Client, workspace: Workspace, mailoutbox: list[Any]
) -> None:
    response = alice_client.post(reverse("team_invite"), {"email": "carol@example.org"})

    assert response["Location"] == reverse("team")
    invitation = Invitation.objects.get()
    assert (invitation.workspace, invitation.email) == (workspace, "carol@example.org")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["carol@example.org"]
    assert "Alice's Workshop" in mailoutbox[0].subject
    assert f"http://testserver/invite/{invitation.token}/" in mailoutbox[0].body
    page = alice_client.get(reverse("team")).content.decode()
    assert "Invitation sent to carol@example.org" in page
    assert "Waiting for an answer" in page


def test_a_plain_member_cannot_invite(member_client: Client, mailoutbox: list[Any]) -> None:
    response = member_client.post(reverse("team_invite"), {"email": "carol@example.org"})

    assert response.status_code == 403
    assert "Only an owner of Alice&#x27;s Workshop can invite members" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_a_plain_member_sees_the_team_but_no_invite_form(member_client: Client) -> None:
    page = member_client.get(reverse("team")).content.decode()

    assert "alice" in page
    assert "Only owners can invite or remove members" in page
    assert reverse("team_invite") not in page


def test_inviting_someone_already_in_the_workspace_is_refused(
    alice_client: Client, member_client: Client, mailoutbox: list[Any]
) -> None:
    response = alice_client.post(reverse("team_invite"), {"email": "MO@example.org"})

    assert response.status_code == 200
    assert "MO@example.org is already a member of this workspace" in response.content.decode()
    assert mailoutbox == []


def test_inviting_an_address_again_replaces_the_earlier_link(
    alice_client: Client, workspace: Workspace, mailoutbox: list[Any]
) -> None:
    alice_client.post(reverse("team_invite"), {"email": "carol@example.org"})
    alice_client.post(reverse("team_invite"), {"email": "carol@example.org"})

    assert Invitation.objects.count() == 1
    assert Invitation.objects.get().token in mailoutbox[1].body


def test_when_the_email_cannot_be_sent_the_owner_gets_the_link_to_pass_on(
    alice_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_send_mail(*args: Any, **kwargs: Any) -> int:
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("accounts.team.send_mail", broken_send_mail)

    page = alice_client.post(reverse("team_invite"), {"email": "carol@example.org"}, follow=True)

    token = Invitation.objects.get().token
    text = page.content.decode()
    assert "the email could not be sent" in text
    assert f"http://testserver/invite/{token}/" in text


def test_an_owner_can_withdraw_an_invitation(alice_client: Client, invitation: Invitation) -> None:
    alice_client.post(reverse("invitation_revoke", args=[invitation.id]))

    assert not Invitation.objects.exists()


# --- Accepting ----------------------------------------------------------------------------


def test_accepting_an_invitation_joins_the_workspace_as_a_member(
    carol_client: Client, carol: User, invitation: Invitation, workspace: Workspace
) -> None:
    url = reverse("invite_accept", args=[invitation.token])
    assert "Join Alice&#x27;s Workshop" in carol_client.get(url).content.decode()

    response = carol_client.post(url)

    assert response["Location"] == reverse("home")
    membership = Membership.objects.get(user=carol, workspace=workspace)
    assert membership.role == Membership.Role.MEMBER
    assert carol_client.session[SESSION_KEY] == workspace.id
    invitation.refresh_from_db()
    assert invitation.accepted_by == carol
    assert invitation.accepted_at is not None


def test_a_visitor_signs_up_from_the_invitation_and_comes_back_to_accept_it(
    client: Client, invitation: Invitation, workspace: Workspace, mailoutbox: list[Any]
) -> None:
    url = reverse("invite_accept", args=[invitation.token])
    page = client.get(url).content.decode()
    signup_link = re.search(r'href="(/signup/\?[^"]+)"', page)
    assert signup_link, page
    assert "carol%40example.org" in signup_link.group(1)

    signup_url = signup_link.group(1).replace("&amp;", "&")
    form = client.get(signup_url).content.decode()
    assert 'value="carol@example.org"' in form
    client.post(signup_url, {"email": "carol@example.org"})
    response = client.post(_link_in(mailoutbox[-1]), _finish_data(name="Carol", workspace_name=""))
    assert response["Location"] == url
    client.post(url)

    carol = User.objects.get(email="carol@example.org")
    assert set(Membership.objects.filter(user=carol).values_list("workspace__name", "role")) == {
        ("Carol's workspace", Membership.Role.OWNER),
        ("Alice's Workshop", Membership.Role.MEMBER),
    }


def test_a_visitor_who_posts_an_acceptance_is_sent_to_log_in_first(
    client: Client, invitation: Invitation
) -> None:
    url = reverse("invite_accept", args=[invitation.token])

    response = client.post(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert not Membership.objects.filter(user__username="carol").exists()


def test_an_expired_invitation_is_refused(
    carol_client: Client, carol: User, invitation: Invitation, workspace: Workspace
) -> None:
    Invitation.objects.filter(id=invitation.id).update(created_at=timezone.now() - timedelta(days=8))

    response = carol_client.post(reverse("invite_accept", args=[invitation.token]))

    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()
    assert not Membership.objects.filter(user=carol, workspace=workspace).exists()


def test_a_used_invitation_is_refused_and_never_duplicates_the_membership(
    carol_client: Client, carol: User, invitation: Invitation, workspace: Workspace
) -> None:
    url = reverse("invite_accept", args=[invitation.token])
    carol_client.post(url)

    response = carol_client.post(url)

    assert response.status_code == 410
    assert "You accepted this invitation already" in response.content.decode()
    assert Membership.objects.filter(user=carol, workspace=workspace).count() == 1


def test_an_invitation_is_claimed_once_even_when_accepted_twice_at_once(
    carol: User, invitation: Invitation, workspace: Workspace
) -> None:
    accept_invitation(invitation.token, carol)

    with pytest.raises(InvitationRefused) as refused:
        accept_invitation(invitation.token, carol)

    assert refused.value.reason == Refusal.USED
    assert Membership.objects.filter(user=carol, workspace=workspace).count() == 1


def test_an_invitation_used_by_a_concurrent_request_after_the_lookup_is_refused(
    carol: User, invitation: Invitation, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_check = team.check_invitee

    def check_then_lose_the_race(found: Invitation, user: User) -> None:
        real_check(found, user)
        Invitation.objects.filter(id=found.id).update(accepted_at=timezone.now())

    monkeypatch.setattr(team, "check_invitee", check_then_lose_the_race)

    with pytest.raises(InvitationRefused) as refused:
        accept_invitation(invitation.token, carol)

    assert refused.value.reason == Refusal.USED
    assert not Membership.objects.filter(user=carol, workspace=workspace).exists()


def test_accepting_when_already_a_member_keeps_the_existing_role(alice: User, workspace: Workspace) -> None:
    invitation = invite_member(workspace, "alice@example.org", invited_by=alice)

    accept_invitation(invitation.token, alice)

    assert list(
        Membership.objects.filter(user=alice, workspace=workspace).values_list("role", flat=True)
    ) == [Membership.Role.OWNER]


@pytest.mark.django_db
def test_an_unknown_token_gets_a_clear_not_found_page(client: Client) -> None:
    response = client.get(reverse("invite_accept", args=["no-such-token"]))

    assert response.status_code == 404
    assert "Invitation not found" in response.content.decode()


# --- Workspace isolation ------------------------------------------------------------------


def test_a_member_of_another_workspace_cannot_accept_its_invitation(
    bob_client: Client, bob: User, invitation: Invitation, workspace: Workspace
) -> None:
    url = reverse("invite_accept", args=[invitation.token])

    page = bob_client.get(url)
    response = bob_client.post(url)

    assert page.status_code == 404
    assert "Alice" not in page.content.decode()
    assert "This invitation is for someone else" in page.content.decode()
    assert response.status_code == 404
    assert not Membership.objects.filter(user=bob, workspace=workspace).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_accept_invitation_refuses_anyone_but_the_invited_address(
    bob: User, invitation: Invitation, workspace: Workspace
) -> None:
    with pytest.raises(InvitationRefused) as refused:
        accept_invitation(invitation.token, bob)

    assert refused.value.reason == Refusal.WRONG_USER
    assert not Membership.objects.filter(user=bob, workspace=workspace).exists()


def test_the_team_page_shows_only_the_members_own_workspace(
    bob_client: Client, alice: User, invitation: Invitation
) -> None:
    page = bob_client.get(reverse("team")).content.decode()

    assert "Bob&#x27;s Bakery" in page
    assert "alice" not in page
    assert "carol@example.org" not in page


def test_a_member_of_another_workspace_cannot_remove_its_members(
    bob_client: Client, alice: User, workspace: Workspace
) -> None:
    membership = Membership.objects.get(user=alice, workspace=workspace)

    response = bob_client.post(reverse("team_remove", args=[membership.id]))

    assert response.status_code == 404
    assert Membership.objects.filter(id=membership.id).exists()


def test_a_member_of_another_workspace_cannot_withdraw_its_invitations(
    bob_client: Client, invitation: Invitation
) -> None:
    response = bob_client.post(reverse("invitation_revoke", args=[invitation.id]))

    assert response.status_code == 404
    assert Invitation.objects.filter(id=invitation.id).exists()


@pytest.mark.django_db
def test_the_team_page_sends_visitors_to_log_in(client: Client) -> None:
    response = client.get(reverse("team"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


# --- Removing members ---------------------------------------------------------------------


def test_an_owner_removes_a_member(alice_client: Client, member_client: Client, workspace: Workspace) -> None:
    membership = Membership.objects.get(user__username="mo")

    response = alice_client.post(reverse("team_remove", args=[membership.id]))

    assert response["Location"] == reverse("team")
    assert not Membership.objects.filter(id=membership.id).exists()
    # The removed member's next request no longer reaches the workspace.
    assert "Alice&#x27;s Workshop" not in member_client.get(reverse("team")).content.decode()


def test_a_plain_member_cannot_remove_anyone(member_client: Client, alice: User) -> None:
    membership = Membership.objects.get(user=alice)

    response = member_client.post(reverse("team_remove", args=[membership.id]))

    assert response.status_code == 403
    assert Membership.objects.filter(id=membership.id).exists()


def test_the_last_owner_cannot_be_removed(alice_client: Client, alice: User) -> None:
    membership = Membership.objects.get(user=alice)

    page = alice_client.post(reverse("team_remove", args=[membership.id]), follow=True)

    assert Membership.objects.filter(id=membership.id).exists()
    assert "a workspace always needs an owner" in page.content.decode()


def test_one_of_two_owners_can_leave(alice_client: Client, alice: User, workspace: Workspace) -> None:
    second = User.objects.create_user("olga", "olga@example.org", PASSWORD)
    Membership.objects.create(user=second, workspace=workspace, role=Membership.Role.OWNER)
    membership = Membership.objects.get(user=alice)

    response = alice_client.post(reverse("team_remove", args=[membership.id]))

    assert response["Location"] == reverse("home")
    assert not Membership.objects.filter(id=membership.id).exists()


def test_removing_is_post_only(alice_client: Client, member_client: Client) -> None:
    membership = Membership.objects.get(user__username="mo")

    assert alice_client.get(reverse("team_remove", args=[membership.id])).status_code == 405
    assert Membership.objects.filter(id=membership.id).exists()


# --- CSRF ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_up_without_a_csrf_token_is_refused() -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("signup"), {"email": "dora@example.org"})

    assert response.status_code == 403
    assert not User.objects.exists()


def test_inviting_without_a_csrf_token_is_refused(alice: User, mailoutbox: list[Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(reverse("team_invite"), {"email": "carol@example.org"})

    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_removing_without_a_csrf_token_is_refused(alice: User, member_client: Client) -> None:
    membership = Membership.objects.get(user__username="mo")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(reverse("team_remove", args=[membership.id]))

    assert response.status_code == 403
    assert Membership.objects.filter(id=membership.id).exists()


def test_accepting_without_a_csrf_token_is_refused(carol: User, invitation: Invitation) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(carol)

    response = client.post(reverse("invite_accept", args=[invitation.token]))

    assert response.status_code == 403
    assert not Membership.objects.filter(user=carol).exists()
