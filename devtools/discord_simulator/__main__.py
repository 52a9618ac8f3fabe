"""``python -m devtools.discord_simulator --port 8790 [--token T --application-id A]``

Serves a simulated Discord for manual trials: one application, one guild with #general and
#support, the bot in it, and one member. Prints the URLs to put in DISCORD_API_BASE_URL and
DISCORD_GATEWAY_URL, and runs until Ctrl-C (or SIGTERM).

``--sandbox --application-id A --guild-id G`` serves the dashboard's sandbox instead
(``control.seed_sandbox``): the bot token and the control API's key are both read from the
``SANDBOX_KEY`` environment variable, so they never show in the process list.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import signal

from . import control, permissions
from .server import DiscordSimulator


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtools.discord_simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--token", help="bot token to accept (default: a random one, printed)")
    parser.add_argument("--application-id", help="application id (default: a new snowflake, printed)")
    parser.add_argument("--bot-name", default="Guildmind")
    parser.add_argument("--sandbox", action="store_true", help="serve the dashboard's sandbox world")
    parser.add_argument("--guild-id", help="the sandbox guild's id (with --sandbox)")
    return parser.parse_args()


def _seed_sandbox(sim: DiscordSimulator, args: argparse.Namespace, key: str) -> None:
    if not (args.application_id and args.guild_id):
        raise SystemExit("--sandbox needs --application-id and --guild-id")
    guild = control.seed_sandbox(sim, application_id=args.application_id, token=key, guild_id=args.guild_id)
    print(f"[sandbox] simulated Discord at {sim.api_base_url}, guild {guild.id}", flush=True)


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
    key = os.environ.get("SANDBOX_KEY", "") if args.sandbox else ""
    if args.sandbox and not key:
        raise SystemExit("--sandbox needs the SANDBOX_KEY environment variable")
    sim = DiscordSimulator(host=args.host, port=args.port, control_key=key or None)

    async def serve() -> None:
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await sim.start()
        try:
            if args.sandbox:
                _seed_sandbox(sim, args, key)
            else:
                _seed(sim, args)
            await stop.wait()
        finally:
            await sim.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
