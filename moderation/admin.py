from __future__ import annotations

from django.contrib import admin

from moderation.models import ModerationEntry


@admin.register(ModerationEntry)
class ModerationEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["created_at", "server", "member_name", "action", "outcome", "rule"]
    list_filter = ["action", "outcome"]
    search_fields = ["member_id", "member_name", "message_text"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
