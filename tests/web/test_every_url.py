"""Every dashboard URL, walked from the URL configuration itself (a new page cannot be
forgotten here): a member of another workspace gets 404 for anything of workspace A,
anonymous visitors are sent to log in, and every POST without a CSRF token is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import Invitation, Membership
from conversations.models import Conversation, Message
from integrations.discordbot.models import BotApplication, DiscordServer
from knowledge.actions import add_text_source

pytestmark = pytest.mark.django_db

# URLs that are public on purpose, each with its reason.
PUBLIC = {
    "health": "load balancers' health check",
    "discord_webhook": "Discord calls it; every request is signature-checked (tests/interactions)",
    "login": "the login page",
    "signup": "the sign-up page",
    "signup_finish": "the emailed sign-up link (signed and expiring; tests/web/test_accounts.py)",
    "password_reset": "Django's reset flow",
    "password_reset_done": "Django's reset flow",
    "password_reset_confirm": "Django's reset flow (token-checked)",
    "password_reset_complete": "Django's reset flow",
    "invite_accept": "shows the invitation to log in first (token-checked; tests/web/test_accounts.py)",
    "discord_install_callback": "Discord redirects here; it needs the session's single-use state",
    "logout": "POST-only sign-out",
}

# Public pages with a form: they must refuse a POST without a CSRF token too.
PUBLIC_FORMS = {"signup", "signup_finish", "logout", "password_reset", "invite_accept"}


def routes() -> Iterator[tuple[str, str]]:
    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and entry.name:
                yield prefix + str(entry.pattern), entry.name

    for route, name in walk(get_resolver().url_patterns, "/"):
        if not route.startswith("/admin/"):
            yield route, name


@pytest.fixture
def objects_of_a(workspace: Any, alice: Any) -> dict[str, int | str]:
    """One object of each kind in Alice's workspace, by URL parameter name."""
    app = BotApplication.objects.create(application_id="71000009", is_shared=True, bot_token="t")
    server = DiscordServer.objects.create(guild_id="900", workspace=workspace, application=app, name="Shop")
    source = add_text_source(workspace, title="FAQ", text="Refunds take 5 days.", enqueue=False)
    conversation = Conversation.objects.create(
        workspace=workspace, place_id="900", channel_id="1", member_id="2", last_message_at=timezone.now()
    )
    member = User.objects.create(username="carol", email="carol@example.org")
    membership = Membership.objects.create(user=member, workspace=workspace, role=Membership.Role.MEMBER)
    invitation = Invitation.objects.create(workspace=workspace, email="dan@example.org", invited_by=alice)
    reply = Message.objects.create(conversation=conversation, role="agent", text="Refunds take 5 days.")
    return {
        "server_id": server.pk,
        "source_id": source.pk,
        "conversation_id": conversation.pk,
        "membership_id": membership.pk,
        "invitation_id": invitation.pk,
        "message_id": reply.pk,
    }


def fill(route: str, values: dict[str, int | str]) -> str | None:
    url = route
    for name, value in values.items():
        url = url.replace(f"<int:{name}>", str(value))
    return None if "<" in url else url


def private_routes() -> list[tuple[str, str]]:
    return [(route, name) for route, name in routes() if name not in PUBLIC]


def test_the_walk_finds_the_dashboard() -> None:
    names = {name for _, name in private_routes()}
    assert {"moderation_log", "knowledge_delete", "discord_server_settings", "conversation_detail"} <= names


@pytest.mark.parametrize(("route", "name"), [r for r in private_routes() if "<" in r[0]])
def test_another_workspaces_member_gets_404_for_every_object_url(
    route: str, name: str, bob_client: Client, objects_of_a: dict[str, int | str]
) -> None:
    url = fill(route, objects_of_a)
    assert url is not None, f"no object for {route}: add one to objects_of_a"
    for method in ("get", "post"):
        status = getattr(bob_client, method)(url).status_code
        assert status in (404, 405), f"{method.upper()} {url} ({name}) gave {status} to another workspace"


@pytest.mark.parametrize(("route", "name"), private_routes())
def test_anonymous_visitors_are_sent_to_log_in(
    route: str, name: str, client: Client, objects_of_a: dict[str, int | str]
) -> None:
    url = fill(route, objects_of_a)
    assert url is not None
    response = client.get(url)
    assert response.status_code in (302, 405), f"GET {url} ({name}) gave {response.status_code}"
    if response.status_code == 302:
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("route", "name"),
    [
        *private_routes(),
        *[(r, n) for r, n in routes() if n in PUBLIC_FORMS],
    ],
)
def test_every_post_without_a_csrf_token_is_refused(
    route: str, name: str, alice: Any, objects_of_a: dict[str, int | str]
) -> None:
    url = fill(route.replace("<str:token>", "some-token"), objects_of_a)
    assert url is not None
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    status = client.post(url, {}).status_code
    assert status in (403, 405), f"POST {url} ({name}) without a CSRF token gave {status}"
