"""Marking a forum post solved, whichever way the click arrived (the gateway or the HTTP
endpoint): only the post's author or a member who manages threads may; the channel applies
the forum's solved tag (and closes the post when the server says so) through a
``PostPort``, and the post is recorded solved even when the channel could not tag it.

The channel's adapter has already checked that the click came from the bot its server is
connected to (the workspace), and answers the member in private with the returned text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from conversations.forum_posts import PostRef, find_post, mark_solved
from guildmind.db import async_db
from pipeline.port import ActionError

UNKNOWN = "This post can't be marked solved here."
NOT_YOURS = "Only the post's author, or a member who can manage threads, can mark it solved."
ALREADY = "This post is already marked solved."


class PostPort(Protocol):
    async def solve_post(self, post_id: str, tag_name: str, *, close: bool) -> str:
        """Apply the post's forum tag named ``tag_name`` (case aside) and, with ``close``,
        archive the post. Returns the tag's name as the forum spells it, or "" when the
        forum has no such tag. Raises ActionError when the channel refuses."""
        ...


@dataclass(frozen=True, slots=True)
class SolveClick:
    post: PostRef
    member_id: str
    # The member may manage threads in the post's channel (or administers the server).
    manages_threads: bool
    tag_name: str
    close: bool


async def solve(click: SolveClick, port: PostPort) -> str:
    """Mark the post solved for the member who clicked; returns what to tell them."""
    post = await async_db(find_post)(click.post)
    if post is None:
        return UNKNOWN
    if click.member_id != post.author_id and not click.manages_threads:
        return NOT_YOURS
    if post.solved_at is not None:
        return ALREADY
    wanted = click.tag_name.strip()
    try:
        tag = await port.solve_post(click.post.post_id, wanted, close=click.close)
    except ActionError as exc:
        await async_db(mark_solved)(post, click.member_id, tagged=False)
        return f"Marked solved, but the post could not be tagged or closed: {exc.reason}."
    if not await async_db(mark_solved)(post, click.member_id, tagged=bool(tag)):
        return ALREADY
    closed = " and closed" if click.close else ""
    if tag:
        return f"Marked solved: tagged “{tag}”{closed}."
    if not wanted:
        return f"Marked solved{closed}."
    return f"Marked solved{closed}. This forum has no “{wanted}” tag, so none was applied."
