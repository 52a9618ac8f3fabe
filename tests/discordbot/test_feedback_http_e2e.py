"""Feedback buttons over the HTTP interactions endpoint, with no gateway: an /ask answered
by the worker carries 👍/👎, and the member's click arrives signed at the running endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from conversations.models import AnswerFeedback, Message
from integrations.discordbot.components import EPHEMERAL
from pipeline.feedback import THANKS
from tests.discordbot.conftest import APP_ID
from tests.discordbot.test_ask_e2e import World, world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


async def asked(world: World) -> dict[str, Any]:  # noqa: F811
    status, _ = await world.deliver(world.interaction("How long do refunds take?"))
    assert status == 200
    assert await world.work() == 1
    return await world.response()


async def test_an_ask_answer_carries_the_buttons_and_a_signed_click_is_recorded(world: World) -> None:  # noqa: F811
    answer = await asked(world)
    question = await Message.objects.aget(role="member")
    ids = [b["custom_id"] for row in answer["components"] for b in row["components"]]
    assert ids == [f"gm:fb:up:{question.pk}", f"gm:fb:down:{question.pk}"]
    click = world.sim.build_click(answer["id"], world.member.user.id, ids[0])
    status, body = await world.deliver(click)
    assert status == 200 and body["type"] == 4
    assert body["data"] == {"content": THANKS, "flags": EPHEMERAL, "allowed_mentions": {"parse": []}}
    feedback = await AnswerFeedback.objects.select_related("message").aget()
    assert feedback.helpful and feedback.message.role == "assistant"
    assert not world.sim.connected(APP_ID)
