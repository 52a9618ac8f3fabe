from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("discord/", include("integrations.discordbot.urls")),
    path("discord/", include("moderation.urls")),
    path("discord/", include("proactive.urls")),
    path("conversations/", include("conversations.urls")),
    path("usage/", include("usage.urls")),
    path("", include("accounts.urls")),
    path("", include("accounts.auth_urls")),
]
