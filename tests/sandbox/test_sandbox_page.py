"""The Sandbox page through Django's test client, against the real simulator's control API:
who may see and post, what is posted where, and when there is no sandbox at all."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest
from django.test import Client

from integrations.discordbot import feedback_buttons
from integrations.discordbot.models import BotApplication
from integrations.discordbot.sandbox import SANDBOX_APPLICATION_ID, sandbox_running
from tests.sandbox.conftest import KEY, ThreadedSandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(alice: Any) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob: Any) -> Client:
    client = Client()
    client.force_login(bob)
    return client


def post(client: Client, sandbox: ThreadedSandbox, member: str, channel: str, text: str, **extra: Any) -> Any:
    data = {"member": sandbox.member(member), "channel": sandbox.channel(channel), "text": text, **extra}
    return client.post("/discord/sandbox/post/", data)


def test_the_owner_sees_the_sandbox_labelled_with_its_channels_and_members(
    alice_client: Client, sandbox: ThreadedSandbox
) -> None:
    page = alice_client.get("/discord/sandbox/").content.decode()
    assert "This is a sandbox." in page and "simulated Discord" in page
    assert "#general" in page and "#help" in page
    for name in ("sam", "riley", "morgan (moderator)"):
        assert name in page
    assert 'href="/discord/sandbox/"' in alice_client.get("/").content.decode()  # the nav link


def test_a_post_reaches_the_simulator_as_that_member_mentioning_the_bot(
    alice_client: Client, sandbox: ThreadedSandbox
) -> None:
    response = post(alice_client, sandbox, "riley", "help", "Where is the refund policy?", mention_bot="on")
    assert response.status_code == 302
    assert response["Location"] == f"/discord/sandbox/?channel={sandbox.channel('help')}"
    [message] = sandbox.messages("help")
    page = alice_client.get(response["Location"]).content.decode()
    assert "Where is the refund policy?" in page
    assert '<ul class="messages"' not in page  # the channel's messages are not Django's notices
    assert message["author"]["id"] == sandbox.member("riley")
    assert message["content"] == f"<@{SANDBOX_APPLICATION_ID}> Where is the refund policy?"
    assert sandbox.messages("general") == []


def test_without_the_mention_box_the_message_does_not_mention_the_bot(
    alice_client: Client, sandbox: ThreadedSandbox
) -> None:
    post(alice_client, sandbox, "sam", "general", "hello all")
    assert [m["content"] for m in sandbox.messages("general")] == ["hello all"]


def test_the_messages_view_shows_the_channel_with_mentions_by_name(
    alice_client: Client, sandbox: ThreadedSandbox
) -> None:
    post(alice_client, sandbox, "sam", "general", "anyone here?", mention_bot="on")
    url = f"/discord/sandbox/messages/?channel={sandbox.channel('general')}"
    data = alice_client.get(url + "&format=json").json()
    assert [(m["author"]["name"], m["text"], m["deleted"]) for m in data["messages"]] == [
        ("sam", "@Guildmind anyone here?", False)
    ]
    assert "@Guildmind anyone here?" in alice_client.get(url).content.decode()
    assert (
        alice_client.get(f"/discord/sandbox/messages/?channel={sandbox.channel('help')}&format=json").json()[
            "messages"
        ]
        == []
    )


def test_another_workspace_can_neither_read_nor_post_into_the_sandbox(
    bob_client: Client, sandbox: ThreadedSandbox
) -> None:
    assert bob_client.get("/discord/sandbox/").status_code == 404
    assert (
        bob_client.get(f"/discord/sandbox/messages/?channel={sandbox.channel('general')}").status_code == 404
    )
    assert post(bob_client, sandbox, "sam", "general", "let me in", mention_bot="on").status_code == 404
    assert sandbox.messages("general") == []
    assert 'href="/discord/sandbox/"' not in bob_client.get("/").content.decode()


def _bot_reply(sandbox: ThreadedSandbox, to: dict[str, Any]) -> dict[str, Any]:
    """The sandbox bot's reply to ``to`` with the feedback buttons, sent through the REST API."""
    response = httpx.post(
        f"{sandbox.sim.api_base_url}/channels/{to['channel_id']}/messages",
        headers={"Authorization": f"Bot {KEY}"},
        json={
            "content": "Refunds take 5 business days.",
            "message_reference": {"message_id": to["id"]},
            "components": feedback_buttons.answer_buttons(42),
        },
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_bot_reply_s_buttons_are_clicked_as_the_member_it_answered(
    alice_client: Client, sandbox: ThreadedSandbox
) -> None:
    post(alice_client, sandbox, "sam", "help", "How long do refunds take?", mention_bot="on")
    [question] = sandbox.messages("help")
    reply = _bot_reply(sandbox, question)
    fragment = alice_client.get(f"/discord/sandbox/messages/?channel={sandbox.channel('help')}")
    html = fragment.content.decode()
    assert 'aria-label="Buttons on this reply, clicked as sam"' in html
    assert "👎 Not helpful" in html and "👍 Helpful" in html
    down = feedback_buttons.custom_id(feedback_buttons.DOWN, 42)
    data = {"channel": sandbox.channel("help"), "message": reply["id"], "member": sandbox.member("sam")}
    response = alice_client.post("/discord/sandbox/click/", {**data, "custom_id": down})
    assert response.status_code == 302
    [click] = sandbox.sim.state.interactions.values()
    assert click.payload["data"]["custom_id"] == down
    assert click.payload["member"]["user"]["id"] == sandbox.member("sam")
    # A button the message does not have, or a message of another channel, is refused.
    bad = alice_client.post("/discord/sandbox/click/", {**data, "custom_id": "gm:fb:x:1"})
    assert bad.status_code == 400
    elsewhere = {**data, "channel": sandbox.channel("general"), "custom_id": down}
    assert alice_client.post("/discord/sandbox/click/", elsewhere).status_code == 400
    assert len(sandbox.sim.state.interactions) == 1


def test_another_workspace_cannot_click_in_the_sandbox(
    alice_client: Client, bob_client: Client, sandbox: ThreadedSandbox
) -> None:
    post(alice_client, sandbox, "sam", "help", "How long do refunds take?", mention_bot="on")
    reply = _bot_reply(sandbox, sandbox.messages("help")[0])
    data = {
        "channel": sandbox.channel("help"),
        "message": reply["id"],
        "member": sandbox.member("sam"),
        "custom_id": feedback_buttons.custom_id(feedback_buttons.DOWN, 42),
    }
    assert bob_client.post("/discord/sandbox/click/", data).status_code == 404
    assert sandbox.sim.state.interactions == {}


def test_a_channel_or_member_of_another_guild_is_refused(
    alice_client: Client, sandbox: ThreadedSandbox
) -> None:
    other = sandbox.sim.add_guild("Somebody else's server", channels=("secret",))
    stranger = sandbox.sim.add_member(other.id, "eve")
    secret = other.channels["secret"].id
    response = alice_client.post(
        "/discord/sandbox/post/", {"member": sandbox.member("sam"), "channel": secret, "text": "hi"}
    )
    assert response.status_code == 400
    response = alice_client.post(
        "/discord/sandbox/post/", {"member": stranger.id, "channel": sandbox.channel("general"), "text": "hi"}
    )
    assert response.status_code == 400
    assert sandbox.sim.messages(secret) == [] and sandbox.messages("general") == []
    assert alice_client.get(f"/discord/sandbox/messages/?channel={secret}").status_code == 404


def test_with_a_real_application_configured_there_is_no_sandbox(
    alice_client: Client, sandbox: ThreadedSandbox, settings: Any
) -> None:
    settings.DISCORD_APPLICATION_ID, settings.DISCORD_BOT_TOKEN = "710000000000000009", "real-token"
    assert not sandbox_running()
    assert alice_client.get("/discord/sandbox/").status_code == 404
    assert post(alice_client, sandbox, "sam", "general", "hello", mention_bot="on").status_code == 404
    assert sandbox.messages("general") == []
    assert 'href="/discord/sandbox/"' not in alice_client.get("/").content.decode()


def test_sandbox_off_means_no_page(alice_client: Client, sandbox: ThreadedSandbox, settings: Any) -> None:
    settings.SANDBOX = "off"
    assert alice_client.get("/discord/sandbox/").status_code == 404


def test_a_post_without_a_csrf_token_is_refused(alice: Any, sandbox: ThreadedSandbox) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = post(client, sandbox, "sam", "general", "hello", mention_bot="on")
    assert response.status_code == 403
    assert sandbox.messages("general") == []


def test_an_empty_message_is_refused_in_place(alice_client: Client, sandbox: ThreadedSandbox) -> None:
    response = post(alice_client, sandbox, "sam", "general", "")
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_a_simulator_that_does_not_answer_is_said_in_plain_words(
    alice_client: Client, sandbox: ThreadedSandbox, settings: Any
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.SANDBOX_URL = f"http://127.0.0.1:{probe.getsockname()[1]}"
    response = alice_client.get("/discord/sandbox/")
    assert response.status_code == 503
    assert "not answering yet" in response.content.decode()


def test_the_sandbox_bot_is_no_workspace_custom_bot(alice_client: Client, sandbox: ThreadedSandbox) -> None:
    app = BotApplication.objects.get(application_id=SANDBOX_APPLICATION_ID)
    assert app.is_sandbox and app.workspace_id is None and not app.is_shared
    servers = alice_client.get("/discord/servers/").content.decode()
    assert "Sandbox server" in servers and "sandbox</span>" in servers


def test_the_control_api_refuses_requests_without_its_key(sandbox: ThreadedSandbox) -> None:
    import urllib.error
    import urllib.request

    url = f"http://127.0.0.1:{sandbox.sim.port}/_sandbox/guilds/{sandbox.guild.id}"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(
            urllib.request.Request(url, headers={"Authorization": "Sandbox wrong"}), timeout=5
        )
    assert refused.value.code == 401
