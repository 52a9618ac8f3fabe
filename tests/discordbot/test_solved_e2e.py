"""Solved for forum posts, end to end: discord.py connected to the simulator, the bot's answer
in a forum post carries a Solved button; the post's author or a moderator (Manage Threads)
clicking it applies the forum's solved tag (and closes the post when the server says so),
another member is refused in private; the post is recorded either way."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from conversations.models import ForumPost
from devtools.discord_simulator import permissions as perms
from devtools.discord_simulator.permissions import BOT_DEFAULT
from devtools.discord_simulator.state import Channel
from integrations.discordbot.components import EPHEMERAL
from integrations.discordbot.models import DiscordServer
from pipeline.solved import ALREADY, NOT_YOURS
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


async def click_solved(running: Running, answer: dict[str, Any], user_id: str) -> tuple[dict[str, Any], str]:
    """``user_id`` clicks the answer's Solved button; returns the bot's first callback body and
    the private message the member finally sees."""
    payload = await running.sim.click_button(answer["id"], user_id, buttons(answer)[-1]["custom_id"])
    record = running.sim.state.interactions[payload["id"]]
    for _ in range(500):
        if record.responses:
            first = record.responses[0]
            if first["type"] == 4:
                return first, str(first["data"]["content"])
            shown = running.sim.state.messages_by_id.get(record.original_message_id or "")
            if shown is not None and shown.get("content"):
                return first, str(shown["content"])
        await asyncio.sleep(0.01)
    raise TimeoutError("the bot never answered the click")


def with_manage_threads(running: Running) -> None:
    running.sim.set_bot_permissions(
        running.guild.id, APP_ID, BOT_DEFAULT | perms.MODERATOR | perms.MANAGE_THREADS
    )


def tag_names(running: Running, forum: Channel, post: Channel) -> list[str]:
    names = {str(t["id"]): t["name"] for t in forum.available_tags}
    thread = running.sim.thread(running.guild.id, post.id)
    assert thread.thread is not None
    return [names[t] for t in thread.thread.applied_tags]


async def test_the_posts_author_marks_it_solved_and_the_solved_tag_is_applied(running: Running) -> None:
    with_manage_threads(running)
    forum, post, answer = await forum_answer(running)
    first, shown = await click_solved(running, answer, running.member.user.id)
    assert first["type"] == 5 and first["data"]["flags"] & EPHEMERAL
    assert shown == "Marked solved: tagged “solved”."
    assert tag_names(running, forum, post) == ["solved"]
    thread = running.sim.thread(running.guild.id, post.id)
    assert thread.thread is not None and not thread.thread.archived
    row = await ForumPost.objects.aget()
    assert row.solved_at is not None and row.solved_by == running.member.user.id and row.solved_tagged


async def test_another_member_is_refused_in_private_and_no_tag_is_applied(running: Running) -> None:
    with_manage_threads(running)
    forum, post, answer = await forum_answer(running)
    other = running.sim.add_member(running.guild.id, "noah")
    first, shown = await click_solved(running, answer, other.user.id)
    assert first["data"]["flags"] & EPHEMERAL  # seen by the member who clicked only
    assert shown == NOT_YOURS
    assert tag_names(running, forum, post) == []
    assert (await ForumPost.objects.aget()).solved_at is None


async def test_a_moderator_who_manages_threads_marks_it_solved(running: Running) -> None:
    with_manage_threads(running)
    forum, post, answer = await forum_answer(running)
    running.sim.add_role(running.guild.id, "Helpers", perms.MANAGE_THREADS, 1)
    helper = running.sim.add_member(running.guild.id, "hana", roles=["Helpers"])
    _, shown = await click_solved(running, answer, helper.user.id)
    assert shown.startswith("Marked solved")
    assert tag_names(running, forum, post) == ["solved"]
    assert (await ForumPost.objects.aget()).solved_by == helper.user.id


async def test_close_on_solved_also_closes_the_post(running: Running) -> None:
    with_manage_threads(running)
    forum, post, answer = await forum_answer(running)
    await DiscordServer.objects.filter(guild_id=running.guild.id).aupdate(close_on_solved=True)
    _, shown = await click_solved(running, answer, running.member.user.id)
    assert shown == "Marked solved: tagged “solved” and closed."
    thread = running.sim.thread(running.guild.id, post.id)
    assert thread.thread is not None and thread.thread.archived
    assert tag_names(running, forum, post) == ["solved"]


async def test_a_forum_without_the_tag_is_recorded_solved_and_the_member_told(running: Running) -> None:
    with_manage_threads(running)
    forum, post, answer = await forum_answer(running, tags=("question",))
    _, shown = await click_solved(running, answer, running.member.user.id)
    assert shown == "Marked solved. This forum has no “Solved” tag, so none was applied."
    assert tag_names(running, forum, post) == []
    row = await ForumPost.objects.aget()
    assert row.solved_at is not None and not row.solved_tagged


async def test_the_configured_tag_name_is_matched_whatever_its_case(running: Running) -> None:
    with_manage_threads(running)
    await DiscordServer.objects.filter(guild_id=running.guild.id).aupdate(solved_tag_name="ANSWERED")
    forum, post, answer = await forum_answer(running, tags=("question", "Answered", "solved"))
    _, shown = await click_solved(running, answer, running.member.user.id)
    assert shown == "Marked solved: tagged “Answered”."
    assert tag_names(running, forum, post) == ["Answered"]


async def test_without_manage_threads_it_is_recorded_and_the_member_told_why_there_is_no_tag(
    running: Running,
) -> None:
    forum, post, answer = await forum_answer(running)
    _, shown = await click_solved(running, answer, running.member.user.id)
    assert "Manage Threads" in shown and shown.startswith("Marked solved, but")
    assert tag_names(running, forum, post) == []
    assert (await ForumPost.objects.aget()).solved_at is not None


async def test_a_second_click_says_it_is_already_solved(running: Running) -> None:
    with_manage_threads(running)
    _, _, answer = await forum_answer(running)
    await click_solved(running, answer, running.member.user.id)
    _, shown = await click_solved(running, answer, running.member.user.id)
    assert shown == ALREADY
