"""The dashboard under its Content-Security-Policy in a real browser: every page, with its
htmx requests and the live feed, and Django's admin work without one violation (the
csp_watch fixture fails the test on any), and code injected into a page does not run."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership
from conversations.models import Conversation, Message
from integrations.discordbot.models import BotApplication, DiscordServer
from moderation.models import ModerationEntry
from tests.browser.conftest import CSPWatch, log_in
from tests.web.conftest import add_ready_source
from tests.web.test_every_url import fill, private_routes

pytestmark = pytest.mark.django_db(transaction=True)

# Pages anyone may open, visited before signing in.
SIGNED_OUT = ["/login/", "/signup/", "/password-reset/"]


@pytest.fixture
def objects(workspace: Any, alice: Any) -> dict[str, int | str]:
    """One of everything in Alice's workspace, so each page has something to show (on a
    plan with live monitoring, so the conversation pages run the live feed)."""
    workspace.plan = "standard"
    workspace.save()
    app = BotApplication.objects.create(application_id="7200001", is_shared=True, bot_token="t")
    server = DiscordServer.objects.create(guild_id="900", workspace=workspace, application=app, name="Shop")
    source = add_ready_source(workspace, "FAQ", "Refunds take 5 days.")
    conversation = Conversation.objects.create(
        workspace=workspace, place_id="900", channel_id="1", member_id="2", last_message_at=timezone.now()
    )
    Message.objects.create(
        conversation=conversation, role=Message.Role.MEMBER, text="How long do refunds take?"
    )
    ModerationEntry.objects.create(
        server=server,
        workspace=workspace,
        guild_id="900",
        channel_id="1",
        message_id="3",
        member_id="2",
        member_name="spammer",
        message_text="free nitro",
        rule="No spam",
        severity="medium",
        action="delete",
        reason="spam",
        outcome="done",
    )
    member = User.objects.create(username="carol", email="carol@example.org")
    membership = Membership.objects.create(user=member, workspace=workspace, role=Membership.Role.MEMBER)
    invitation = Invitation.objects.create(workspace=workspace, email="dan@example.org", invited_by=alice)
    return {
        "server_id": server.pk,
        "source_id": source.pk,
        "conversation_id": conversation.pk,
        "membership_id": membership.pk,
        "invitation_id": invitation.pk,
    }


def dashboard_pages(user: Any, objects: dict[str, int | str]) -> list[str]:
    """Every dashboard URL of the URL configuration that shows ``user`` a page."""
    client = Client()
    client.force_login(user)
    urls = {fill(route, objects) for route, _ in private_routes()}
    return sorted(
        url
        for url in urls
        if url is not None
        and (response := client.get(url)).status_code == 200
        and response["Content-Type"].startswith("text/html")
    )


def visit(page: Any, url: str) -> Any:
    response = page.goto(url)
    # htmx loads panels and polls; the live feed polls: let them run under the policy too.
    page.wait_for_load_state("networkidle")
    return response


def test_every_page_works_under_the_policy(page: Any, alice: Any, objects: dict[str, int | str]) -> None:
    pages = dashboard_pages(alice, objects)
    assert {"/", "/usage/", "/settings/", "/conversations/", "/discord/setup/"} <= set(pages)
    for url in SIGNED_OUT:
        visit(page, url)
    log_in(page, "alice", "correct horse battery")
    for url in pages:
        policy = visit(page, url).headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, f"{url} has no script policy: {policy!r}"


def test_a_script_injected_into_a_page_does_not_run(page: Any, alice: Any, csp_watch: CSPWatch) -> None:
    log_in(page, "alice", "correct horse battery")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.append(script);
        }"""
    )
    for _ in range(50):  # the console message and the page's event arrive asynchronously
        if len(csp_watch.violations) >= 2:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("window.injected") is None
    assert any("script-src" in violation for violation in csp_watch.violations)
    csp_watch.violations.clear()  # the violation this test caused on purpose


def test_the_admin_works_under_the_policy(page: Any, objects: dict[str, int | str]) -> None:
    User.objects.create_superuser("root", "root@example.org", "correct horse battery")
    log_in(page, "root", "correct horse battery")
    page.goto("/admin/")  # the admin neither polls nor loads panels: "load" is enough
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert page.goto(reverse(f"{prefix}_changelist")).status == 200
        page.goto(reverse(f"{prefix}_add"))  # 403 where the admin is read-only
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            page.goto(reverse(f"{prefix}_change", args=[first.pk]))
