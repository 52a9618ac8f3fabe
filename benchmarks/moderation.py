"""Moderation with the local provider: what checking one message costs, and what acting on a
flagged one adds.

A typical owner's rules text and 10,000 messages of a busy server: about 90% ordinary chat
(questions, links, code, a mention or two, a few messages that talk *about* spam or ads),
the rest repeats, floods, invite and referral links, shouting, mass mentions, profanity and
a few slurs. Each message comes with the member's recent messages in the channel, as the
pipeline passes them to the flood and repeat detectors.

1. The check, the verdict on one message: the local provider's detectors (through
   ``answering.check_message``, as ``moderate_message`` calls them) and ``choose_action``,
   timed per message. The mean must stay under 1 ms.
2. ``moderate_message`` end to end over the same messages, with an in-memory port that
   records the actions and a real server row: an ordinary message costs the check alone;
   a flagged one also counts the member's recent violations and writes the log (real
   database writes).

Run alone: ``.venv/bin/python -m benchmarks.moderation``.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from moderation.actions import ModeratedMessage

GUILD_ID, APP_ID = "760000000000000001", "760000000000000002"
LIMIT_MS = 1.0

RULES = """Welcome! Please read these before posting.
1. Be respectful. No harassment, hate speech or slurs.
2. No spam or flooding, and don't post the same message over and over.
3. No advertising or self-promotion, including server invites and referral links.
4. Don't mass-mention or ping people without a reason.
5. Keep it clean: no swearing and no NSFW content.
6. No shouting in all caps.
7. Stay on topic and use the right channel for your question.
8. Listen to the moderators; if you disagree with a decision, open a ticket."""

CHAT = (
    "has anyone tried the new release yet? it looks great",
    "morning everyone :wave:",
    "lol",
    "gg",
    "brb, dinner",
    "how do I reset my password? the link in the email expired",
    "thanks {name}, that fixed it!",
    "is there a way to export my data as csv?",
    "I think the bug is in the sync step, here's the log: https://paste.example.org/{code}",
    "check the docs: https://docs.example.com/guides/setup#step-{n}",
    "<@{user}> did you get my DM?",
    "<@{user}> <@{user2}> call in 10 min",
    "anyone up for a match tonight? EU servers",
    "```py\nfor item in items:\n    print(item)\n```\nwhy does this print everything twice?",
    "how do I report spam here?",
    "is self-promotion allowed in the showcase channel?",
    "the update broke my keybinds again :(",
    "can a mod pin the FAQ please",
    "I paid for the pro plan but I still see the ads banner, can I get a refund?",
    "NASA just posted new photos of Jupiter, pretty cool",
    "ok",
    "that's awesome, congrats {name}!!",
    "what time is the event on {day}? I'm in UTC+2",
    "same here, version {n}.2 on Windows 11",
    "wait, does the API limit apply per key or per account?",
    "Just finished my first build with it. Took about {n} hours but it works. The guide on "
    "the website was clear until step 4, where it assumes you already have the CLI installed; "
    "maybe add a link there? Also the screenshot shows the old settings page. Otherwise a "
    "really nice experience, thanks to everyone who answered my questions yesterday, especially "
    "{name} who stayed up late to help me debug the config file. I'll write up what I did in "
    "the wiki so the next person has an easier time.",
    "welcome {name}! :tada:",
    "do you ship to Canada?",
    "I LOVE this community :heart:",
    "tbh the old UI was better",
    "here's the video I mentioned: https://video.example.net/watch?v={code}",
    "my order #{n}{n}{n} hasn't arrived, who do I contact?",
)

INVITES = (
    "join my server discord.gg/{code} we do giveaways every day",
    "use my referral code {code} for 20% off",
    "best boosting service in town, buy now at boost.example.com",
    "check out my stream https://twitch.example.tv/x?ref={code}",
)
SHOUTING = (
    "WHY IS THE SERVER DOWN AGAIN THIS IS RIDICULOUS",
    "CAN SOMEONE PLEASE ANSWER ME I HAVE BEEN WAITING FOR HOURS",
    "THIS GAME IS THE BEST THING EVER MADE NO DISCUSSION",
)
REPEATED = ("free giveaway in my profile, check it out", "hello??? anyone here", "pls respond")
FLOOD_BURST = ("hey", "hello", "anyone", "??", "helloooo")

# Share of each kind of message in the mix (the rest is ordinary chat).
VIOLATIONS: dict[str, float] = {
    "repeat": 0.015,
    "flood": 0.010,
    "invite": 0.020,
    "caps": 0.020,
    "mass_mentions": 0.010,
    "heavy_mentions": 0.005,
    "profanity": 0.017,
    "slur": 0.003,
}
LEET = str.maketrans("ioes", "103$")
NAMES = ("mia", "theo", "sam", "ana", "kai", "lena", "omar", "jules")
DAYS = ("Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Sample:
    """One message of the mix: what was planted (``"chat"`` or a violation) and the message."""

    kind: str
    member: int
    channel: int
    text: str
    recent_texts: tuple[str, ...]
    mention_count: int


def message_mix(
    count: int = 10_000, *, members: int = 400, channels: int = 12, seed: int = 7
) -> list[Sample]:
    """``count`` messages, deterministic for a ``seed``."""
    from assistant import wordlists

    rng = random.Random(seed)
    # Words the detectors look for come from the detectors' own lists, never spelled here.
    swears = sorted(wordlists.PROFANITY)
    slurs = sorted(wordlists.SLURS)
    kinds = ["chat", *VIOLATIONS]
    weights = [1 - sum(VIOLATIONS.values()), *VIOLATIONS.values()]
    user_ids = [str(900000000000000000 + i) for i in range(members)]

    def fill(template: str) -> str:
        return template.format(
            name=rng.choice(NAMES),
            code="".join(rng.choices("abcdefghjkmnpqrstuvwxyz23456789", k=8)),
            n=rng.randint(2, 9),
            user=rng.choice(user_ids),
            user2=rng.choice(user_ids),
            day=rng.choice(DAYS),
        )

    def chat_history(text: str) -> tuple[str, ...]:
        # The member's earlier messages in the channel, none the same as this one.
        earlier = [fill(rng.choice(CHAT)) for _ in range(rng.randint(0, 3))]
        return tuple(t for t in earlier if t != text)

    def mentions(n: int) -> str:
        return " ".join(f"<@{user}>" for user in rng.sample(user_ids, n))

    samples: list[Sample] = []
    for _ in range(count):
        kind = rng.choices(kinds, weights)[0]
        recent: tuple[str, ...] = ()
        mention_count = 0
        if kind == "chat":
            text = fill(rng.choice(CHAT))
            recent = chat_history(text)
            mention_count = text.count("<@")
        elif kind == "repeat":
            text = rng.choice(REPEATED)
            recent = (text, fill(rng.choice(CHAT)), text)
        elif kind == "flood":
            text = "?"
            recent = FLOOD_BURST
        elif kind == "invite":
            text = fill(rng.choice(INVITES))
            recent = chat_history(text)
        elif kind == "caps":
            text = rng.choice(SHOUTING)
            recent = chat_history(text)
        elif kind in ("mass_mentions", "heavy_mentions"):
            mention_count = rng.randint(5, 8) if kind == "mass_mentions" else rng.randint(10, 20)
            text = f"{mentions(mention_count)} look at this"
        elif kind == "profanity":
            word = rng.choice(swears)
            if rng.random() < 0.3:
                word = word.translate(LEET)
            text = f"this update is {word}, who approved it"
            recent = chat_history(text)
        else:  # slur
            text = f"shut up you {rng.choice(slurs)}"
        samples.append(
            Sample(kind, rng.randrange(members), rng.randrange(channels), text, recent, mention_count)
        )
    return samples


class RecordingPort:
    """The moderation port in memory: records each call, never fails, no Discord."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    async def delete_message(self, channel_id: str, message_id: str) -> None:
        self.calls.append(("delete", channel_id, message_id))

    async def warn(self, channel_id: str, text: str) -> str:
        self.calls.append(("warn", channel_id, text))
        return str(len(self.calls))

    async def timeout(self, guild_id: str, member_id: str, seconds: int, reason: str) -> None:
        self.calls.append(("timeout", guild_id, member_id))

    async def kick(self, guild_id: str, member_id: str, reason: str) -> None:
        self.calls.append(("kick", guild_id, member_id))

    async def ban(self, guild_id: str, member_id: str, reason: str) -> None:
        self.calls.append(("ban", guild_id, member_id))


