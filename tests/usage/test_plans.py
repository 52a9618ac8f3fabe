"""Plans: Discord from Starter, live monitoring, takeover and escalation from Standard."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from accounts.models import Workspace
from usage.plans import all_plans, plan_allows

STANDARD_FEATURES = ["live_monitoring", "takeover", "escalation"]


@pytest.mark.parametrize(
    ("plan", "allowed"), [("free", False), ("starter", True), ("standard", True), ("pro", True)]
)
def test_discord_needs_starter_or_above(plan: str, allowed: bool) -> None:
    check = plan_allows(plan, "discord")
    assert check.allowed is allowed
    assert check.reason == ("" if allowed else "Discord needs the Starter plan or above.")


@pytest.mark.parametrize("feature", STANDARD_FEATURES)
@pytest.mark.parametrize(
    ("plan", "allowed"), [("free", False), ("starter", False), ("standard", True), ("pro", True)]
)
def test_standard_features_need_standard_or_above(feature: str, plan: str, allowed: bool) -> None:
    check = plan_allows(plan, feature)
    assert check.allowed is allowed
    if not allowed:
        assert check.reason.endswith("needs the Standard plan or above.")


def test_the_reasons_name_the_feature() -> None:
    assert plan_allows("starter", "takeover").reason == "Human takeover needs the Standard plan or above."
    assert (
        plan_allows("free", "live_monitoring").reason == "Live monitoring needs the Standard plan or above."
    )


@pytest.mark.django_db
def test_a_workspace_is_checked_by_its_plan(workspace: Workspace) -> None:
    workspace.plan = Workspace.Plan.STANDARD
    assert plan_allows(workspace, "escalation").allowed
    workspace.plan = Workspace.Plan.FREE
    assert not plan_allows(workspace, "discord").allowed


def test_an_unknown_feature_is_a_bug() -> None:
    with pytest.raises(ValueError, match="unknown feature"):
        plan_allows("pro", "teleport")


def test_the_figures_are_the_products(settings: Any) -> None:
    figures = [(p.name, p.messages, p.price) for p in all_plans()]
    assert figures == [("Free", 0, 0), ("Starter", 2500, 39), ("Standard", 15000, 139), ("Pro", 50000, 449)]


def test_operators_change_the_figures_in_settings(settings: Any) -> None:
    settings.PLAN_MESSAGES = {**settings.PLAN_MESSAGES, "starter": 3000}
    settings.PLAN_PRICES = {**settings.PLAN_PRICES, "starter": 45}
    starter = all_plans()[1]
    assert (starter.messages, starter.price) == (3000, 45)


@pytest.mark.django_db
def test_new_workspaces_get_the_default_plan(settings: Any) -> None:
    assert Workspace.objects.create(name="Shop").plan == "starter"
    settings.DEFAULT_PLAN = "free"
    assert Workspace.objects.create(name="Hobby").plan == "free"


@pytest.mark.django_db
def test_operators_assign_plans_in_the_admin(workspace: Workspace) -> None:
    admin = User.objects.create_superuser("root", "root@example.org", "pw")
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/accounts/workspace/?plan__exact=starter")
    assert listing.status_code == 200 and "Alice&#x27;s Workshop" in listing.content.decode()
    page = client.get(f"/admin/accounts/workspace/{workspace.pk}/change/")
    assert 'name="plan"' in page.content.decode()
    form = {
        "name": workspace.name,
        "ai_instructions": workspace.ai_instructions,
        "escalation_email": "",
        "plan": "pro",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    response = client.post(f"/admin/accounts/workspace/{workspace.pk}/change/", form)
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.plan == "pro"
