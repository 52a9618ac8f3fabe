from __future__ import annotations

from django.contrib import admin

from accounts.auth_forms import AdminLoginForm
from accounts.models import Invitation, Membership, Workspace

# The admin's own login page gets the same limits on failed attempts as the dashboard's.
admin.site.login_form = AdminLoginForm


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "plan", "escalation_email", "created_at"]
    # Operators assign plans here (there is no payment integration), also from the list.
    list_editable = ["plan"]
    list_filter = ["plan"]
    search_fields = ["name", "escalation_email"]
    readonly_fields = ["knowledge_version", "created_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "workspace__name"]
    autocomplete_fields = ["user", "workspace"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "workspace", "invited_by", "created_at", "accepted_at"]
    search_fields = ["email", "workspace__name"]
    readonly_fields = ["token", "created_at", "accepted_at", "accepted_by"]
