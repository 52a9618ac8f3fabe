from __future__ import annotations

from django.contrib import admin

from integrations.discordbot.models import BotApplication, DiscordServer, Interaction


@admin.register(BotApplication)
class BotApplicationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    # Tokens are encrypted at rest and never shown back: only their last characters.
    list_display = ["application_id", "name", "is_shared", "workspace", "token_hint", "endpoint_verified_at"]
    exclude = ["bot_token", "client_secret"]
    readonly_fields = ["token_hint", "endpoint_verified_at"]


@admin.register(DiscordServer)
class DiscordServerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "guild_id", "workspace", "connected", "response_mode", "moderation_enabled"]
    list_filter = ["connected", "response_mode", "moderation_enabled"]
    search_fields = ["name", "guild_id"]
    readonly_fields = ["guild_id", "application", "joined_at", "left_at", "last_error"]


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["received_at", "interaction_id", "command", "guild_id", "state"]
    list_filter = ["state"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
