from __future__ import annotations

import gc
import os

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guildmind.settings")
django_application = get_asgi_application()  # sets Django up

from integrations.discordbot.webhook import route_webhook  # noqa: E402 (needs Django set up)

# Static files are served by Django's own ASGI handler (no sync-only middleware, so no
# thread hops per request); Discord's interactions endpoint skips the dashboard's
# middleware altogether (Discord waits 3 s at most, and it is benchmarked).
application = route_webhook(ASGIStaticFilesHandler(django_application))

# Everything imported so far lives for the life of the process; keeping it out of the
# garbage collector's full passes cut their pauses under load from ~50 ms to a few ms.
gc.collect()
gc.freeze()
