"""Where a Discord message was posted, as the pipeline needs it: what the channel sits in (a
thread's channel and that channel's category, a channel's category), whether it is a thread
or a forum post, and a forum post's title (the first half of its question)."""

from __future__ import annotations

from dataclasses import dataclass

import discord


@dataclass(frozen=True, slots=True)
class Place:
    within: tuple[int, ...] = ()
    in_thread: bool = False
    # A forum post's starter message: its title comes with the question.
    forum_title: str = ""
    # Any message in a forum post: the forum's id, the post's title and its author.
    forum_id: int = 0
    post_title: str = ""
    post_author_id: int = 0


def place_of(message: discord.Message) -> Place:
    channel = message.channel
    if isinstance(channel, discord.Thread):
        parent = channel.parent
        within = [channel.parent_id]
        category_id = getattr(parent, "category_id", None)
        if category_id:
            within.append(category_id)
        if not isinstance(parent, discord.ForumChannel):
            return Place(tuple(within), True)
        starter = message.id == channel.id
        return Place(
            tuple(within),
            True,
            channel.name if starter else "",
            forum_id=parent.id,
            post_title=channel.name,
            post_author_id=channel.owner_id or 0,
        )
    category_id = getattr(channel, "category_id", None)
    return Place((category_id,) if category_id else ())


def with_title(place: Place, content: str) -> str:
    """A forum post's question: its title, then its message (unless the message repeats it)."""
    title = place.forum_title.strip()
    if not title or content.strip().lower().startswith(title.lower()):
        return content
    return f"{title}\n{content}"
