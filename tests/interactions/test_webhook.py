"""POST /discord/webhook/: signatures checked as Discord's documentation demands, PING
answered, /ask deferred to a job."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from nacl.signing import SigningKey

from integrations.discordbot import webhook
from integrations.discordbot.models import BotApplication, DiscordServer, Interaction
from pipeline.ask import NOT_THIS_BOT
from tests.interactions.conftest import CUSTOM_ID, SHARED_ID, UNAUTHORIZED, URL, Discord, ping

# The endpoint does its database work on its own threads, which see committed data only.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The payloads handed to the /ask job (the queue itself is not touched)."""
    payloads: list[dict[str, Any]] = []

    def enqueue(payload: dict[str, Any], application_pk: int, received_at: float) -> None:
        payloads.append({**payload, "_application_pk": application_pk, "_received_at": received_at})

    monkeypatch.setattr("integrations.discordbot.tasks.answer_interaction", enqueue)
    return payloads


def test_it_is_served_at_the_path_given_to_the_developer_portal() -> None:
    assert reverse("discord_webhook") == URL


def test_it_answers_a_signed_ping_with_a_pong(discord: Discord, shared_app: BotApplication) -> None:
    response = discord.send(ping())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"type": 1}


def test_a_signed_ping_marks_the_endpoint_as_verified(discord: Discord, shared_app: BotApplication) -> None:
    discord.send(ping())
    shared_app.refresh_from_db()
    assert shared_app.endpoint_verified_at is not None
    assert timezone.now() - shared_app.endpoint_verified_at < timedelta(seconds=5)


