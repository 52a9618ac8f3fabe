from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from integrations.discordbot.models import BotApplication

pytestmark = pytest.mark.django_db


def test_the_admin_never_shows_a_bot_token_back(client: Client) -> None:
    operator = User.objects.create_superuser("operator", "op@example.org", "correct horse battery")
    app = BotApplication.objects.create(
        application_id="42", bot_token="secret-token-abcd", client_secret="shh"
    )
    client.force_login(operator)
    page = client.get(f"/admin/discordbot/botapplication/{app.pk}/change/").content.decode()
    assert "secret-token" not in page and "shh" not in page
    assert "…abcd" in page


def test_the_token_is_encrypted_at_rest(workspace: Any) -> None:
    from django.db import connection

    BotApplication.objects.create(application_id="43", bot_token="secret-token-abcd")
    with connection.cursor() as cursor:
        cursor.execute("SELECT bot_token FROM discordbot_botapplication WHERE application_id = '43'")
        stored = cursor.fetchone()[0]
    assert "secret-token" not in stored and stored
    assert BotApplication.objects.get(application_id="43").bot_token == "secret-token-abcd"
