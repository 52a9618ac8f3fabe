"""The workspace settings page: owners change the name, the AI's instructions and
escalation; other members only read them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from accounts.models import Membership

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Alice's Workshop",
    "ai_instructions": "Be brief.",
    "escalation_enabled": "on",
    "escalation_email": "team@example.org",
}


def test_an_owner_turns_escalation_on(alice_client: Client, workspace: Any) -> None:
    workspace.plan = "standard"
    workspace.save()
    response = alice_client.post("/settings/", VALID)
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.escalation_enabled and workspace.escalation_email == "team@example.org"
    assert workspace.ai_instructions == "Be brief."


def test_escalation_needs_an_address(alice_client: Client, workspace: Any) -> None:
    workspace.plan = "standard"
    workspace.save()
    page = alice_client.post("/settings/", {**VALID, "escalation_email": ""}).content.decode()
    assert "Give the address to email" in page
    workspace.refresh_from_db()
    assert not workspace.escalation_enabled


def test_a_plain_member_can_read_but_not_change(workspace: Any) -> None:
    member = User.objects.create(username="carol")
    Membership.objects.create(user=member, workspace=workspace, role=Membership.Role.MEMBER)
    client = Client()
    client.force_login(member)
    assert client.get("/settings/").status_code == 200
    assert client.post("/settings/", {**VALID, "name": "Hijacked"}).status_code == 403
    workspace.refresh_from_db()
    assert workspace.name == "Alice's Workshop"


def test_another_workspace_is_untouched(bob_client: Client, workspace: Any, other_workspace: Any) -> None:
    bob_client.post("/settings/", {**VALID, "name": "Renamed by Bob"})
    workspace.refresh_from_db()
    other_workspace.refresh_from_db()
    assert workspace.name == "Alice's Workshop" and other_workspace.name == "Renamed by Bob"


def test_owners_are_told_members_can_read_the_instructions(alice_client: Client) -> None:
    page = alice_client.get("/settings/").content.decode()
    assert "a member who asks the bot to reveal its instructions may be shown them word for word" in page
    assert "never put passwords, API keys" in page


def test_the_examples_and_the_demo_hold_no_secret() -> None:
    from accounts.management.commands.seed_demo import DEMO_INSTRUCTIONS
    from accounts.workspace_settings import WorkspaceSettingsForm

    # What a secret looks like written down: "password: …", a key or code, a link, an address.
    looks_secret = re.compile(r"(?i:(password|api[_ ]?key|token|code)\s*[:=]|https?://)|@|\b[A-Z0-9]{8,}\b")
    for text in (str(WorkspaceSettingsForm.Meta.help_texts["ai_instructions"]), DEMO_INSTRUCTIONS):
        assert not looks_secret.search(text), text


def test_escalation_is_shown_locked_on_a_plan_without_it(alice_client: Client, workspace: Any) -> None:
    workspace.plan = "starter"
    workspace.save()
    page = alice_client.get("/settings/").content.decode()
    assert 'id="escalation-locked"' in page
    assert "Escalation needs the Standard plan or above." in page
    assert 'href="/usage/">See the plans</a>' in page
    assert re.search(r'<input[^>]*name="escalation_enabled"[^>]*disabled', page)
    assert re.search(r'<input[^>]*name="escalation_email"[^>]*disabled', page)


def test_a_locked_escalation_is_not_turned_on_by_a_post(alice_client: Client, workspace: Any) -> None:
    workspace.plan = "starter"
    workspace.save()
    response = alice_client.post("/settings/", {**VALID, "ai_instructions": "Be kind."})
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.ai_instructions == "Be kind."
    assert not workspace.escalation_enabled and workspace.escalation_email == ""


def test_escalation_is_not_locked_on_a_plan_with_it(alice_client: Client, workspace: Any) -> None:
    workspace.plan = "standard"
    workspace.save()
    page = alice_client.get("/settings/").content.decode()
    assert 'id="escalation-locked"' not in page
    assert not re.search(r'<input[^>]*name="escalation_enabled"[^>]*disabled', page)
