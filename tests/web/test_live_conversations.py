"""Live monitoring and human takeover in the dashboard: the feeds return only what changed
since their cursor, the filters, tenant isolation and CSRF on every view, takeover by one
agent at a time, replies only while holding, hand back, plan gating, and posting an
agent's message to Discord (through the simulator) with its failures shown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from accounts.models import Membership
from conversations import live, tasks, views
from conversations.delivery import delivery_of, mark_delivered
from conversations.models import Conversation, Message
from devtools.discord_simulator import DiscordSimulator
from integrations.discordbot.endpoints import configure_discord_endpoints, current_discord_endpoints
from integrations.discordbot.models import BotApplication, DiscordServer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _standard_plan(workspace: Any) -> None:
    """Live monitoring and takeover need the Standard plan or above."""
    workspace.plan = "standard"
    workspace.save(update_fields=["plan"])


@pytest.fixture(autouse=True)
def _strict_feed(monkeypatch: pytest.MonkeyPatch) -> None:
    # On Postgres the feed also sends the last seconds' messages again (see live.SETTLE);
    # these tests check the cursor itself.
    monkeypatch.setattr(live, "SETTLE", timedelta(0))


@pytest.fixture
def posted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The agent messages handed to the worker (instead of the queue)."""
    sent: list[int] = []
    monkeypatch.setattr(views, "post_agent_message", sent.append)
    return sent


def agent(workspace: Any, username: str, first_name: str = "") -> User:
    user = User.objects.create_user(username, f"{username}@example.org", "pw", first_name=first_name)
    Membership.objects.create(user=user, workspace=workspace, role=Membership.Role.MEMBER)
    return user


