from __future__ import annotations

import gc
import os

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application
from django.urls import reverse

from guildmind.bodylimit import limit_request_bodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guildmind.settings")
django_application = get_asgi_application()  # sets Django up

from integrations.discordbot.webhook import route_webhook  # noqa: E402 (needs Django set up)

WEBHOOK_PATH = reverse("discord_webhook")


def request_body_limit(path: str) -> int:
    """The largest body a request to ``path`` may send: Discord's interactions are a few KB."""
    if path == WEBHOOK_PATH:
        return int(settings.DISCORD_WEBHOOK_MAX_BODY_BYTES)
    return int(settings.MAX_REQUEST_BODY_BYTES)


# Bodies over the cap are refused before Django spools them to disk; static files are
# served by Django's own ASGI handler (no sync-only middleware, so no thread hops per
# request); Discord's interactions endpoint skips the dashboard's middleware altogether
# (Discord waits 3 s at most, and it is benchmarked).
application = limit_request_bodies(
    route_webhook(ASGIStaticFilesHandler(django_application)), request_body_limit
)

# Everything imported so far lives for the life of the process; keeping it out of the
# garbage collector's full passes cut their pauses under load from ~50 ms to a few ms.
gc.collect()
gc.freeze()
