"""Escalation quality: does the bot hear "a person, please" (in any language), frustration
and a run of failed answers, and stay quiet on the look-alikes?

The labelled set is ``benchmarks/data/escalation.jsonl``, one case a line:
``{"lang", "kind", "escalate", "text"}`` plus, for conversations, ``history`` (earlier
turns, oldest first; an assistant turn that said "I don't know" has ``"abstained": true``)
and ``abstained`` (the bot cannot answer this message either). Kinds: ``request``,
``frustration``, ``loop`` (the repeated-failure loop), ``lookalike`` (must not escalate:
curiosity about the bot, "human error", "admin panel", support hours, thanks...) and
``ordinary``.

Each case goes through what the pipeline runs: the provider's wants-human check
(``answering.detect_human_request``) and, when the bot could not answer this message
either, the repeated-failure rule (``escalation.failure_loop`` with
``ESCALATION_AFTER_UNANSWERED``) over the abstentions that end the history.

Run alone: ``.venv/bin/python -m benchmarks.escalation_quality [provider] [-v]``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "escalation.jsonl"
PRECISION_TARGET, RECALL_TARGET, NON_ENGLISH_TARGET = 0.95, 0.85, 0.70


@dataclass(frozen=True)
class Case:
    lang: str
    kind: str
    escalate: bool
    text: str
    history: list[dict[str, Any]] = field(default_factory=list)
    abstained: bool = False


@dataclass(frozen=True)
class Scored:
    case: Case
    escalated: bool


def load_cases(path: Path = DATA) -> list[Case]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Case(**json.loads(line)) for line in lines if line.strip()]


async def score(provider_name: str = "local", cases: list[Case] | None = None) -> list[Scored]:
    from django.conf import settings

    from assistant import answering, escalation
    from assistant.providers.base import Turn
    from assistant.providers.registry import get_provider

    provider = get_provider(provider_name)
    scored = []
    for case in cases if cases is not None else load_cases():
        history = [Turn(role=t["role"], text=t["text"]) for t in case.history]
        wants = await answering.detect_human_request(case.text, history, provider=provider)
        if not wants and case.abstained:
            wants = escalation.failure_loop(
                _abstentions_in_a_row(case.history),
                failed_now=True,
                limit=settings.ESCALATION_AFTER_UNANSWERED,
            )
        scored.append(Scored(case, wants))
    return scored


def _abstentions_in_a_row(history: list[dict[str, Any]]) -> int:
    """As ``conversations.actions.abstentions_in_a_row`` counts them in the database."""
    count = 0
    for turn in reversed(history):
        if turn["role"] == "member":
            continue
        if turn["role"] != "assistant" or not turn.get("abstained"):
            break
        count += 1
    return count


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def figures(scored: list[Scored]) -> dict[str, float]:
    true_pos = sum(s.escalated and s.case.escalate for s in scored)
    false_pos = sum(s.escalated and not s.case.escalate for s in scored)
    positives = sum(s.case.escalate for s in scored)
    foreign = [s for s in scored if s.case.escalate and s.case.lang != "en"]
    return {
        "precision": _ratio(true_pos, true_pos + false_pos),
        "recall": _ratio(true_pos, positives),
        "non_english_found": sum(s.escalated for s in foreign),
        "non_english": len(foreign),
        "non_english_recall": _ratio(sum(s.escalated for s in foreign), len(foreign)),
        "false_positives": false_pos,
        "cases": len(scored),
    }


def escalation_rows(provider_name: str = "local") -> list[tuple[str, str, str]]:
    """The escalation rows of the judgement table: (measure, value, target). Requires Django
    set up (``benchmarks.common.setup_django``)."""
    return rows(figures(asyncio.run(score(provider_name))))


def rows(found: dict[str, float]) -> list[tuple[str, str, str]]:
    return [
        (
            "escalation: precision / recall",
            f"{found['precision']:.0%} / {found['recall']:.0%}",
            f"≥ {PRECISION_TARGET:.0%} / ≥ {RECALL_TARGET:.0%}",
        ),
        (
            "escalation recall outside English (es, pt, id, de, fr)",
            f"{found['non_english_found']:.0f}/{found['non_english']:.0f} "
            f"({found['non_english_recall']:.0%})",
            f"≥ {NON_ENGLISH_TARGET:.0%}",
        ),
    ]


def passed(found: dict[str, float]) -> bool:
    return (
        found["precision"] >= PRECISION_TARGET
        and found["recall"] >= RECALL_TARGET
        and found["non_english_recall"] >= NON_ENGLISH_TARGET
    )


def main(argv: list[str] | None = None) -> int:
    from benchmarks.common import setup_django

    args = sys.argv[1:] if argv is None else argv
    verbose = "-v" in args
    names = [a for a in args if not a.startswith("-")]
    provider_name = names[0] if names else "local"
    setup_django()
    scored = asyncio.run(score(provider_name))
    found = figures(scored)
    print(f"escalation with the {provider_name} provider, {found['cases']:.0f} labelled messages")
    for lang in sorted({s.case.lang for s in scored}):
        mine = [s for s in scored if s.case.lang == lang]
        hits = sum(s.escalated and s.case.escalate for s in mine)
        wanted = sum(s.case.escalate for s in mine)
        wrong = sum(s.escalated and not s.case.escalate for s in mine)
        print(f"  {lang}: {hits}/{wanted} found, {wrong} look-alikes escalated")
    for kind in sorted({s.case.kind for s in scored}):
        mine = [s for s in scored if s.case.kind == kind]
        right = sum(s.escalated == s.case.escalate for s in mine)
        print(f"  {kind}: {right}/{len(mine)} right")
    if verbose:
        for s in scored:
            if s.escalated != s.case.escalate:
                what = "missed" if s.case.escalate else "wrongly escalated"
                print(f"  {what} [{s.case.lang} {s.case.kind}] {s.case.text}")
    ok = passed(found)
    for measure, value, target in rows(found):
        print(f"[{'ok' if ok else 'FAIL'}] {measure}: {value} (target {target})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