def test_later_pings_do_no_database_work(
    discord: Discord, shared_app: BotApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    database_work: list[str] = []
    real_db = webhook._db

    def counting_db(func: Any) -> Any:
        database_work.append(func.__name__)
        return real_db(func)

    monkeypatch.setattr(webhook, "_db", counting_db)
    discord.send(ping())
    assert database_work == ["_load_applications", "_stamp_verified"]
    assert discord.send(ping()).status_code == 200
    assert len(database_work) == 2


@pytest.mark.parametrize("missing", ["X-Signature-Ed25519", "X-Signature-Timestamp"])
def test_it_refuses_a_request_without_a_signature_header(
    discord: Discord, shared_app: BotApplication, missing: str
) -> None:
    body = json.dumps(ping()).encode()
    headers = discord.headers(body)
    del headers[missing]
    response = discord.post(body, headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize("signature", ["zz" * 64, "ab" * 63, "ab" * 65, "", "ab" * 63 + " a"])
def test_it_refuses_a_malformed_signature(
    discord: Discord, shared_app: BotApplication, signature: str
) -> None:
    body = json.dumps(ping()).encode()
    headers = {**discord.headers(body), "X-Signature-Ed25519": signature}
    response = discord.post(body, headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_it_refuses_a_signature_from_another_key(discord: Discord, shared_app: BotApplication) -> None:
    body = json.dumps(ping()).encode()
    timestamp = str(int(time.time()))
    forged = SigningKey.generate().sign(timestamp.encode() + body).signature.hex()
    headers = {"X-Signature-Ed25519": forged, "X-Signature-Timestamp": timestamp}
    response = discord.post(body, headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_it_refuses_a_tampered_body(discord: Discord, shared_app: BotApplication) -> None:
    body = json.dumps(discord.ask("How long do refunds take?")).encode()
    headers = discord.headers(body)
    tampered = body.replace(b"refunds", b"bribes!")
    response = discord.post(tampered, headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_it_refuses_a_replayed_body_with_a_new_timestamp(
    discord: Discord, shared_app: BotApplication
) -> None:
    body = json.dumps(ping()).encode()
    now = int(time.time())
    headers = discord.headers(body, timestamp=str(now))
    assert discord.post(body, headers).status_code == 200
    replayed = {**headers, "X-Signature-Timestamp": str(now + 1)}
    response = discord.post(body, replayed)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_it_refuses_an_application_it_does_not_know(discord: Discord, shared_app: BotApplication) -> None:
    # Signed correctly by an application that was never connected here.
    response = discord.send(ping(CUSTOM_ID), CUSTOM_ID)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_signed_malformed_json_is_refused_as_it_names_no_application(
    discord: Discord, shared_app: BotApplication
) -> None:
    body = b'{"type": 1, "application_id": '
    response = discord.post(body, discord.headers(body))
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_it_refuses_unsigned_malformed_json(discord: Discord, shared_app: BotApplication) -> None:
    body = b"not json at all"
    timestamp = str(int(time.time()))
    forged = SigningKey.generate().sign(timestamp.encode() + body).signature.hex()
    response = discord.post(body, {"X-Signature-Ed25519": forged, "X-Signature-Timestamp": timestamp})
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_it_answers_a_signed_interaction_of_an_unknown_type_with_400(
    discord: Discord, shared_app: BotApplication
) -> None:
    response = discord.send({**ping(), "type": 99})
    assert response.status_code == 400
    assert "99" in response.json()["error"]


def test_it_refuses_a_body_over_the_cap(discord: Discord, shared_app: BotApplication) -> None:
    payload = {**ping(), "padding": "x" * 70_000}
    response = discord.send(payload)
    assert response.status_code == 413


def test_the_body_cap_follows_the_setting(
    discord: Discord, shared_app: BotApplication, settings: Any
) -> None:
    settings.DISCORD_WEBHOOK_MAX_BODY_BYTES = 200
    small = discord.send(ping())
    large = discord.send({**ping(), "padding": "x" * 200})
    assert (small.status_code, large.status_code) == (200, 413)


def test_it_only_accepts_post(discord: Discord, shared_app: BotApplication) -> None:
    assert discord.client.get(URL).status_code == 405


def test_it_defers_an_ask_and_enqueues_its_answer(
    discord: Discord,
    shared_app: BotApplication,
    enqueued: list[dict[str, Any]],
) -> None:
    payload = discord.ask("How long do refunds take?")
    response = discord.send(payload)
    assert response.status_code == 200
    assert response.json() == {"type": 5}
    assert [(p["id"], p["_application_pk"]) for p in enqueued] == [(payload["id"], shared_app.pk)]
    assert abs(enqueued[0]["_received_at"] - time.time()) < 5
    assert not Interaction.objects.exists()  # the worker records it when it claims it


def test_a_redelivered_ask_is_acknowledged_again(
    discord: Discord,
    shared_app: BotApplication,
    enqueued: list[dict[str, Any]],
) -> None:
    payload = discord.ask("Where do orders ship from?")
    first = discord.send(payload)
    second = discord.send(payload)
    assert [first.json(), second.json()] == [{"type": 5}, {"type": 5}]
    # Both jobs are queued; the worker answers the first and skips the redelivery
    # (tests/discordbot/test_ask_e2e.py).
    assert [p["id"] for p in enqueued] == [payload["id"], payload["id"]]


def test_a_custom_bot_is_verified_with_its_own_key(
    discord: Discord,
    shared_app: BotApplication,
    custom_app: BotApplication,
    enqueued: list[dict[str, Any]],
) -> None:
    payload = discord.ask("Do you ship abroad?", application_id=CUSTOM_ID)
    response = discord.send(payload, CUSTOM_ID)
    assert response.json() == {"type": 5}
    assert [p["_application_pk"] for p in enqueued] == [custom_app.pk]
    custom_app.refresh_from_db()
    assert custom_app.endpoint_verified_at is not None


def test_a_custom_bots_request_signed_with_the_shared_key_is_refused(
    discord: Discord, shared_app: BotApplication, custom_app: BotApplication
) -> None:
    body = json.dumps(ping(CUSTOM_ID)).encode()
    response = discord.post(body, discord.headers(body, SHARED_ID))
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_a_new_public_key_applies_once_the_cache_expires(
    discord: Discord, shared_app: BotApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert discord.send(ping()).status_code == 200
    shared_app.public_key = SigningKey.generate().verify_key.encode().hex()  # rotated in the portal
    shared_app.save(update_fields=["public_key"])
    assert discord.send(ping()).status_code == 200  # the cached key, for a few seconds
    later = time.monotonic() + webhook.KEY_CACHE_SECONDS + 1
    monkeypatch.setattr(webhook, "_clock", lambda: later)
    assert discord.send(ping()).status_code == 401


def test_the_verification_stamp_is_written_at_most_once_a_minute(
    discord: Discord, shared_app: BotApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    discord.send(ping())
    BotApplication.objects.filter(pk=shared_app.pk).update(endpoint_verified_at=None)
    discord.send(ping())
    assert BotApplication.objects.get(pk=shared_app.pk).endpoint_verified_at is None
    later = time.monotonic() + 61
    monkeypatch.setattr(webhook, "_clock", lambda: later)
    discord.send(ping())
    assert BotApplication.objects.get(pk=shared_app.pk).endpoint_verified_at is not None


@pytest.mark.parametrize("minutes", [-6, 6])
def test_it_refuses_a_signed_request_whose_timestamp_is_far_from_now(
    discord: Discord, shared_app: BotApplication, minutes: int
) -> None:
    # Correctly signed, but captured earlier (or dated ahead): a replay.
    body = json.dumps(ping()).encode()
    timestamp = str(int(time.time()) + minutes * 60)
    response = discord.post(body, discord.headers(body, timestamp=timestamp))
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_a_timestamp_within_the_window_is_accepted(discord: Discord, shared_app: BotApplication) -> None:
    body = json.dumps(ping()).encode()
    timestamp = str(int(time.time()) - 4 * 60)  # a slow network, a skewed clock
    assert discord.post(body, discord.headers(body, timestamp=timestamp)).status_code == 200


def test_a_body_without_an_application_id_is_refused_without_trying_any_key(
    discord: Discord, shared_app: BotApplication, custom_app: BotApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []

    def verify(key: str, *args: Any) -> bool:
        checks.append(key)
        return False

    monkeypatch.setattr(webhook, "verify_signature", verify)
    payload = {key: value for key, value in ping().items() if key != "application_id"}
    response = discord.send(payload)
    assert response.status_code == 401
    assert checks == []


def test_made_up_application_ids_cost_no_query_each(
    discord: Discord, shared_app: BotApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert discord.send(ping()).status_code == 200  # the keys are read once
    database_work: list[str] = []
    real_db = webhook._db

    def counting_db(func: Any) -> Any:
        database_work.append(func.__name__)
        return real_db(func)

    monkeypatch.setattr(webhook, "_db", counting_db)
    for n in range(20):
        made_up = str(790000000000000000 + n)
        assert discord.send(ping(made_up), SHARED_ID).status_code == 401
    assert database_work == []


def test_an_ask_of_a_bot_the_server_is_not_connected_to_is_refused_at_once(
    discord: Discord,
    shared_app: BotApplication,
    custom_app: BotApplication,
    other_workspace: Any,
    enqueued: list[dict[str, Any]],
) -> None:
    # The guild is connected to Bob's workspace through the shared bot; Alice's custom bot
    # (a user-installed app, say) is run there.
    DiscordServer.objects.create(guild_id=discord.guild_id, workspace=other_workspace, application=shared_app)
    response = discord.send(discord.ask("What is in Bob's knowledge?", application_id=CUSTOM_ID), CUSTOM_ID)
    body = response.json()
    assert body["type"] == 4 and body["data"]["flags"] == 64
    assert body["data"]["content"] == NOT_THIS_BOT
    assert enqueued == []
    assert discord.send(discord.ask("How long do refunds take?")).json() == {"type": 5}  # its own bot
    assert len(enqueued) == 1
