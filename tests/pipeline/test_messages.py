"""The pipeline with a fake port: guard and trigger rules, delivery, recording."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from assistant.providers.base import Answer, Passage
from conversations.models import Conversation, Message
from integrations.discordbot.models import BotApplication, DiscordServer
from integrations.discordbot.ports import DiscordActionError
from integrations.discordbot.servers import ServerDirectory
from pipeline.messages import InboundMessage, Pipeline

pytestmark = pytest.mark.django_db(transaction=True)

BOT_ID = 999


class FakePort:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, str, str | None]] = []
        self.fail = fail

    async def reply(
        self, channel_id: str, message_id: str, text: str, *, feedback: str = "", solve: str = ""
    ) -> str:
        if self.fail:
            raise DiscordActionError("the bot lacks a permission", status=403)
        self.sent.append((channel_id, text, message_id))
        return "1"

    async def send(self, channel_id: str, text: str, *, feedback: str = "", solve: str = "") -> str:
        self.sent.append((channel_id, text, None))
        return "2"


@pytest.fixture
def server(workspace: Any) -> DiscordServer:
    app = BotApplication.objects.create(application_id="100", is_shared=True, bot_token="t")
    return DiscordServer.objects.create(guild_id="500", workspace=workspace, application=app, name="Shop")


@pytest.fixture
def pipeline(server: DiscordServer) -> Pipeline:
    servers = ServerDirectory()
    servers.refresh()
    return Pipeline(servers)


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    async def fake_answer_question(**kwargs: Any) -> Answer:
        calls.append(kwargs)
        passage = Passage(text="Refunds take 5 days.", title="Billing FAQ", score=3.0)
        return Answer(text=f"About {kwargs['question']}: refunds take 5 days.", sources=[passage])

    monkeypatch.setattr("assistant.answering.answer_question", fake_answer_question)
    return calls


def inbound(
    content: str, *, mentions_bot: bool = True, author_id: int = 1, message_id: int = 10, **kw: Any
) -> Any:
    return InboundMessage(
        guild_id=kw.pop("guild_id", 500),
        channel_id=kw.pop("channel_id", 700),
        message_id=message_id,
        author_id=author_id,
        author_name="Mia",
        author_is_bot=kw.pop("author_is_bot", False),
        content=content,
        mentions_bot=mentions_bot,
        bot_user_id=BOT_ID,
    )


async def test_it_replies_to_a_mention_and_records_the_exchange(
    pipeline: Pipeline, answers: list[Any]
) -> None:
    port = FakePort()
    outcome = await pipeline.handle(inbound(f"<@{BOT_ID}> how do refunds work?"), port)
    assert outcome == "answered"
    assert answers[0]["question"] == "how do refunds work?"
    assert answers[0]["instructions"] == "Be brief and friendly."
    channel, text, replied_to = port.sent[0]
    assert (channel, replied_to) == ("700", "10")
    assert "refunds take 5 days" in text and "Billing FAQ" in text
    conversation = await Conversation.objects.aget()
    roles = [m.role async for m in Message.objects.filter(conversation=conversation)]
    assert roles == ["member", "assistant"]


async def test_it_passes_earlier_turns_as_history(pipeline: Pipeline, answers: list[Any]) -> None:
    port = FakePort()
    await pipeline.handle(inbound("<@999> how do refunds work?", message_id=10), port)
    await pipeline.handle(inbound("<@999> and how long?", message_id=11), port)
    history = answers[1]["history"]
    assert [turn.role for turn in history] == ["member", "assistant"]
    assert history[0].text == "how do refunds work?"


def test_it_wants_nothing_from_unmentioned_messages_in_mention_mode(pipeline: Pipeline) -> None:
    assert not pipeline.wants(500, 700, author_is_bot=False, mentions_bot=False)
    assert pipeline.wants(500, 700, author_is_bot=False, mentions_bot=True)
    assert not pipeline.wants(500, 700, author_is_bot=True, mentions_bot=True)
    assert not pipeline.wants(501, 700, author_is_bot=False, mentions_bot=True)


async def test_it_ignores_bots_and_itself(pipeline: Pipeline, answers: list[Any]) -> None:
    port = FakePort()
    assert await pipeline.handle(inbound("<@999> hi", author_is_bot=True), port) == "ignored:bot"
    assert await pipeline.handle(inbound("<@999> hi", author_id=BOT_ID), port) == "ignored:bot"
    assert port.sent == [] and answers == []


async def test_it_answers_a_redelivered_message_once(pipeline: Pipeline, answers: list[Any]) -> None:
    port = FakePort()
    assert await pipeline.handle(inbound("<@999> refunds?"), port) == "answered"
    assert await pipeline.handle(inbound("<@999> refunds?"), port) == "ignored:duplicate"
    assert len(port.sent) == 1


async def test_it_answers_nothing_in_ask_only_mode(pipeline: Pipeline, server: DiscordServer) -> None:
    await DiscordServer.objects.filter(pk=server.pk).aupdate(response_mode="ask")
    await sync_to_async(pipeline.servers.refresh)()
    assert not pipeline.wants(500, 700, author_is_bot=False, mentions_bot=True)
    assert await pipeline.handle(inbound("<@999> refunds?"), FakePort()) == "ignored:not-triggered"


async def test_it_ignores_disconnected_servers_after_a_refresh(
    pipeline: Pipeline, server: DiscordServer
) -> None:
    await DiscordServer.objects.filter(pk=server.pk).aupdate(connected=False)
    assert await sync_to_async(pipeline.servers.refresh)() == 1
    assert await pipeline.handle(inbound("<@999> refunds?"), FakePort()) == "ignored:server"


async def test_it_splits_long_answers_into_a_reply_and_follow_ups(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def long_answer(**kwargs: Any) -> Answer:
        return Answer(text="word " * 900, sources=[])

    monkeypatch.setattr("assistant.answering.answer_question", long_answer)
    port = FakePort()
    await pipeline.handle(inbound("<@999> tell me everything"), port)
    assert len(port.sent) == 3
    assert port.sent[0][2] == "10" and port.sent[1][2] is None
    assert all(len(text) <= 2000 for _, text, _ in port.sent)


async def test_a_refused_reply_is_logged_on_the_server(
    pipeline: Pipeline, server: DiscordServer, answers: Any
) -> None:
    outcome = await pipeline.handle(inbound("<@999> refunds?"), FakePort(fail=True))
    assert outcome == "failed:deliver"
    await server.arefresh_from_db()
    assert "lacks a permission" in server.last_error


async def test_a_server_newly_connected_to_a_workspace_has_its_index_built_at_once(
    pipeline: Pipeline, server: DiscordServer, workspace: Any
) -> None:
    from accounts.models import Workspace
    from knowledge import search

    other = await Workspace.objects.acreate(name="Other shop")
    search._cache.clear()
    await DiscordServer.objects.filter(pk=server.pk).aupdate(workspace=other)
    await sync_to_async(pipeline.servers.refresh)()

    assert set(search._cache) == {other.pk}
    search._cache.clear()
