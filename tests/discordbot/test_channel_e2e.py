"""Channel manners through the simulator: channel awareness, not talking over people,
never answering bots, and answer rate limits."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from accounts.models import Workspace
from assistant.prompts import APOLOGY
from integrations.discordbot.models import DiscordServer
from tests.discordbot.conftest import APP_ID, Running
from usage.models import UsageEvent
from usage.quota import LIMIT_NOTICE

pytestmark = pytest.mark.django_db(transaction=True)


async def configure(running: Running, **settings: Any) -> None:
    await DiscordServer.objects.filter(guild_id=running.guild.id).aupdate(**settings)
    await sync_to_async(running.bot.pipeline.servers.refresh)()


async def say(running: Running, author: Any, content: str, **options: Any) -> dict[str, Any]:
    message = await running.sim.post_message(
        running.guild.id, running.general, author.user.id, content, **options
    )
    await running.settle(message)
    return message


def replies(running: Running) -> list[dict[str, Any]]:
    return [m for m in running.sim.messages(running.general) if m["author"]["id"] == APP_ID]


# --- channel awareness -----------------------------------------------------------------------


async def test_channel_awareness_answers_from_another_members_earlier_message(running: Running) -> None:
    await configure(running, channel_awareness=True)
    noah = running.sim.add_member(running.guild.id, "noah")
    await say(running, noah, "I asked for a refund on my order yesterday")
    question = await say(running, running.member, "how long does that usually take?", mention_bot_of=APP_ID)
    (reply,) = replies(running)
    assert reply["message_reference"]["message_id"] == question["id"]
    assert "5 business days" in reply["content"]


async def test_without_channel_awareness_another_members_message_is_not_context(running: Running) -> None:
    await configure(running, channel_awareness=False)
    noah = running.sim.add_member(running.guild.id, "noah")
    await say(running, noah, "I asked for a refund on my order yesterday")
    await say(running, running.member, "how long does that usually take?", mention_bot_of=APP_ID)
    (reply,) = replies(running)
    assert "5 business days" not in reply["content"]


async def test_the_channel_memory_is_bounded(running: Running, settings: Any) -> None:
    await configure(running, channel_awareness=True)
    memory = running.bot.pipeline.memory
    for n in range(memory.per_channel + 15):
        last = await running.sim.post_message(
            running.guild.id, running.general, running.member.user.id, f"chat {n}"
        )
    await running.settle(last)
    kept = memory.recent(int(running.guild.id), int(running.general))
    assert len(kept) == memory.per_channel
    assert kept[-1].text == f"chat {memory.per_channel + 14}"


# --- not talking over people -------------------------------------------------------------------


async def test_a_reply_to_another_member_is_left_to_them(running: Running) -> None:
    await configure(running, response_mode="all", smart_mode=False)
    noah = running.sim.add_member(running.guild.id, "noah")
    earlier = await say(running, noah, "Has anyone tried the Starter plan?")
    replies_before = len(replies(running))
    await say(running, running.member, "How much does the Starter plan cost?", reply_to=earlier["id"])
    await say(
        running, running.member, "@noah how long do refunds take?".replace("@noah", f"<@{noah.user.id}>")
    )
    assert len(replies(running)) == replies_before


async def test_a_member_mentioning_the_bot_in_a_reply_to_someone_is_still_answered(running: Running) -> None:
    await configure(running, response_mode="all", smart_mode=False)
    noah = running.sim.add_member(running.guild.id, "noah")
    earlier = await say(running, noah, "Has anyone tried the Starter plan?")
    question = await say(
        running,
        running.member,
        "how much does the Starter plan cost?",
        reply_to=earlier["id"],
        mention_bot_of=APP_ID,
    )
    assert any(r["message_reference"]["message_id"] == question["id"] for r in replies(running))


async def test_when_a_person_answers_first_the_bot_stays_out(running: Running, slow_answers: None) -> None:
    await configure(running, response_mode="all", smart_mode=False)
    staff = running.sim.add_member(running.guild.id, "sam-from-support")
    question = await running.sim.post_message(
        running.guild.id, running.general, running.member.user.id, "How long do refunds take?"
    )
    await asyncio.sleep(0.1)  # the AI is still thinking
    answered = await running.sim.post_message(
        running.guild.id, running.general, staff.user.id, "About 5 business days!", reply_to=question["id"]
    )
    await running.settle(answered)
    assert replies(running) == []


async def test_without_a_person_answering_the_slow_answer_goes_out(
    running: Running, slow_answers: None
) -> None:
    await configure(running, response_mode="all", smart_mode=False)
    question = await say(running, running.member, "How long do refunds take?")
    (reply,) = replies(running)
    assert reply["message_reference"]["message_id"] == question["id"]


# --- bots ------------------------------------------------------------------------------------


async def test_another_bot_is_never_answered_so_no_loop_can_form(running: Running) -> None:
    await configure(running, response_mode="all", smart_mode=False)
    other_bot = running.sim.add_member(running.guild.id, "echo-bot", bot=True)
    for _ in range(3):
        await say(running, other_bot, "How long do refunds take?", mention_bot_of=APP_ID)
    assert replies(running) == []


# --- rate limits -------------------------------------------------------------------------------


async def test_a_member_over_the_limit_gets_one_notice_then_silence(running: Running, settings: Any) -> None:
    settings.RATE_LIMIT_MEMBER = "2/minute"
    for n in range(5):
        await say(running, running.member, f"How long do refunds take? ({n})", mention_bot_of=APP_ID)
    answers = replies(running)
    assert len(answers) == 3  # two answers, one notice, then nothing
    assert all("5 business days" in a["content"] for a in answers[:2])
    assert "faster than I can answer" in answers[2]["content"] and "mia" in answers[2]["content"]
    noah = running.sim.add_member(running.guild.id, "noah")
    await say(running, noah, "How long do refunds take?", mention_bot_of=APP_ID)
    assert "5 business days" in replies(running)[-1]["content"]  # others are not limited


async def test_a_busy_channel_gets_a_notice(running: Running, settings: Any) -> None:
    settings.RATE_LIMIT_CHANNEL = "3/minute"
    members = [running.sim.add_member(running.guild.id, f"member{n}") for n in range(5)]
    for member in members:
        await say(running, member, "How long do refunds take?", mention_bot_of=APP_ID)
    answers = replies(running)
    assert len(answers) == 4
    assert "a lot of questions in this channel" in answers[3]["content"]


# --- usage -------------------------------------------------------------------------------------


async def test_each_reply_and_each_moderation_check_counts_one_message(running: Running) -> None:
    await configure(running, moderation_enabled=True, moderation_rules="No spam.", moderation_delete=True)
    await say(running, running.member, "How long do refunds take?", mention_bot_of=APP_ID)
    await say(running, running.member, "just chatting")  # checked, not answered
    kinds = [e.kind async for e in UsageEvent.objects.order_by("id")]
    assert sorted(kinds) == ["moderation", "moderation", "reply"]


async def test_a_failed_answer_is_not_counted(running: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(self: Any, request: Any) -> Any:
        raise TimeoutError

    monkeypatch.setattr("assistant.providers.local.LocalProvider.answer", broken)
    await say(running, running.member, "How long do refunds take?", mention_bot_of=APP_ID)
    assert replies(running)[0]["content"] == APOLOGY
    assert not await UsageEvent.objects.aexists()


# --- plans and quotas ----------------------------------------------------------------------------


async def use_up_the_month(workspace_id: int, leave: int = 0) -> None:
    from usage.models import UsageMonth
    from usage.plans import monthly_limit
    from usage.quota import month_of

    workspace = await Workspace.objects.aget(pk=workspace_id)
    used = monthly_limit(workspace.plan) - leave
    await UsageMonth.objects.aupdate_or_create(
        workspace_id=workspace_id, month=month_of(timezone.now()), defaults={"used": used}
    )


async def test_at_the_limit_there_is_no_ai_reply_and_one_notice_per_channel(
    running: Running, workspace: Any
) -> None:
    await use_up_the_month(workspace.pk, leave=1)
    await say(running, running.member, "How long do refunds take?", mention_bot_of=APP_ID)
    assert "5 business days" in replies(running)[0]["content"]  # the last message of the month
    for _ in range(3):
        await say(running, running.member, "Where do orders ship from?", mention_bot_of=APP_ID)
    answers = replies(running)
    assert len(answers) == 2 and answers[1]["content"] == LIMIT_NOTICE  # one notice, then silence
    assert not any("Lisbon" in a["content"] for a in answers)


async def test_at_the_limit_moderation_checks_stop_too(running: Running, workspace: Any) -> None:
    await configure(
        running, moderation_enabled=True, moderation_rules="No spam or invite links.", moderation_delete=True
    )
    await use_up_the_month(workspace.pk)
    spam = await say(running, running.member, "Join discord.gg/freenitro now")
    assert not running.sim.is_deleted(spam["id"])


async def test_the_free_plan_gets_no_discord_answers(running: Running, workspace: Any) -> None:
    await Workspace.objects.filter(pk=workspace.pk).aupdate(plan="free")
    await say(running, running.member, "How long do refunds take?", mention_bot_of=APP_ID)
    assert replies(running) == []