def _moderated(sample: Sample, index: int) -> ModeratedMessage:
    from moderation.actions import ModeratedMessage

    return ModeratedMessage(
        guild_id=GUILD_ID,
        channel_id=str(800000000000000000 + sample.channel),
        message_id=str(700000000000000000 + index),
        member_id=str(900000000000000000 + sample.member),
        member_name=NAMES[sample.member % len(NAMES)],
        text=sample.text,
        mention_count=sample.mention_count,
        recent_texts=sample.recent_texts,
    )


def _server() -> None:
    """The server the log is written for (its own workspace and bot application)."""
    from accounts.models import Workspace
    from integrations.discordbot.models import BotApplication, DiscordServer

    if DiscordServer.objects.filter(guild_id=GUILD_ID).exists():
        return
    workspace = Workspace.objects.create(name="Moderation bench")
    app = BotApplication.objects.create(application_id=APP_ID, workspace=workspace)
    DiscordServer.objects.create(
        guild_id=GUILD_ID,
        application=app,
        workspace=workspace,
        name="Moderation bench",
        moderation_enabled=True,
    )


async def run(count: int = 10_000, warmup: int = 500) -> dict[str, float]:
    """Requires Django set up on a migrated DATA_DIR. Times are in ms per message."""
    from asgiref.sync import sync_to_async

    from assistant import answering
    from assistant.providers.base import ModerationRequest
    from assistant.providers.registry import get_provider
    from moderation.actions import moderate_message
    from moderation.decision import ModerationSettings, choose_action
    from moderation.models import ModerationEntry
    from moderation.safety import BotFacts, MemberFacts

    await sync_to_async(_server)()
    settings = ModerationSettings(
        enabled=True, rules=RULES, delete=True, warn=True, timeout=True, kick=False, ban=False, dry_run=False
    )
    provider = get_provider("local")
    member = MemberFacts(top_role_position=1)
    bot = BotFacts(
        top_role_position=10, can_manage_messages=True, can_kick=True, can_ban=True, can_moderate_members=True
    )
    samples = message_mix(count)
    messages = [_moderated(sample, i) for i, sample in enumerate(samples)]

    # 1. The check: what moderate_message does before it touches the database.
    prior: Counter[str] = Counter()
    check_ms: list[float] = []
    flagged_kinds: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    for round_ in ("warm-up", "measured"):
        chosen = messages[:warmup] if round_ == "warm-up" else messages
        for message, sample in zip(chosen, samples, strict=False):
            started = time.perf_counter()
            request = ModerationRequest(
                text=message.text,
                rules=settings.rules,
                author_name=message.member_name,
                recent_texts=list(message.recent_texts),
                mention_count=message.mention_count,
            )
            verdict = await answering.check_message(request, provider)
            action = (
                choose_action(verdict, settings, prior[message.member_id]) if verdict.violation else "none"
            )
            elapsed = time.perf_counter() - started
            if round_ == "measured":
                check_ms.append(elapsed * 1000)
                if verdict.violation:
                    prior[message.member_id] += 1
                    flagged_kinds[sample.kind] += 1
                    actions[action] += 1

    # 2. The whole of moderate_message, log writes included.
    port = RecordingPort()
    entries_before = await ModerationEntry.objects.filter(guild_id=GUILD_ID).acount()
    ordinary_ms: list[float] = []
    flagged_ms: list[float] = []
    for message in messages:
        started = time.perf_counter()
        result = await moderate_message(settings, message, member, bot, port, provider=provider)
        elapsed = (time.perf_counter() - started) * 1000
        (flagged_ms if result.outcome else ordinary_ms).append(elapsed)
    entries = await ModerationEntry.objects.filter(guild_id=GUILD_ID).acount() - entries_before

    planted = Counter(sample.kind for sample in samples)
    check_ms.sort()
    flagged_ms.sort()
    everything = ordinary_ms + flagged_ms
    return {
        "messages": float(len(messages)),
        "planted": float(len(messages) - planted["chat"]),
        "flagged": float(sum(flagged_kinds.values())),
        "missed": float(sum(planted[k] - flagged_kinds[k] for k in VIOLATIONS)),
        "chat_flagged": float(flagged_kinds["chat"]),
        "check_mean_ms": statistics.fmean(check_ms),
        "check_p50_ms": _percentile(check_ms, 0.50),
        "check_p99_ms": _percentile(check_ms, 0.99),
        "check_max_ms": check_ms[-1],
        "flagged_mean_ms": statistics.fmean(flagged_ms),
        "flagged_p99_ms": _percentile(flagged_ms, 0.99),
        "ordinary_mean_ms": statistics.fmean(ordinary_ms),
        "all_mean_ms": statistics.fmean(everything),
        "log_entries": float(entries),
        "port_calls": float(len(port.calls)),
        **{f"action_{name}": float(n) for name, n in actions.items()},
    }


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def passed(result: dict[str, float]) -> bool:
    """The check averages under 1 ms per message."""
    return result["check_mean_ms"] < LIMIT_MS


def print_result(result: dict[str, float]) -> None:
    print(
        f"[{'ok' if passed(result) else 'FAIL'}] moderation, local provider, "
        f"{result['messages']:.0f} messages ({result['flagged']:.0f} flagged, "
        f"{result['missed']:.0f} of {result['planted']:.0f} planted violations missed, "
        f"{result['chat_flagged']:.0f} ordinary flagged): check mean {result['check_mean_ms'] * 1000:.0f} µs "
        f"(limit {LIMIT_MS * 1000:.0f} µs), p99 {result['check_p99_ms'] * 1000:.0f} µs; "
        f"a flagged message with its log write(s) mean {result['flagged_mean_ms']:.2f} ms, "
        f"p99 {result['flagged_p99_ms']:.2f} ms ({result['log_entries']:.0f} log entries)"
    )


if __name__ == "__main__":
    from benchmarks.common import setup_django

    setup_django()
    outcome = asyncio.run(run())
    print_result(outcome)
    sys.exit(0 if passed(outcome) else 1)
