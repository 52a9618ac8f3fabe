"""Clicks on the Solved button under the bot's answer in a forum post, from the gateway and
the HTTP endpoint alike: checked against the server's connected bot and workspace and the
member's permissions in the post (Discord sends them with the click), then handed to
``pipeline.solved`` with a ``ThreadTagger`` (discord.py's HTTP client: its rate limits
apply). The click is acknowledged at once with a private "thinking…" response, which the
outcome then replaces."""

from __future__ import annotations

import logging
from typing import Any

import discord

from conversations.forum_posts import PostRef
from integrations.discordbot.components import EPHEMERAL, NOT_OURS, click_from_payload, ephemeral
from integrations.discordbot.models import BotApplication, DiscordServer
from integrations.discordbot.permissions import ADMINISTRATOR, MANAGE_THREADS
from integrations.discordbot.ports import REST_CLIENTS, DiscordActionError, InteractionResponder
from integrations.discordbot.servers import SOURCE
from integrations.discordbot.solved_button import parse_solved
from pipeline.ask import NOT_THIS_BOT
from pipeline.solved import SolveClick, solve

log = logging.getLogger(__name__)

DEFERRED_EPHEMERAL: dict[str, Any] = {"type": 5, "data": {"flags": EPHEMERAL}}
# Discord allows at most this many tags on a forum post.
MAX_TAGS = 5
NO_MANAGE_THREADS = (
    "the bot lacks Manage Threads in this forum (Discord answered: {said}); "
    "give the bot's role Manage Threads to let it tag and close posts"
)
# An interaction token answers for 15 minutes; tagging takes seconds.
WORK_TIMEOUT = 60.0


def is_solve(custom_id: str) -> bool:
    return parse_solved(custom_id) is not None


def solve_click(application_id: str, payload: dict[str, Any]) -> SolveClick | dict[str, Any]:
    """The Solved click a component interaction delivered to ``application_id`` carries, or
    the interaction response refusing it. Sync (database); never raises for a stranger's
    payload."""
    guild_id, user_id, custom_id = click_from_payload(payload)
    post_id = parse_solved(custom_id)
    channel_id = str(payload.get("channel_id") or (payload.get("channel") or {}).get("id") or "")
    # The button is on a message inside the post: a click from elsewhere is not ours.
    if post_id is None or not guild_id.isdigit() or not user_id.isdigit() or channel_id != str(post_id):
        return ephemeral(NOT_OURS)
    server = (
        DiscordServer.objects.filter(guild_id=guild_id)
        .values(
            "application__application_id", "workspace_id", "connected", "solved_tag_name", "close_on_solved"
        )
        .first()
    )
    if server is None or server["workspace_id"] is None or not server["connected"]:
        return ephemeral(NOT_OURS)
    if server["application__application_id"] != application_id:
        log.info(
            "Solved click of application %s in guild %s, connected to another bot", application_id, guild_id
        )
        return ephemeral(NOT_THIS_BOT)
    member = payload.get("member") or {}
    granted = str(member.get("permissions") or "0") if isinstance(member, dict) else "0"
    manages = granted.isdigit() and bool(int(granted) & (MANAGE_THREADS | ADMINISTRATOR))
    return SolveClick(
        post=PostRef(int(server["workspace_id"]), SOURCE, guild_id, str(post_id)),
        member_id=user_id,
        manages_threads=manages,
        tag_name=str(server["solved_tag_name"] or ""),
        close=bool(server["close_on_solved"]),
    )


class ThreadTagger:
    """PostPort over any logged-in discord.py client (gateway or REST-only)."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def solve_post(self, post_id: str, tag_name: str, *, close: bool) -> str:
        http = self.client.http
        try:
            thread: Any = await http.get_channel(int(post_id))
            forum: Any = await http.get_channel(int(thread["parent_id"]))
        except discord.HTTPException as exc:
            raise DiscordActionError(
                f"Discord answered HTTP {exc.status} reading the post", status=exc.status
            ) from exc
        wanted = tag_name.strip().lower()
        tag = next(
            (
                t
                for t in forum.get("available_tags") or []
                if wanted and str(t.get("name", "")).strip().lower() == wanted
            ),
            None,
        )
        applied = [str(t) for t in thread.get("applied_tags") or []]
        changes: dict[str, Any] = {}
        if tag is not None and str(tag["id"]) not in applied:
            changes["applied_tags"] = [*applied[-(MAX_TAGS - 1) :], str(tag["id"])]
        if close:
            changes["archived"] = True
        if changes:
            try:
                await http.edit_channel(int(post_id), reason="Marked solved", **changes)
            except discord.Forbidden as exc:
                said = exc.text or "Missing Permissions"
                raise DiscordActionError(NO_MANAGE_THREADS.format(said=said), status=exc.status) from exc
            except discord.HTTPException as exc:
                raise DiscordActionError(
                    f"Discord answered HTTP {exc.status}: {exc.text or exc}", status=exc.status
                ) from exc
        return str(tag["name"]) if tag is not None else ""


async def answer_solve(client: discord.Client, application_id: str, token: str, click: SolveClick) -> None:
    """Mark the post solved and replace the deferred response with the outcome."""
    text = await solve(click, ThreadTagger(client))
    await InteractionResponder(client, application_id, token).edit_response(text)


def solve_from_worker(payload: dict[str, Any], application_pk: int) -> None:
    """The worker's side of a Solved click acknowledged by the HTTP endpoint. Sync; never
    raises."""
    app = BotApplication.objects.filter(pk=application_pk).first()
    if app is None:
        return
    click = solve_click(app.application_id, payload)
    if not isinstance(click, SolveClick):
        return  # refused when it was acknowledged; nothing changed since matters

    async def work() -> None:
        client = await REST_CLIENTS.client(app.application_id, app.bot_token)
        await answer_solve(client, app.application_id, str(payload["token"]), click)

    try:
        REST_CLIENTS.run(work, timeout=WORK_TIMEOUT)
    except Exception:
        log.exception("Solved click %s could not be answered", payload.get("id"))
