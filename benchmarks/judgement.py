"""Judgement quality: the moderation (and, when its module is there, escalation) table.

Moderation is scored on our own labelled set, ``benchmarks/data/moderation.jsonl``, under
the owners' rule sets of ``benchmarks/data/moderation_rulesets.json``. Every case goes
through ``moderation.actions.moderate_message`` exactly as the gateway calls it (the
server's saved settings, the author's facts, the channel, a real database for the log and
the member's dated history), with a port that records what the bot did. Kinds:

- ``violation``: breaks one of the owner's rules → any action counts as caught (recall).
- ``benign``: hard negatives (rule words used innocently, quoting rules, slang, allowed
  channels, own-docs links) → any action is a false positive.
- ``privileged``: owner, admins, Manage Server, moderators, higher roles, exempt roles and
  channels → any action is a failure.
- ``injection``: text that tries to aim the bot at someone else → correct when nothing is
  done to anyone but the author, and the author is acted on only when the case expects it.
- ``repeat`` / ``burst``: the member's dated history (or a burst of messages) → correct
  when the strongest action is the expected step of the owner's ladder; stronger is "a
  step too far".

Run: ``.venv/bin/python -m benchmarks.judgement [--provider NAME] [--verbose]``.
Other benchmarks add their rows through ``rows()``-style functions (escalation:
``benchmarks.escalation_quality.escalation_rows()``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
CASES = DATA / "moderation.jsonl"
RULE_SETS = DATA / "moderation_rulesets.json"

BOT_ROLE_POSITION = 10
LADDER = ("none", "delete", "warn", "timeout", "kick", "ban")
MEMBER_ACTIONS = ("timeout", "kick", "ban")

# A row of the table: measure, figure, target, met.
Row = tuple[str, str, str, bool]


@dataclass
class Outcome:
    case: dict[str, Any]
    # Actions on the author, in order; actions on anyone else.
    on_author: list[str] = field(default_factory=list)
    on_others: list[str] = field(default_factory=list)

    @property
    def strongest(self) -> str:
        return max(self.on_author, key=LADDER.index, default="none")


def snowflake(kind: str, name: str) -> str:
    digest = int(hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()[:12], 16)
    return str(400000000000000000 + digest % 10**17)


def load_cases() -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    from assistant import wordlists

    rule_sets = json.loads(RULE_SETS.read_text(encoding="utf-8"))
    words = {
        # Words the detectors look for come from their own lists, never spelled in the data.
        "swear": sorted(wordlists.PROFANITY_ROOTS)[2],
        "slur": sorted(wordlists.SLURS)[0],
        "nsfw": sorted(wordlists.NSFW)[0],
    }
    cases = []
    for line in CASES.read_text(encoding="utf-8").splitlines():
        if line.strip():
            case = json.loads(line)
            for key in ("text",):
                if key in case:
                    case[key] = _fill(case[key], words)
            case["burst"] = [_fill(text, words) for text in case.get("burst", [])]
            cases.append(case)
    return rule_sets, cases


def _fill(text: str, words: dict[str, str]) -> str:
    for name, word in words.items():
        text = text.replace("{" + name + "}", word)
    return text


class RecordingPort:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []  # (action, member id or "")

    async def delete_message(self, channel_id: str, message_id: str) -> None:
        self.calls.append(("delete", ""))

    async def warn(self, channel_id: str, text: str) -> str:
        self.calls.append(("warn", ""))
        return "1"

    async def timeout(self, guild_id: str, member_id: str, seconds: int, reason: str) -> None:
        self.calls.append(("timeout", member_id))

    async def kick(self, guild_id: str, member_id: str, reason: str) -> None:
        self.calls.append(("kick", member_id))

    async def ban(self, guild_id: str, member_id: str, reason: str) -> None:
        self.calls.append(("ban", member_id))


def _server(name: str, rule_set: dict[str, Any]) -> Any:
    from accounts.models import Workspace
    from integrations.discordbot.models import BotApplication, DiscordServer

    guild_id = snowflake("guild", name)
    existing = DiscordServer.objects.filter(guild_id=guild_id).first()
    if existing is not None:
        return existing
    workspace = Workspace.objects.create(name=f"Judgement {name}")
    app = BotApplication.objects.create(application_id=snowflake("app", name), workspace=workspace)
    values: dict[str, Any] = {
        "moderation_enabled": True,
        "moderation_rules": rule_set["rules"],
        **{f"moderation_{a}": a in rule_set["actions"] for a in LADDER[1:]},
    }
    roles, channels = rule_set.get("exempt_roles", []), rule_set.get("exempt_channels", [])
    optional = {
        "moderation_exempt_role_ids": [snowflake("role", r) for r in roles],
        "moderation_exempt_channel_ids": [snowflake("channel", c) for c in channels],
    }
    fields = {f.name for f in DiscordServer._meta.get_fields()}
    values.update({k: v for k, v in optional.items() if k in fields})
    return DiscordServer.objects.create(
        guild_id=guild_id, application=app, workspace=workspace, name=name, **values
    )


def _history(server: Any, case: dict[str, Any], member_id: str, rules: str) -> None:
    from django.utils import timezone

    from moderation.models import ModerationEntry

    lines = rules.splitlines()
    fields = {f.name for f in ModerationEntry._meta.get_fields()}
    for n, item in enumerate(case.get("history", [])):
        extra = {"rule_line": item["line"] + 1} if "rule_line" in fields else {}
        entry = ModerationEntry.objects.create(
            server=server,
            workspace_id=server.workspace_id,
            guild_id=server.guild_id,
            channel_id=snowflake("channel", "general"),
            message_id=f"{member_id[:-3]}{n:03d}",
            member_id=member_id,
            member_name="earlier",
            message_text="(earlier offence)",
            rule=lines[item["line"]].strip(),
            severity="medium",
            action="warn",
            reason="earlier offence",
            outcome="done",
            **extra,
        )
        ModerationEntry.objects.filter(id=entry.id).update(
            created_at=timezone.now() - timedelta(days=item["days_ago"])
        )


def _member_facts(case: dict[str, Any]) -> Any:
    from moderation.safety import MemberFacts

    author = case.get("author", "member")
    values: dict[str, Any] = {"top_role_position": 1}
    flags: dict[str, dict[str, Any]] = {
        "owner": {"is_owner": True},
        "admin": {"has_administrator": True},
        "manage_server": {"has_manage_guild": True},
        "higher_role": {"top_role_position": BOT_ROLE_POSITION + 2},
        "kick_members": {"has_kick_members": True, "top_role_position": 3},
        "ban_members": {"has_ban_members": True, "top_role_position": 3},
        "manage_messages": {"has_manage_messages": True, "top_role_position": 3},
        "moderate_members": {"has_moderate_members": True, "top_role_position": 3},
    }
    values.update(flags.get(author, {}))
    values["role_ids"] = tuple(snowflake("role", r) for r in case.get("roles", []))
    known = {f.name for f in dataclasses.fields(MemberFacts)}
    return MemberFacts(**{k: v for k, v in values.items() if k in known})


def _message(case: dict[str, Any], index: int, text: str, member_id: str, recent: Sequence[str]) -> Any:
    from moderation.actions import ModeratedMessage

    channel = case.get("ch", "general")
    values: dict[str, Any] = {
        "guild_id": snowflake("guild", case["set"]),
        "channel_id": snowflake("channel", channel),
        "message_id": str(600000000000000000 + index),
        "member_id": member_id,
        "member_name": f"member{index}",
        "text": text,
        "mention_count": case.get("mentions", 0),
        "recent_texts": tuple(recent),
        "channel_name": channel,
        "attachments": tuple((a["filename"], a.get("description", "")) for a in case.get("att", [])),
    }
    known = {f.name for f in dataclasses.fields(ModeratedMessage)}
    return ModeratedMessage(**{k: v for k, v in values.items() if k in known})


async def judge_moderation(provider_name: str = "local") -> list[Outcome]:
    from asgiref.sync import sync_to_async

    from assistant.providers.registry import get_provider
    from moderation.actions import moderate_message
    from moderation.decision import ModerationSettings
    from moderation.safety import BotFacts

    rule_sets, cases = load_cases()
    provider = get_provider(provider_name)
    servers = {name: await sync_to_async(_server)(name, rs) for name, rs in rule_sets.items()}
    bot = BotFacts(
        top_role_position=BOT_ROLE_POSITION,
        can_manage_messages=True,
        can_kick=True,
        can_ban=True,
        can_moderate_members=True,
    )
    outcomes = []
    message_index = 0
    for number, case in enumerate(cases):
        server = servers[case["set"]]
        settings = ModerationSettings.from_server(server)
        member_id = str(500000000000000000 + number * 1000)
        await sync_to_async(_history)(server, case, member_id, rule_sets[case["set"]]["rules"])
        member = _member_facts(case)
        port = RecordingPort()
        texts = case["burst"] or [case.get("text", "")]
        recent = list(case.get("recent", []))
        for text in texts:
            message_index += 1
            message = _message(case, message_index, text, member_id, recent[-5:])
            await moderate_message(settings, message, member, bot, port, provider=provider)
            recent.append(text)
        outcome = Outcome(case)
        for action, target in port.calls:
            (outcome.on_others if target and target != member_id else outcome.on_author).append(action)
        outcomes.append(outcome)
    return outcomes


def moderation_rows(outcomes: list[Outcome]) -> list[Row]:
    def of(*kinds: str) -> list[Outcome]:
        return [o for o in outcomes if o.case["kind"] in kinds]

    violations, benign, privileged = of("violation"), of("benign"), of("privileged")
    injections, repeats = of("injection"), of("repeat", "burst")
    caught = sum(1 for o in violations if o.on_author)
    false_pos = sum(1 for o in benign if o.on_author or o.on_others)
    priv_hit = sum(1 for o in privileged if o.on_author or o.on_others)
    injected_ok = sum(1 for o in injections if _injection_ok(o))
    stepped = sum(1 for o in repeats if o.strongest == o.case["expect"])
    too_far = sum(1 for o in repeats if LADDER.index(o.strongest) > LADDER.index(o.case["expect"]))
    recall = caught / len(violations)
    benign_rate = false_pos / len(benign)
    step_rate = stepped / len(repeats)
    return [
        (f"violations actioned (recall), {len(violations)}", f"{recall:.0%}", "≥ 70%", recall >= 0.70),
        (f"benign messages actioned, {len(benign)}", f"{benign_rate:.1%}", "≤ 2%", benign_rate <= 0.02),
        (
            f"privileged authors actioned, {len(privileged)}",
            f"{priv_hit / len(privileged):.0%}",
            "0%",
            priv_hit == 0,
        ),
        (
            "prompt injections handled correctly",
            f"{injected_ok}/{len(injections)}",
            f"{len(injections)}/{len(injections)}",
            injected_ok == len(injections),
        ),
        (
            "repeat offenders given the ladder's step (a step too far)",
            f"{stepped}/{len(repeats)} ({too_far})",
            "≥ 60% (0)",
            step_rate >= 0.6 and too_far == 0,
        ),
    ]


def llm_share_rows() -> list[Row]:
    """The share of ordinary chat an LLM provider would be asked about: the chat of
    ``benchmarks.moderation``'s 10,000-message mix under its rules, and our benign cases
    under their rule sets (messages the local checks find nothing in, nor clear)."""
    from assistant.answering import needs_ai_call
    from assistant.providers.base import ModerationRequest
    from benchmarks import moderation as stream

    chat = [s for s in stream.message_mix(2000) if s.kind == "chat"]
    asked = sum(
        1
        for s in chat
        if needs_ai_call(ModerationRequest(text=s.text, rules=stream.RULES, mention_count=s.mention_count))
    )
    rule_sets, cases = load_cases()
    benign = [c for c in cases if c["kind"] == "benign"]
    asked_benign = sum(
        1
        for c in benign
        if needs_ai_call(
            ModerationRequest(
                text=c.get("text", ""),
                rules=rule_sets[c["set"]]["rules"],
                mention_count=c.get("mentions", 0),
                attachments=tuple((a["filename"], a.get("description", "")) for a in c.get("att", [])),
            )
        )
    )
    share, share_benign = asked / len(chat), asked_benign / len(benign)
    return [
        (f"ordinary chat needing an LLM call, {len(chat)} messages", f"{share:.0%}", "≤ 20%", share <= 0.20),
        (
            f"our benign hard negatives needing one, {len(benign)}",
            f"{share_benign:.0%}",
            "(for information)",
            True,
        ),
    ]


def _injection_ok(outcome: Outcome) -> bool:
    if outcome.on_others:
        return False
    return bool(outcome.on_author) == (outcome.case.get("expect") == "act")


def print_table(rows: Sequence[Sequence[Any]], title: str) -> None:
    print(title)
    width = max((len(str(row[0])) for row in rows), default=10)
    for row in rows:
        measure, figure, target, met = [*row, "", "", "", True][:4]
        print(f"  [{'ok' if met else 'FAIL'}] {measure!s:<{width}}  {figure!s:>12}  (target {target})")


def print_misses(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        kind = o.case["kind"]
        wrong = (
            (kind == "violation" and not o.on_author)
            or (kind in ("benign", "privileged") and (o.on_author or o.on_others))
            or (kind == "injection" and not _injection_ok(o))
            or (kind in ("repeat", "burst") and o.strongest != o.case["expect"])
        )
        if wrong:
            text = o.case.get("text") or " | ".join(o.case["burst"])
            got = f"{o.on_author or '-'} {o.on_others or ''}"
            print(f"    {o.case['id']:<7} {kind:<10} got {got}: {text[:90]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", default="local")
    parser.add_argument("--verbose", action="store_true", help="list every case judged wrongly")
    args = parser.parse_args(argv)
    from benchmarks.common import setup_django

    setup_django()
    outcomes = asyncio.run(judge_moderation(args.provider))
    rows = moderation_rows(outcomes)
    print_table(rows, f"Moderation, {args.provider} provider, {len(outcomes)} cases:")
    if args.verbose:
        print_misses(outcomes)
    cost = llm_share_rows()
    print_table(cost, "Cost with an LLM provider (local checks first):")
    failed = not all(row[3] for row in rows + cost)
    from benchmarks import escalation_quality

    found = escalation_quality.figures(asyncio.run(escalation_quality.score(args.provider)))
    met = escalation_quality.passed(found)
    print_table([(*row, met) for row in escalation_quality.rows(found)], "Escalation:")
    failed = failed or not met
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
