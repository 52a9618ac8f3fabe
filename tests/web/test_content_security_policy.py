"""The dashboard's Content-Security-Policy, in every mode: only our own static scripts and
styles run, nothing inline, no eval; pages are never framed and forms post only to us
(the "Add to Discord" page also to Discord's consent page). tests/browser checks that
every page works under it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# What a policy without 'unsafe-inline' refuses to run or apply, written in a template.
INLINE = {
    "an inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "a <style> element": re.compile(r"<style\b", re.IGNORECASE),
    "a style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "an event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "an htmx hx-on handler": re.compile(r"\s(data-)?hx-on", re.IGNORECASE),
}


def directives(response: Any) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_dashboard_pages_run_only_our_own_scripts_and_styles(alice_client: Client) -> None:
    policy = directives(alice_client.get("/"))
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]


def test_pages_are_under_the_policy_before_signing_in(client: Client) -> None:
    policy = directives(client.get("/login/"))
    assert policy["default-src"] == ["'self'"] and policy["script-src"] == ["'self'"]


def test_pages_cannot_be_framed_by_another_site(alice_client: Client) -> None:
    assert directives(alice_client.get("/"))["frame-ancestors"] == ["'none'"]


def test_forms_post_only_to_guildmind(alice_client: Client) -> None:
    assert directives(alice_client.get("/settings/"))["form-action"] == ["'self'"]


def test_the_add_to_discord_page_may_send_its_form_on_to_discords_consent_page(
    alice_client: Client, settings: Any
) -> None:
    settings.DISCORD_OAUTH_AUTHORIZE_URL = "https://discord.example.net/oauth2/authorize"
    form_action = directives(alice_client.get("/discord/setup/"))["form-action"]
    assert form_action == ["'self'", "https://discord.example.net"]


@pytest.mark.parametrize("kind", sorted(INLINE))
def test_no_template_has_inline_code_the_policy_would_refuse(kind: str) -> None:
    found = [
        f"{path.relative_to(TEMPLATES)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for text in [re.sub(r"{#.*?#}", "", path.read_text())]  # comments are not sent
        for match in INLINE[kind].finditer(text)
    ]
    assert not found, f"{kind} in: {', '.join(found)}"
