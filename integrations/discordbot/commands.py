"""The slash commands we register with Discord (/ask), and registering them.

Registration goes through discord.py's own REST client, logged in without a gateway
connection, so it works from the web process, the worker or a management command.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord
from huey.contrib.djhuey import db_task

from integrations.discordbot.endpoints import configure_from_settings
from integrations.discordbot.models import BotApplication

log = logging.getLogger(__name__)

ASK = "ask"
STRING_OPTION = 3
CHAT_INPUT = 1
GUILD_INSTALL = 0  # integration type: installed to a server (not to a user)
GUILD_CONTEXT = 0  # interaction context: used inside a server (not in DMs)
QUESTION_MAX_LENGTH = 500
SYNC_TIMEOUT_SECONDS = 30.0

ASK_COMMAND: dict[str, Any] = {
    "name": ASK,
    "type": CHAT_INPUT,
    "description": "Ask a question; the answer comes from this server's knowledge base.",
    "options": [
        {
            "type": STRING_OPTION,
            "name": "question",
            "description": "What do you want to know?",
            "required": True,
            "max_length": QUESTION_MAX_LENGTH,
        }
    ],
    "integration_types": [GUILD_INSTALL],
    "contexts": [GUILD_CONTEXT],
}


async def sync_commands(app_id: str, token: str) -> None:
    """Replace the application's global commands with ours. Raises discord.py's errors
    (LoginFailure for a refused token, HTTPException for a refused registration)."""
    configure_from_settings()
    # No gateway connection, so intents do not matter; the guilds one only stops
    # discord.py from warning that state may be incomplete.
    client = discord.Client(intents=discord.Intents(guilds=True))
    try:
        await client.login(token)
        await client.http.bulk_upsert_global_commands(app_id, [ASK_COMMAND])
    finally:
        await client.close()


def sync_commands_for(app: BotApplication) -> str | None:
    """Register our commands for ``app``; None when done, otherwise why not, in plain
    words. Never raises for Discord's answers or network trouble. Call from a thread
    without a running event loop (a view, a job, a management command)."""
    if not app.bot_token:
        return "no bot token is set"
    try:
        asyncio.run(asyncio.wait_for(sync_commands(app.application_id, app.bot_token), SYNC_TIMEOUT_SECONDS))
    except discord.LoginFailure:
        return "Discord refused the bot token"
    except discord.Forbidden as exc:
        # A token of another application gets 403 Missing Access on this one's commands.
        return f"Discord refused to register the commands for this application: {exc.text or exc.status}"
    except discord.HTTPException as exc:
        return f"Discord answered {exc.status}: {exc.text or 'no details'}"
    except TimeoutError:
        return f"Discord did not answer within {SYNC_TIMEOUT_SECONDS:.0f} seconds"
    except (aiohttp.ClientError, OSError) as exc:
        return f"could not reach Discord: {exc}"
    return None


@db_task()
def sync_application_commands(app_pk: int) -> None:
    """Job: register our commands for one application (after a server was connected)."""
    app = BotApplication.objects.filter(pk=app_pk).first()
    if app is None:
        return
    error = sync_commands_for(app)
    if error:
        log.warning("could not register slash commands for application %s: %s", app.application_id, error)
    else:
        log.info("registered slash commands for application %s", app.application_id)
