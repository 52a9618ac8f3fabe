"""The Solved button over the HTTP interactions endpoint, with no gateway: a member's signed
click on the bot's answer in a forum post is acknowledged in private at once, and the worker
applies the forum's solved tag and replaces the acknowledgement with the outcome; a post
another workspace recorded for the same server is out of reach."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from conversations.forum_posts import PostRef, record_post
from conversations.models import ForumPost
from devtools.discord_simulator import permissions as perms
from devtools.discord_simulator.messages import build_message
from devtools.discord_simulator.state import Channel
from integrations.discordbot.components import EPHEMERAL
from integrations.discordbot.solved_button import with_solved
from pipeline.solved import UNKNOWN
from tests.discordbot.conftest import APP_ID
from tests.discordbot.test_ask_e2e import World, world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


async def answered_post(world: World, workspace: Any) -> tuple[Channel, Channel, dict[str, Any]]:  # noqa: F811
    """A member's forum post, recorded for ``workspace`` as the gateway does, and the bot's
    answer in it with the Solved button."""
    world.sim.set_bot_permissions(world.guild.id, APP_ID, perms.BOT_DEFAULT | perms.MANAGE_THREADS)
    forum = world.sim.add_forum(world.guild.id, "help", tags=("question", "solved"))
    post, _ = await world.sim.post_in_forum(
        world.guild.id, forum.id, world.member.user.id, "Refunds", "How long do refunds take?"
    )
    ref = PostRef(workspace.pk, "discord", world.guild.id, post.id)
    await sync_to_async(record_post)(ref, forum_id=forum.id, title="Refunds", author_id=world.member.user.id)
    state = world.sim.state
    app = state.application(APP_ID)
    answer = build_message(
        state,
        channel_id=post.id,
        guild=state.guild(world.guild.id),
        author=app.bot,
        body={"content": "Within 5 business days.", "components": with_solved([], post.id)},
    )
    answer["application_id"] = APP_ID
    world.sim.backend.publish_message(answer, by_bot=True)
    return forum, post, answer


async def shown(world: World, interaction_id: str) -> str:  # noqa: F811
    record = world.sim.state.interactions[interaction_id]
    for _ in range(500):
        message = world.sim.state.messages_by_id.get(record.original_message_id or "")
        if message is not None and message.get("content"):
            return str(message["content"])
        await asyncio.sleep(0.01)
    raise TimeoutError("the deferred response was never replaced")


async def test_a_signed_click_is_deferred_in_private_and_the_worker_tags_the_post(
    world: World,  # noqa: F811
    workspace: Any,
) -> None:
    forum, post, answer = await answered_post(world, workspace)
    click = world.sim.build_click(answer["id"], world.member.user.id, f"gm:sv:{post.id}")
    status, body = await world.deliver(click)
    assert status == 200 and body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert await world.work() == 1
    assert await shown(world, click["id"]) == "Marked solved: tagged “solved”."
    thread = world.sim.thread(world.guild.id, post.id)
    assert thread.thread is not None and thread.thread.applied_tags == [
        world.sim.forum_tag_id(forum, "solved")
    ]
    assert (await ForumPost.objects.aget()).solved_by == world.member.user.id
    assert not world.sim.connected(APP_ID)


async def test_a_post_recorded_by_another_workspace_cannot_be_solved_from_this_one(
    world: World,  # noqa: F811
    workspace: Any,
    other_workspace: Any,
) -> None:
    # The server belongs to ``workspace``; the post's row is another workspace's.
    _, post, answer = await answered_post(world, other_workspace)
    click = world.sim.build_click(answer["id"], world.member.user.id, f"gm:sv:{post.id}")
    status, _ = await world.deliver(click)
    assert status == 200
    assert await world.work() == 1
    assert await shown(world, click["id"]) == UNKNOWN
    thread = world.sim.thread(world.guild.id, post.id)
    assert thread.thread is not None and thread.thread.applied_tags == []
    assert (await ForumPost.objects.aget()).solved_at is None


async def test_a_click_whose_signature_is_wrong_is_refused(world: World, workspace: Any) -> None:  # noqa: F811
    _, post, answer = await answered_post(world, workspace)
    click = world.sim.build_click(answer["id"], world.member.user.id, f"gm:sv:{post.id}")
    status, _ = await world.sim.deliver_interaction(world.endpoint, click, timestamp="1")
    assert status == 401
    assert await world.work() == 0
    assert (await ForumPost.objects.aget()).solved_at is None
