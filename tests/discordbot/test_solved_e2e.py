"""Solved for forum posts, end to end: discord.py connected to the simulator, the bot's answer
in a forum post carries a Solved button; the post's author or a moderator (Manage Threads)
clicking it applies the forum's solved tag (and closes the post when the server says so),
another member is refused in private; the post is recorded either way."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from conversations.models import ForumPost
from devtools.discord_simulator.state import Channel
from integrations.discordbot.models import DiscordServer
from tests.discordbot.conftest import APP_ID, Running

pytestmark = pytest.mark.django_db(transaction=True)


async def configure(running: Running, **settings: Any) -> None:
    await DiscordServer.objects.filter(guild_id=running.guild.id).aupdate(**settings)
    await sync_to_async(running.bot.pipeline.servers.refresh)()


async def forum_answer(
    running: Running, tags: tuple[str, ...] = ("question", "solved")
) -> tuple[Channel, Channel, dict[str, Any]]:
    """A member's post in a forum the bot answers in, and the bot's answer in it."""
    forum = running.sim.add_forum(running.guild.id, "help", tags=tags)
    await configure(running, response_mode="all", smart_mode=True, channel_ids=[forum.id])
    post, starter = await running.sim.post_in_forum(
        running.guild.id, forum.id, running.member.user.id, "Refunds", "How long do refunds take?"
    )
    await running.settle(starter)
    (answer,) = [m for m in running.sim.messages(post.id) if m["author"]["id"] == APP_ID]
    return forum, post, answer


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [button for row in message.get("components") or [] for button in row["components"]]


async def test_the_answer_in_a_forum_post_carries_a_solved_button_and_the_post_is_recorded(
    running: Running,
) -> None:
    forum, post, answer = await forum_answer(running)
    assert "5 business days" in answer["content"]
    assert [b["custom_id"] for b in buttons(answer)][-1] == f"gm:sv:{post.id}"
    assert buttons(answer)[-1]["label"] == "Solved"
    row = await ForumPost.objects.aget()
    assert (row.post_id, row.forum_id, row.title, row.author_id) == (
        post.id,
        forum.id,
        "Refunds",
        running.member.user.id,
    )
    assert row.answered_at is not None and row.solved_at is None


async def test_an_answer_outside_forums_has_no_solved_button(running: Running) -> None:
    message = await running.ask("How long do refunds take?")
    await running.settle(message)
    reply = await running.reply_to(message)
    assert not any(b["custom_id"].startswith("gm:sv:") for b in buttons(reply))
    assert await ForumPost.objects.acount() == 0
