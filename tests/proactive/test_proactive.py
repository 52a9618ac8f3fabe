"""Proactive schedules without Discord: the slot grid, claiming a slot once, what the
composer treats as a repeat, the dashboard's view of a schedule and diagnostics."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from huey.contrib.djhuey import HUEY

from assistant.providers.base import Passage
from assistant.providers.local import LocalProvider
from assistant.text import sentences
from integrations.discordbot.diagnostics import diagnose
from integrations.discordbot.models import BotApplication, DiscordServer
from proactive import actions as proactive
from proactive import schedule
from proactive.models import ProactivePost
from proactive.tasks import proactive_tick

T0 = datetime(2030, 1, 6, 9, 0, 30, tzinfo=UTC)
SLOT0 = datetime(2030, 1, 6, 9, 0, tzinfo=UTC)
TWO_HOURS = timedelta(hours=2)


@pytest.fixture
def server(db: None, workspace: Any) -> DiscordServer:
    app = BotApplication.objects.create(application_id="71000042", is_shared=True, bot_token="t")
    return DiscordServer.objects.create(
        guild_id="901",
        workspace=workspace,
        application=app,
        name="Shop",
        proactive_enabled=True,
        proactive_channel="general",
        proactive_topic="Shipping",
        proactive_frequency="2h",
    )


def reload(server: DiscordServer) -> DiscordServer:
    return DiscordServer.objects.get(pk=server.pk)


def record(server: DiscordServer, run_at: datetime, status: str, **fields: Any) -> ProactivePost:
    assert server.workspace is not None
    return ProactivePost.objects.create(
        server=server,
        workspace=server.workspace,
        run_at=run_at,
        status=status,
        channel_name=server.proactive_channel,
        finished_at=run_at,
        **fields,
    )


# --- the slot grid -------------------------------------------------------------------------


def test_a_slot_that_is_still_ahead_is_not_due() -> None:
    assert schedule.due_slot(SLOT0, TWO_HOURS, SLOT0 - timedelta(seconds=1)) is None


def test_the_slot_itself_is_due_on_the_minute() -> None:
    assert schedule.due_slot(SLOT0, TWO_HOURS, SLOT0) == SLOT0


def test_after_downtime_only_the_most_recent_slot_is_due() -> None:
    assert schedule.due_slot(SLOT0, TWO_HOURS, SLOT0 + 5 * TWO_HOURS + timedelta(minutes=10)) == (
        SLOT0 + 5 * TWO_HOURS
    )


def test_a_schedule_seen_for_the_first_time_is_due_at_once(server: DiscordServer) -> None:
    assert schedule.upcoming_slot(server, T0) == SLOT0


def test_a_new_frequency_steps_on_from_the_last_slot(server: DiscordServer) -> None:
    server.proactive_next_run_at, server.proactive_scheduled_frequency = SLOT0 + TWO_HOURS, "2h"
    server.proactive_frequency = "daily"
    assert schedule.upcoming_slot(server, T0) == SLOT0 + timedelta(days=1)


def test_a_schedule_that_is_off_has_no_next_run(server: DiscordServer) -> None:
    server.proactive_enabled = False
    assert schedule.next_run(server, T0) is None


# --- claiming ------------------------------------------------------------------------------


def test_claiming_moves_the_schedule_to_the_next_slot(server: DiscordServer) -> None:
    post = proactive.claim_slot(server, T0)
    assert post is not None and post.run_at == SLOT0 and post.status == "posting"
    assert reload(server).proactive_next_run_at == SLOT0 + TWO_HOURS


def test_nothing_is_claimed_before_the_next_slot(server: DiscordServer) -> None:
    proactive.claim_slot(server, T0)
    assert proactive.claim_slot(reload(server), SLOT0 + TWO_HOURS - timedelta(seconds=1)) is None
    assert ProactivePost.objects.count() == 1


def test_after_downtime_one_slot_is_claimed_and_the_next_is_after_now(server: DiscordServer) -> None:
    proactive.claim_slot(server, T0)
    later = SLOT0 + 5 * TWO_HOURS + timedelta(minutes=10)
    post = proactive.claim_slot(reload(server), later)
    assert post is not None and post.run_at == SLOT0 + 5 * TWO_HOURS
    assert reload(server).proactive_next_run_at == SLOT0 + 6 * TWO_HOURS
    assert proactive.claim_slot(reload(server), later) is None
    assert ProactivePost.objects.count() == 2


def test_a_worker_holding_a_stale_copy_of_the_schedule_claims_nothing(server: DiscordServer) -> None:
    stale = reload(server)
    assert proactive.claim_slot(server, T0) is not None
    assert proactive.claim_slot(stale, T0) is None
    assert ProactivePost.objects.count() == 1


def test_a_schedule_turned_off_meanwhile_claims_nothing(server: DiscordServer) -> None:
    DiscordServer.objects.filter(pk=server.pk).update(proactive_enabled=False)
    assert proactive.claim_slot(server, T0) is None


def test_a_changed_frequency_is_stored_without_a_post_when_not_due(server: DiscordServer) -> None:
    proactive.claim_slot(server, T0)
    DiscordServer.objects.filter(pk=server.pk).update(proactive_frequency="weekly")
    assert proactive.claim_slot(reload(server), T0 + timedelta(hours=1)) is None
    stored = reload(server)
    assert (stored.proactive_next_run_at, stored.proactive_scheduled_frequency) == (
        SLOT0 + timedelta(weeks=1),
        "weekly",
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_a_due_slot_claim_it_once(server: DiscordServer) -> None:
    both_read = threading.Barrier(2, timeout=10)
    claims: list[ProactivePost | None] = []

    def worker() -> None:
        from django.db import connection

        copy = DiscordServer.objects.get(pk=server.pk)  # each worker reads the schedule
        both_read.wait()  # ... before either claims
        claims.append(proactive.claim_slot(copy, T0))
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(claims) == 2 and sum(claim is not None for claim in claims) == 1
    assert ProactivePost.objects.count() == 1


def test_a_post_interrupted_long_ago_is_marked_failed(server: DiscordServer) -> None:
    post = proactive.claim_slot(server, T0)
    assert post is not None
    ProactivePost.objects.filter(pk=post.pk).update(created_at=post.created_at - timedelta(hours=1))
    proactive.run_due_schedules(T0)
    post.refresh_from_db()
    assert post.status == "failed" and "worker stopped" in post.error


def test_a_schedule_that_may_not_post_skips_its_slot_and_moves_on(
    server: DiscordServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(proactive, "can_post", lambda server: False)
    (post,) = proactive.run_due_schedules(T0)
    assert post.status == "skipped" and "may not post" in post.error
    assert reload(server).proactive_next_run_at == SLOT0 + TWO_HOURS


def test_a_disconnected_server_is_not_scheduled(server: DiscordServer) -> None:
    DiscordServer.objects.filter(pk=server.pk).update(connected=False)
    assert proactive.run_due_schedules(T0) == []
    assert reload(server).proactive_next_run_at is None


def test_the_worker_ticks_every_minute() -> None:
    for minute in (datetime(2030, 1, 6, 9, 1), datetime(2030, 1, 6, 9, 2)):
        assert proactive_tick.s().name in {task.name for task in HUEY.read_periodic(minute)}


# --- no repeats ----------------------------------------------------------------------------


SHIPPING = Passage(
    text="Orders ship from our Lisbon warehouse every weekday. International delivery takes 7 to 12 days.",
    title="Shipping",
    heading="Shipping",
    score=5.0,
    source_id=1,
    chunk_id=1,
)
SHIPPING_FAQ = Passage(
    text="Orders ship from the Lisbon warehouse each weekday. Tracking numbers arrive by email within a day.",
    title="Shipping FAQ",
    heading="Shipping",
    score=4.0,
    source_id=2,
    chunk_id=2,
)


async def test_the_local_composer_does_not_retell_a_sentence_in_other_words() -> None:
    provider = LocalProvider()
    first = await provider.compose_proactive("Shipping", [SHIPPING, SHIPPING_FAQ], [])
    second = await provider.compose_proactive("Shipping", [SHIPPING, SHIPPING_FAQ], [first])
    assert "Lisbon" in first and second
    assert "Lisbon" not in second and "Tracking numbers" in second


async def test_the_local_composer_does_not_retell_a_post_another_provider_wrote() -> None:
    earlier = "Did you know? Our Lisbon warehouse ships orders every weekday! Tracking numbers come by email."
    post = await LocalProvider().compose_proactive("Shipping", [SHIPPING, SHIPPING_FAQ], [earlier])
    said = [s.text for s in sentences(post.removeprefix("**Shipping**: "))]
    assert said == ["International delivery takes 7 to 12 days."]


def test_a_post_reading_like_an_earlier_one_is_a_repeat() -> None:
    earlier = "**Shipping**: Orders ship from our Lisbon warehouse every weekday."
    assert proactive.repeats_earlier_post("Orders ship from our Lisbon warehouse every weekday!", [earlier])
    assert not proactive.repeats_earlier_post("International delivery takes 7 to 12 days.", [earlier])


# --- the dashboard and diagnostics ---------------------------------------------------------


def test_the_panel_shows_the_history_and_the_next_run(server: DiscordServer, alice: Any) -> None:
    record(server, SLOT0, "posted", text="**Shipping**: Orders ship every weekday.")
    record(server, SLOT0 + TWO_HOURS, "failed", error="There is no text channel named #general")
    DiscordServer.objects.filter(pk=server.pk).update(
        proactive_next_run_at=datetime(2099, 1, 1, 12, 0, tzinfo=UTC), proactive_scheduled_frequency="2h"
    )
    client = Client()
    client.force_login(alice)
    page = client.get(f"/discord/servers/{server.pk}/proactive/panel/").content.decode()
    assert "Orders ship every weekday." in page and "no text channel named #general" in page
    assert "2099-01-01 12:00" in page and "Post now" in page


def test_a_schedule_that_is_due_says_it_posts_within_a_minute(server: DiscordServer, alice: Any) -> None:
    client = Client()
    client.force_login(alice)
    page = client.get(f"/discord/servers/{server.pk}/proactive/").content.decode()
    assert "within a minute" in page and "Nothing posted yet" in page


def test_the_settings_page_loads_the_proactive_panel(server: DiscordServer, alice: Any) -> None:
    client = Client()
    client.force_login(alice)
    page = client.get(f"/discord/servers/{server.pk}/settings/").content.decode()
    assert f'hx-get="/discord/servers/{server.pk}/proactive/panel/"' in page


@pytest.mark.parametrize("suffix", ["", "panel/", "preview/", "send/"])
def test_another_workspaces_server_is_not_found(server: DiscordServer, bob: Any, suffix: str) -> None:
    client = Client()
    client.force_login(bob)
    url = f"/discord/servers/{server.pk}/proactive/{suffix}"
    method = client.post if suffix in ("preview/", "send/") else client.get
    assert method(url).status_code == 404


@pytest.mark.parametrize("suffix", ["preview/", "send/"])
def test_post_now_needs_a_csrf_token(server: DiscordServer, alice: Any, suffix: str) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(f"/discord/servers/{server.pk}/proactive/{suffix}").status_code == 403


def test_a_tampered_preview_sends_nothing(server: DiscordServer, alice: Any) -> None:
    client = Client()
    client.force_login(alice)
    response = client.post(f"/discord/servers/{server.pk}/proactive/send/", {"token": "forged"}, follow=True)
    assert "nothing was sent" in response.content.decode()
    assert not ProactivePost.objects.exists()


def test_a_failed_proactive_post_is_reported_once_with_advice(server: DiscordServer, workspace: Any) -> None:
    error = "There is no text channel named #general in the server (its text channels: #support)."
    record(server, SLOT0, "failed", error=error)
    DiscordServer.objects.filter(pk=server.pk).update(last_error=proactive.LAST_ERROR_PREFIX + error)
    (problem,) = diagnose(workspace).servers[0].problems
    assert "proactive post to #general failed" in problem.title and "no text channel" in problem.detail
    assert "Create #general" in problem.advice and "tried again" in problem.advice


def test_a_proactive_post_that_went_out_later_clears_the_report(
    server: DiscordServer, workspace: Any
) -> None:
    record(server, SLOT0, "failed", error="There is no text channel named #general")
    record(server, SLOT0 + TWO_HOURS, "posted", text="Hello")
    assert diagnose(workspace).servers[0].ok


def test_a_skipped_post_asks_for_knowledge_on_the_topic(server: DiscordServer, workspace: Any) -> None:
    record(server, SLOT0, "skipped", error=proactive.NOTHING_NEW.format(topic="Shipping"))
    (problem,) = diagnose(workspace).servers[0].problems
    assert "skipped" in problem.title and "Add knowledge" in problem.advice
