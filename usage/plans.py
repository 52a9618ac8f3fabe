"""Plans: the messages each includes a month, its price, and the features it unlocks.

The figures (messages, prices) come from settings so operators can change them; which
plan unlocks which feature is fixed here. Plans are ordered: a feature of a plan is in
every plan above it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from accounts.models import Workspace

PLAN_ORDER: tuple[str, ...] = ("free", "starter", "standard", "pro")

# The lowest plan that has each feature, and the feature's name in plain words.
FEATURE_PLANS: dict[str, str] = {
    "discord": "starter",
    "live_monitoring": "standard",
    "takeover": "standard",
    "escalation": "standard",
}
FEATURE_NAMES: dict[str, str] = {
    "discord": "Discord",
    "live_monitoring": "Live monitoring",
    "takeover": "Human takeover",
    "escalation": "Escalation",
}


@dataclass(frozen=True)
class PlanCheck:
    """Whether a plan has a feature; when not, ``reason`` says which plan it needs."""

    allowed: bool
    reason: str = ""


@dataclass(frozen=True)
class PlanInfo:
    code: str
    name: str
    messages: int
    # US dollars a month.
    price: int
    features: tuple[str, ...]


def plan_allows(workspace: Workspace | str, feature: str) -> PlanCheck:
    """Whether ``workspace`` (or a plan code) may use ``feature`` ("discord",
    "live_monitoring", "takeover", "escalation"). Raises ValueError for an unknown feature."""
    plan = workspace if isinstance(workspace, str) else workspace.plan
    needed = FEATURE_PLANS.get(feature)
    if needed is None:
        raise ValueError(f"unknown feature {feature!r}: one of {', '.join(FEATURE_PLANS)}")
    if _rank(plan) >= _rank(needed):
        return PlanCheck(True)
    return PlanCheck(False, f"{FEATURE_NAMES[feature]} needs the {plan_name(needed)} plan or above.")


@dataclass(frozen=True)
class KnowledgeAllowance:
    """The most text a workspace's knowledge base may hold."""

    chars: int
    chunks: int


def knowledge_allowance(plan: str) -> KnowledgeAllowance:
    """Characters and chunks the knowledge base of a workspace on ``plan`` may hold in all
    (an unknown plan has Free's)."""
    plan = plan if plan in PLAN_ORDER else "free"
    return KnowledgeAllowance(
        chars=int(settings.PLAN_KNOWLEDGE_CHARS[plan]), chunks=int(settings.PLAN_KNOWLEDGE_CHUNKS[plan])
    )


def monthly_limit(plan: str) -> int:
    """Messages included in ``plan`` each calendar month (0 for an unknown plan)."""
    return int(settings.PLAN_MESSAGES.get(plan, 0))


def plan_name(plan: str) -> str:
    return str(dict(Workspace.Plan.choices).get(plan, plan.title()))


def plan_info(plan: str) -> PlanInfo:
    return PlanInfo(
        code=plan,
        name=plan_name(plan),
        messages=monthly_limit(plan),
        price=int(settings.PLAN_PRICES.get(plan, 0)),
        features=tuple(
            FEATURE_NAMES[feature]
            for feature, needed in FEATURE_PLANS.items()
            if _rank(plan) >= _rank(needed)
        ),
    )


def all_plans() -> list[PlanInfo]:
    return [plan_info(plan) for plan in PLAN_ORDER]


def _rank(plan: str) -> int:
    # An unknown code (a plan removed since) is treated as Free: it unlocks nothing.
    return PLAN_ORDER.index(plan) if plan in PLAN_ORDER else 0
