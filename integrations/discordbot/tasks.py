"""Huey jobs of the Discord integration."""

from __future__ import annotations

from typing import Any

from huey.contrib.djhuey import db_task

from integrations.discordbot.answers import answer_ask

# The worker loads each app's ``tasks`` module only; jobs defined elsewhere register here.
from integrations.discordbot.commands import sync_application_commands  # noqa: F401
from integrations.discordbot.solving import solve_from_worker


@db_task()
def answer_interaction(payload: dict[str, Any], application_pk: int, received_at: float) -> None:
    """Answer an /ask acknowledged earlier (see interactions.accept_interaction)."""
    answer_ask(payload, application_pk, received_at)


@db_task()
def solve_post(payload: dict[str, Any], application_pk: int) -> None:
    """Mark a forum post solved for a click acknowledged earlier (interactions.accept_interaction)."""
    solve_from_worker(payload, application_pk)
