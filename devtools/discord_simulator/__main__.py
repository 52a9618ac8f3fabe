"""``python -m devtools.discord_simulator --port 8790 [--token T --application-id A]``

Serves a simulated Discord for manual trials: one application, one guild with #general and
#support, the bot in it, and one member. Prints the URLs to put in DISCORD_API_BASE_URL and
DISCORD_GATEWAY_URL, and runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets

from . import permissions
from .server import DiscordSimulator


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtools.discord_simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--token", help="bot token to accept (default: a random one, printed)")
    parser.add_argument("--application-id", help="application id (default: a new snowflake, printed)")
    parser.add_argument("--bot-name", default="Guildmind")
    return parser.parse_args()


def _seed(sim: DiscordSimulator, args: argparse.Namespace) -> None:
    token = args.token or secrets.token_urlsafe(32)
    application_id = args.application_id or sim.state.snowflakes.next()
    app = sim.add_application(application_id, token, bot_name=args.bot_name)
    guild = sim.add_guild(
        "Simulated Server",
        bot_tokens=(token,),
        bot_permissions=permissions.BOT_DEFAULT | permissions.MODERATOR,
    )
    member = sim.add_member(guild.id, "member")
    print(f"DISCORD_API_BASE_URL={sim.api_base_url}")
    print(f"DISCORD_GATEWAY_URL={sim.gateway_url}")
    print(f"DISCORD_APPLICATION_ID={app.id}")
    print(f"DISCORD_BOT_TOKEN={token}")
    print(f"DISCORD_PUBLIC_KEY={app.public_key}")
    print(f"DISCORD_CLIENT_SECRET={app.client_secret}")
    print(f"guild {guild.id}: " + ", ".join(f"#{c.name}={c.id}" for c in guild.channels.values()))
    print(f"member {member.user.username}={member.id}, owner={guild.owner_id}")
    print("Serving; press Ctrl-C to stop.", flush=True)


def main() -> None:
    args = _arguments()
    sim = DiscordSimulator(host=args.host, port=args.port)

    async def serve() -> None:
        await sim.start()
        try:
            _seed(sim, args)
            await asyncio.Event().wait()
        finally:
            await sim.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