def client_for(user: User, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


@pytest.fixture
def sam(workspace: Any) -> User:
    return agent(workspace, "sam", "Sam")


@pytest.fixture
def lee(workspace: Any) -> User:
    return agent(workspace, "lee", "Lee")


def conversation(
    workspace: Any, member: str, *, guild: str = "500", channel: str = "700", ago: float = 0, **kw: Any
) -> Conversation:
    when = timezone.now() - timedelta(minutes=ago)
    convo = Conversation.objects.create(
        workspace=workspace,
        place_id=guild,
        channel_id=channel,
        member_id=f"id-{member}",
        member_name=member,
        place_name="Shop",
        last_message_at=when,
        **kw,
    )
    say(convo, f"question of {member}")
    Conversation.objects.filter(pk=convo.pk).update(last_message_at=when)
    return Conversation.objects.get(pk=convo.pk)


def say(convo: Conversation, text: str, role: str = "member") -> Message:
    message = Message.objects.create(conversation=convo, role=role, author_name=convo.member_name, text=text)
    Conversation.objects.filter(pk=convo.pk).update(last_message_at=message.created_at)
    return message


def list_cursor(client: Client, query: str = "") -> str:
    return str(client.get(f"/conversations/{query}").context["cursor"])


def feed(client: Client, cursor: str, query: str = "") -> dict[str, Any]:
    response = client.get(f"/conversations/feed/?since={cursor}{query}")
    assert response.status_code == 200
    return dict(response.json())


def detail_cursor(client: Client, convo: Conversation) -> str:
    return str(client.get(f"/conversations/{convo.pk}/").context["cursor"])


def detail_feed(client: Client, convo: Conversation, cursor: str) -> dict[str, Any]:
    response = client.get(f"/conversations/{convo.pk}/feed/?since={cursor}")
    assert response.status_code == 200
    return dict(response.json())


# --- the feeds -----------------------------------------------------------------------------------


def test_the_list_feed_returns_only_conversations_with_new_messages_since_the_cursor(
    alice_client: Client, workspace: Any
) -> None:
    quiet, busy = conversation(workspace, "mia"), conversation(workspace, "noah")
    cursor = list_cursor(alice_client)
    say(busy, "any news?")
    newcomer = conversation(workspace, "zoe")
    data = feed(alice_client, cursor)
    assert [c["id"] for c in data["conversations"]] == [busy.pk, newcomer.pk]  # oldest activity first
    assert quiet.pk not in [c["id"] for c in data["conversations"]]
    row = data["conversations"][1]
    assert (row["member"], row["server"], row["channel"], row["state"]) == ("zoe", "Shop", "700", "ai")
    assert data["patches"][0]["at"] == "start" and "noah" in data["patches"][0]["html"]
    assert feed(alice_client, data["cursor"])["conversations"] == []  # nothing new since


def test_the_list_feed_shows_a_takeover_and_a_hand_back_without_new_messages(
    alice_client: Client, workspace: Any, sam: User
) -> None:
    convo = conversation(workspace, "mia")
    cursor = list_cursor(alice_client)
    client_for(sam).post(f"/conversations/{convo.pk}/take-over/")
    taken = feed(alice_client, cursor)
    assert [(c["id"], c["state"], c["held_by"]) for c in taken["conversations"]] == [
        (convo.pk, "human", "Sam")
    ]
    assert taken["patches"][0]["at"] == "place"  # changed in place, not moved up
    client_for(sam).post(f"/conversations/{convo.pk}/hand-back/")
    back = feed(alice_client, taken["cursor"])
    assert [(c["id"], c["state"]) for c in back["conversations"]] == [(convo.pk, "ai")]


def test_the_list_feed_drops_a_conversation_that_stops_matching_the_filters(
    alice_client: Client, workspace: Any, sam: User
) -> None:
    convo = conversation(workspace, "mia", state="escalated", escalated_at=timezone.now())
    cursor = list_cursor(alice_client, "?state=escalated")
    client_for(sam).post(f"/conversations/{convo.pk}/take-over/")
    data = feed(alice_client, cursor, "&state=escalated")
    assert data["dropped"] == [convo.pk] and data["conversations"] == []
    assert data["patches"] == [{"id": f"conversation-{convo.pk}", "remove": True}]


def test_the_list_feed_refuses_a_cursor_it_did_not_give(alice_client: Client) -> None:
    assert alice_client.get("/conversations/feed/?since=garbage").status_code == 400
    assert alice_client.get("/conversations/feed/").status_code == 400


def test_the_conversation_feed_returns_only_new_messages_and_the_panel_when_it_changed(
    alice_client: Client, workspace: Any, alice: User
) -> None:
    convo = conversation(workspace, "mia")
    cursor = detail_cursor(alice_client, convo)
    assert detail_feed(alice_client, convo, cursor) | {"cursor": ""} == {
        "cursor": "",
        "messages": [],
        "panel": None,
        "patches": [],
    }
    reply = say(convo, "Refunds take 5 days.", role="assistant")
    data = detail_feed(alice_client, convo, cursor)
    assert [(m["id"], m["role"], m["text"]) for m in data["messages"]] == [
        (reply.pk, "assistant", "Refunds take 5 days.")
    ]
    assert data["panel"] is None
    alice_client.post(f"/conversations/{convo.pk}/take-over/")
    taken = detail_feed(alice_client, convo, data["cursor"])
    assert taken["messages"] == []
    assert taken["panel"] | {"resumes_in": 0} == {
        "state": "human",
        "held_by": "alice",
        "held_by_me": True,
        "human_active": True,
        "resumes_in": 0,
    }
    assert 170 < taken["panel"]["resumes_in"] <= 180
    assert taken["show"] == {"reply-form": True}
    assert detail_feed(alice_client, convo, taken["cursor"])["panel"] is None


def test_the_conversation_feed_tells_when_the_ai_resumes_after_three_idle_minutes(
    alice_client: Client, workspace: Any, alice: User
) -> None:
    convo = conversation(workspace, "mia")
    alice_client.post(f"/conversations/{convo.pk}/take-over/")
    cursor = detail_cursor(alice_client, convo)
    Conversation.objects.filter(pk=convo.pk).update(agent_active_at=timezone.now() - timedelta(minutes=4))
    panel = detail_feed(alice_client, convo, cursor)["panel"]
    assert (panel["state"], panel["human_active"], panel["held_by_me"]) == ("ai", False, True)


def test_the_panel_is_not_sent_again_as_the_seconds_pass(workspace: Any, sam: User) -> None:
    convo = conversation(workspace, "mia")
    client_for(sam).post(f"/conversations/{convo.pk}/take-over/")
    now = timezone.now()
    convo.refresh_from_db()
    cursor = live.detail_cursor(convo, sam, now)
    assert not live.detail_changes(convo.pk, sam, cursor, now + timedelta(seconds=30)).panel_changed
    assert live.detail_changes(convo.pk, sam, cursor, now + timedelta(minutes=4)).panel_changed


def test_the_conversation_feed_sends_an_agent_message_again_once_delivered(
    workspace: Any, sam: User, posted: list[int]
) -> None:
    convo = conversation(workspace, "mia")
    client = client_for(sam)
    client.post(f"/conversations/{convo.pk}/take-over/")
    cursor = detail_cursor(client, convo)
    client.post(f"/conversations/{convo.pk}/reply/", {"text": "Hi, Sam here."})
    first = detail_feed(client, convo, cursor)
    (message,) = first["messages"]
    assert (message["role"], message["author"], message["delivery"]) == ("agent", "Sam", "sending")
    assert detail_feed(client, convo, first["cursor"])["messages"] == []  # still on its way
    mark_delivered(message["id"], "123456")
    (again,) = detail_feed(client, convo, first["cursor"])["messages"]
    assert (again["id"], again["delivery"]) == (message["id"], "sent")


# --- filters -------------------------------------------------------------------------------------


def names_listed(client: Client, query: str) -> set[str]:
    rows = client.get(f"/conversations/{query}").context["rows"]
    return {row.conversation.member_name for row in rows}


def test_active_now_means_a_message_in_the_last_ten_minutes(alice_client: Client, workspace: Any) -> None:
    conversation(workspace, "mia", ago=2)
    conversation(workspace, "noah", ago=30)
    assert names_listed(alice_client, "?active=1") == {"mia"}
    assert names_listed(alice_client, "") == {"mia", "noah"}


def test_needs_attention_lists_escalated_conversations_no_agent_is_handling(
    alice_client: Client, workspace: Any, sam: User
) -> None:
    now = timezone.now()
    conversation(workspace, "mia")
    conversation(workspace, "noah", state="escalated", escalated_at=now)
    # Taken over after escalating, then left idle: it needs attention again.
    conversation(
        workspace,
        "zoe",
        state="human",
        escalated_at=now,
        taken_by=sam,
        agent_active_at=now - timedelta(minutes=5),
    )
    conversation(workspace, "ian", state="human", escalated_at=now, taken_by=sam, agent_active_at=now)
    assert names_listed(alice_client, "?state=escalated") == {"noah", "zoe"}
    assert names_listed(alice_client, "?state=human") == {"ian"}
    page = alice_client.get("/conversations/?state=escalated").content.decode()
    assert ">mia<" not in page and ">ian<" not in page


def test_filters_by_server_and_channel(alice_client: Client, workspace: Any) -> None:
    app = BotApplication.objects.create(application_id="100", is_shared=True, bot_token="t")
    DiscordServer.objects.create(guild_id="500", name="Shop", workspace=workspace, application=app)
    DiscordServer.objects.create(guild_id="501", name="Forum", workspace=workspace, application=app)
    conversation(workspace, "mia", guild="500", channel="700")
    conversation(workspace, "noah", guild="500", channel="701")
    conversation(workspace, "zoe", guild="501", channel="800")
    assert names_listed(alice_client, "?server=500") == {"mia", "noah"}
    assert names_listed(alice_client, "?server=500&channel=701") == {"noah"}
    assert names_listed(alice_client, "?channel=800") == {"zoe"}
    page = alice_client.get("/conversations/?server=500").content.decode()
    assert 'value="701"' in page and 'value="800"' not in page  # that server's channels


def test_the_feed_applies_the_filters_to_new_conversations(alice_client: Client, workspace: Any) -> None:
    cursor = list_cursor(alice_client, "?server=500")
    conversation(workspace, "mia", guild="500")
    conversation(workspace, "zoe", guild="501")
    data = feed(alice_client, cursor, "&server=500")
    assert [c["member"] for c in data["conversations"]] == ["mia"]


# --- tenants, CSRF, anonymous --------------------------------------------------------------------

OBJECT_VIEWS = [
    ("get", "/conversations/{pk}/"),
    ("get", "/conversations/{pk}/feed/?since={cursor}"),
    ("post", "/conversations/{pk}/take-over/"),
    ("post", "/conversations/{pk}/reply/"),
    ("post", "/conversations/{pk}/typing/"),
    ("post", "/conversations/{pk}/hand-back/"),
]
POSTS = [url for method, url in OBJECT_VIEWS if method == "post"]


@pytest.mark.parametrize(("method", "url"), OBJECT_VIEWS)
def test_another_workspaces_conversation_is_not_found_in_any_view(
    method: str, url: str, bob_client: Client, workspace: Any
) -> None:
    convo = conversation(workspace, "mia")
    cursor = live.DetailCursor(0).encode()
    response = getattr(bob_client, method)(url.format(pk=convo.pk, cursor=cursor), {"text": "hi"})
    assert response.status_code == 404
    convo.refresh_from_db()
    assert (convo.state, convo.messages.count()) == ("ai", 1)


def test_another_workspaces_conversations_never_reach_the_list_feed(
    alice_client: Client, workspace: Any, other_workspace: Any
) -> None:
    cursor = list_cursor(alice_client)
    conversation(other_workspace, "zed")
    assert feed(alice_client, cursor)["conversations"] == []


@pytest.mark.parametrize("url", POSTS)
def test_every_post_needs_the_csrf_token(url: str, workspace: Any, alice: User, posted: list[int]) -> None:
    convo = conversation(workspace, "mia")
    client = client_for(alice, csrf=True)
    target = url.format(pk=convo.pk)
    assert client.post(target, {"text": "hi"}).status_code == 403
    # The same request with the token gets through to the view.
    client.get(f"/conversations/{convo.pk}/")
    token = client.cookies["csrftoken"].value
    response = client.post(target, {"text": "hi", "csrfmiddlewaretoken": token})
    assert response.status_code != 403


def test_the_page_script_sends_the_csrf_header(workspace: Any, alice: User, posted: list[int]) -> None:
    convo = conversation(workspace, "mia")
    client = client_for(alice, csrf=True)
    client.get(f"/conversations/{convo.pk}/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/conversations/{convo.pk}/take-over/", HTTP_X_CSRFTOKEN=token, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200 and response.json()["ok"] is True


@pytest.mark.parametrize("url", ["/conversations/feed/?since=x", "/conversations/1/feed/?since=x"])
def test_anonymous_visitors_get_no_feed(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- takeover ------------------------------------------------------------------------------------


def test_a_second_agent_is_refused_with_the_holders_name(workspace: Any, sam: User, lee: User) -> None:
    convo = conversation(workspace, "mia")
    assert client_for(sam).post(f"/conversations/{convo.pk}/take-over/").status_code == 302
    lees = client_for(lee)
    refused = lees.post(f"/conversations/{convo.pk}/take-over/", HTTP_ACCEPT="application/json")
    assert refused.status_code == 409 and refused.json()["message"].startswith("Taken by Sam")
    page = lees.post(f"/conversations/{convo.pk}/take-over/", follow=True).content.decode()
    assert "Taken by Sam" in page
    convo.refresh_from_db()
    assert convo.taken_by == sam


def test_a_second_agent_sees_the_conversation_is_taken_on_its_page(
    workspace: Any, sam: User, lee: User
) -> None:
    convo = conversation(workspace, "mia")
    client_for(sam).post(f"/conversations/{convo.pk}/take-over/")
    response = client_for(lee).get(f"/conversations/{convo.pk}/")
    page = response.content.decode()
    assert "Taken by Sam." in page and ">Take over</button>" not in page
    assert not response.context["panel"].held_by_me


def test_another_agent_can_take_over_once_the_holder_was_idle_three_minutes(
    workspace: Any, sam: User, lee: User
) -> None:
    convo = conversation(workspace, "mia")
    client_for(sam).post(f"/conversations/{convo.pk}/take-over/")
    Conversation.objects.filter(pk=convo.pk).update(agent_active_at=timezone.now() - timedelta(minutes=4))
    response = client_for(lee).post(f"/conversations/{convo.pk}/take-over/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    convo.refresh_from_db()
    assert convo.taken_by == lee


def test_a_reply_is_refused_unless_the_agent_holds_the_conversation(
    workspace: Any, sam: User, lee: User, posted: list[int]
) -> None:
    convo = conversation(workspace, "mia")
    url = f"/conversations/{convo.pk}/reply/"
    refused = client_for(sam).post(url, {"text": "Hello"}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 409 and "take the conversation over first" in refused.json()["message"]
    client_for(lee).post(f"/conversations/{convo.pk}/take-over/")
    refused = client_for(sam).post(url, {"text": "Hello"}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 409 and "Lee has this conversation" in refused.json()["message"]
    assert convo.messages.filter(role="agent").count() == 0 and posted == []


def test_the_holders_reply_is_recorded_and_handed_to_the_worker(
    workspace: Any, sam: User, posted: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    convo = conversation(workspace, "mia")
    client = client_for(sam)
    client.post(f"/conversations/{convo.pk}/take-over/")
    Conversation.objects.filter(pk=convo.pk).update(agent_active_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/conversations/{convo.pk}/reply/", {"text": " I'm on it. "})
    assert response.status_code == 302
    message = convo.messages.get(role="agent")
    assert (message.text, message.author_name, posted) == ("I'm on it.", "Sam", [message.pk])
    convo.refresh_from_db()
    assert convo.agent_active_at is not None and timezone.now() - convo.agent_active_at < timedelta(seconds=5)


@pytest.mark.parametrize("text", ["", "   ", "x" * (views.REPLY_MAX + 1)])
def test_an_empty_or_too_long_reply_is_refused(
    workspace: Any, sam: User, posted: list[int], text: str
) -> None:
    convo = conversation(workspace, "mia")
    client = client_for(sam)
    client.post(f"/conversations/{convo.pk}/take-over/")
    response = client.post(
        f"/conversations/{convo.pk}/reply/", {"text": text}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400 and posted == []


def test_typing_keeps_the_takeover_on_and_is_refused_to_others(workspace: Any, sam: User, lee: User) -> None:
    convo = conversation(workspace, "mia")
    client_for(sam).post(f"/conversations/{convo.pk}/take-over/")
    Conversation.objects.filter(pk=convo.pk).update(agent_active_at=timezone.now() - timedelta(minutes=2))
    assert client_for(sam).post(f"/conversations/{convo.pk}/typing/").json() == {"held": True}
    convo.refresh_from_db()
    assert convo.human_active(timezone.now() + timedelta(minutes=2))  # the 3 minutes start again
    assert client_for(lee).post(f"/conversations/{convo.pk}/typing/").status_code == 409


def test_hand_back_gives_the_conversation_to_the_ai_at_once(workspace: Any, sam: User, lee: User) -> None:
    convo = conversation(workspace, "mia", state="escalated", escalated_at=timezone.now())
    client_for(sam).post(f"/conversations/{convo.pk}/take-over/")
    assert client_for(lee).post(f"/conversations/{convo.pk}/hand-back/").status_code == 302  # not theirs
    convo.refresh_from_db()
    assert convo.taken_by == sam
    page = client_for(sam).post(f"/conversations/{convo.pk}/hand-back/", follow=True).content.decode()
    assert "Handed back" in page
    convo.refresh_from_db()
    assert (convo.state, convo.taken_by, convo.human_active(timezone.now())) == ("escalated", None, False)
    assert client_for(lee).post(f"/conversations/{convo.pk}/take-over/").status_code == 302
    convo.refresh_from_db()
    assert convo.taken_by == lee


def test_the_reply_box_shows_only_to_the_holder(workspace: Any, sam: User, lee: User) -> None:
    convo = conversation(workspace, "mia")
    client_for(sam).post(f"/conversations/{convo.pk}/take-over/")
    mine = client_for(sam).get(f"/conversations/{convo.pk}/").content.decode()
    theirs = client_for(lee).get(f"/conversations/{convo.pk}/").content.decode()
    assert 'id="reply-form"' in mine and 'id="reply-form"' in theirs
    assert f'data-typing-url="/conversations/{convo.pk}/typing/">' in mine
    assert f'data-typing-url="/conversations/{convo.pk}/typing/" hidden>' in theirs


# --- plan gating ---------------------------------------------------------------------------------


@pytest.fixture
def below_standard(monkeypatch: pytest.MonkeyPatch) -> str:
    reason = "Live monitoring and takeover come with the Standard plan."
    monkeypatch.setattr(views, "_feature_allowed", lambda workspace, feature: (False, reason))
    return reason


def test_below_standard_the_pages_show_the_lock_and_its_reason(
    alice_client: Client, workspace: Any, below_standard: str
) -> None:
    convo = conversation(workspace, "mia")
    listing = alice_client.get("/conversations/").content.decode()
    page = alice_client.get(f"/conversations/{convo.pk}/").content.decode()
    assert "Live monitoring is locked." in listing and below_standard in listing
    assert "mia" in listing and "data-live-feed" not in listing
    assert "Human takeover is locked." in page and below_standard in page
    assert "question of mia" in page  # the log itself stays readable


def test_below_standard_the_feeds_and_takeover_are_refused(
    alice_client: Client, workspace: Any, below_standard: str
) -> None:
    convo = conversation(workspace, "mia")
    cursor = live.ListCursor(0).encode()
    assert alice_client.get(f"/conversations/feed/?since={cursor}").json() == {"locked": below_standard}
    detail = live.DetailCursor(0).encode()
    assert alice_client.get(f"/conversations/{convo.pk}/feed/?since={detail}").status_code == 403
    for action in ("take-over", "reply", "typing"):
        url = f"/conversations/{convo.pk}/{action}/"
        assert alice_client.post(url, {"text": "hi"}, HTTP_ACCEPT="application/json").status_code == 403
    convo.refresh_from_db()
    assert convo.state == "ai"


# --- posting the agent's message -----------------------------------------------------------------


def agent_message(workspace: Any, sam: User, *, guild: str = "500", channel: str = "700") -> Message:
    from conversations.actions import record_agent_message, take_over

    convo = conversation(workspace, "mia", guild=guild, channel=channel)
    take_over(convo.pk, sam)
    return record_agent_message(convo, sam, "Your refund went out today.")


def test_a_passing_failure_is_retried_and_the_last_one_marks_the_message(
    workspace: Any, sam: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = agent_message(workspace, sam)

    def down(message: Message) -> str:
        raise ConnectionError("Discord is unreachable")

    monkeypatch.setitem(tasks.SENDERS, "discord", down)
    with pytest.raises(ConnectionError):
        tasks.deliver(message.pk, last_try=False)
    message.refresh_from_db()
    assert message.external_id is None  # queued again for the retry
    tasks.deliver(message.pk, last_try=True)
    message.refresh_from_db()
    delivery = delivery_of(message)
    assert delivery.status == "failed" and "several tries" in delivery.reason


def test_a_message_is_posted_once(workspace: Any, sam: User, monkeypatch: pytest.MonkeyPatch) -> None:
    message = agent_message(workspace, sam)
    calls: list[int] = []

    def post(message: Message) -> str:
        calls.append(message.pk)
        return "9001"

    monkeypatch.setitem(tasks.SENDERS, "discord", post)
    tasks.deliver(message.pk, last_try=False)
    tasks.deliver(message.pk, last_try=False)  # a duplicate job
    message.refresh_from_db()
    assert calls == [message.pk] and message.external_id == "9001"


APP_ID, TOKEN = "730000000000000001", "live-test-bot-token"


@pytest.fixture
async def discord(workspace: Any, settings: Any) -> AsyncIterator[tuple[DiscordSimulator, Any, Any]]:
    sim = DiscordSimulator()
    await sim.start()
    settings.DISCORD_API_BASE_URL, settings.DISCORD_GATEWAY_URL = sim.api_base_url, sim.gateway_url
    previous = current_discord_endpoints()
    configure_discord_endpoints(sim.api_base_url, sim.gateway_url)
    sim.add_application(APP_ID, TOKEN)
    app = await BotApplication.objects.acreate(application_id=APP_ID, is_shared=True, bot_token=TOKEN)
    guild = sim.add_guild("Acme", bot_tokens=[TOKEN])
    await DiscordServer.objects.acreate(guild_id=guild.id, workspace=workspace, application=app, name="Acme")
    member = sim.add_member(guild.id, "mia")
    try:
        yield sim, guild, member
    finally:
        configure_discord_endpoints(*previous)
        await sim.stop()


@pytest.mark.django_db(transaction=True)
async def test_the_agents_message_is_posted_as_the_bot_replying_to_the_member(
    discord: tuple[DiscordSimulator, Any, Any], workspace: Any, sam: User
) -> None:
    sim, guild, member = discord
    general = guild.channels["general"].id
    message = await sync_to_async(agent_message)(workspace, sam, guild=guild.id, channel=general)
    asked = await sim.post_message(guild.id, general, member.user.id, "@everyone where is my refund?")
    await Message.objects.filter(conversation_id=message.conversation_id, role="member").aupdate(
        external_id=asked["id"]
    )
    await asyncio.to_thread(tasks.deliver, message.pk, last_try=False)
    posted = await sim.wait_for_message(general, author_id=APP_ID)
    assert posted["content"] == "**Sam (team):** Your refund went out today."
    assert posted["message_reference"]["message_id"] == asked["id"]
    mentions = posted["allowed_mentions"]
    assert mentions["parse"] == [] and mentions.get("roles", []) == [] and mentions.get("users", []) == []
    await message.arefresh_from_db()
    assert message.external_id == posted["id"] and delivery_of(message).status == "sent"


@pytest.mark.django_db(transaction=True)
async def test_a_refusal_from_discord_marks_the_message_and_the_page_shows_why(
    discord: tuple[DiscordSimulator, Any, Any], workspace: Any, sam: User
) -> None:
    sim, guild, _ = discord
    general = guild.channels["general"].id
    message = await sync_to_async(agent_message)(workspace, sam, guild=guild.id, channel=general)
    sim.fail_next("POST", rf"/channels/{general}/messages", 403)
    await asyncio.to_thread(tasks.deliver, message.pk, last_try=False)  # no retry: it would not help
    await message.arefresh_from_db()
    assert delivery_of(message).status == "failed"
    page = await sync_to_async(lambda: client_for(sam).get(f"/conversations/{message.conversation_id}/"))()
    assert "Not delivered: The bot may not post in this channel" in page.content.decode()
