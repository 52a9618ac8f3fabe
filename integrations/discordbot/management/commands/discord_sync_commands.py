from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from integrations.discordbot.actions import ensure_shared_application
from integrations.discordbot.commands import sync_commands_for
from integrations.discordbot.models import BotApplication


def _label(app: BotApplication) -> str:
    kind = "shared application" if app.is_shared else "custom bot"
    name = f" ({app.name})" if app.name else ""
    return f"{kind} {app.application_id}{name}"


class Command(BaseCommand):
    help = "Register the /ask slash command with Discord for the shared application and every custom bot."

    def handle(self, *args: Any, **options: Any) -> None:
        shared = ensure_shared_application()
        apps = [shared] if shared is not None else []
        apps += list(BotApplication.objects.filter(is_shared=False).order_by("id"))
        if not apps:
            self.stdout.write(
                "no Discord application is configured (set DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN)"
            )
            return
        failed = 0
        for app in apps:
            error = sync_commands_for(app)
            if error is None:
                self.stdout.write(f"{_label(app)}: ok")
            else:
                failed += 1
                self.stdout.write(f"{_label(app)}: failed: {error}")
        if failed:
            raise CommandError(f"{failed} of {len(apps)} applications could not register /ask")
