"""What the gateway remembers of each channel's recent conversation, in memory and bounded.

Two features read it:

- channel awareness: the AI sees the channel's last messages from everyone (not only the
  member's own thread), so it follows a group discussion;
- not talking over people: before an unprompted reply goes out, the bot checks whether
  another person answered the member in the meantime.

Memory is bounded three ways: messages per channel, characters per message and channels
(least recently active channels are forgotten first). It is lost on restart, which only
costs a little context.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, replace

from assistant.providers.base import Turn


@dataclass(frozen=True, slots=True)
class Seen:
    """One message as the channel memory keeps it."""

    message_id: int
    author_id: int
    author_name: str
    text: str
    # Our own bot's messages become the AI's turns; other bots' are kept as context.
    from_self: bool = False
    from_bot: bool = False
    reply_to_message_id: int | None = None
    reply_to_author_id: int | None = None
    mentioned_ids: frozenset[int] = frozenset()


class ChannelMemory:
    def __init__(self, *, per_channel: int = 20, channels: int = 10_000, max_chars: int = 600) -> None:
        self.per_channel = per_channel
        self.channels = channels
        self.max_chars = max_chars
        self._by_channel: OrderedDict[tuple[int, int], deque[Seen]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._by_channel)

    def remember(self, guild_id: int, channel_id: int, seen: Seen) -> None:
        if self.per_channel <= 0:
            return
        key = (guild_id, channel_id)
        recent = self._by_channel.get(key)
        if recent is None:
            recent = self._by_channel[key] = deque(maxlen=self.per_channel)
            if len(self._by_channel) > self.channels:
                self._by_channel.popitem(last=False)
        else:
            self._by_channel.move_to_end(key)
        if len(seen.text) > self.max_chars:
            seen = replace(seen, text=seen.text[: self.max_chars] + "…")
        recent.append(seen)

    def recent(self, guild_id: int, channel_id: int) -> list[Seen]:
        return list(self._by_channel.get((guild_id, channel_id), ()))

    def turns(self, guild_id: int, channel_id: int, *, before_message_id: int, bot_name: str) -> list[Turn]:
        """The channel's conversation before ``before_message_id``, oldest first, as turns
        that name their authors (the AI needs to know who said what)."""
        turns = []
        for seen in self.recent(guild_id, channel_id):
            if seen.message_id >= before_message_id:
                continue  # Discord ids grow with time: this one came later (or is the question)
            if seen.from_self:
                turns.append(Turn(role="assistant", text=seen.text, author=bot_name))
            else:
                author = f"{seen.author_name} (a bot)" if seen.from_bot else seen.author_name
                turns.append(Turn(role="member", text=seen.text, author=author))
        return turns

    def answered_by_someone_else(
        self, guild_id: int, channel_id: int, message_id: int, author_id: int
    ) -> bool:
        """Whether, since ``message_id``, another person addressed its author: replied to
        that message or to the author, or mentioned the author. Bots don't count."""
        for seen in self.recent(guild_id, channel_id):
            if (
                seen.message_id <= message_id
                or seen.from_bot
                or seen.from_self
                or seen.author_id == author_id
            ):
                continue
            if (
                seen.reply_to_message_id == message_id
                or seen.reply_to_author_id == author_id
                or author_id in seen.mentioned_ids
            ):
                return True
        return False

    def others_spoke(self, guild_id: int, channel_id: int, author_id: int, *, before_message_id: int) -> bool:
        """Whether a person other than ``author_id`` wrote here before ``before_message_id``
        (in a thread: members are helping each other). Bots don't count."""
        return any(
            seen.message_id < before_message_id
            and not (seen.from_bot or seen.from_self)
            and seen.author_id != author_id
            for seen in self.recent(guild_id, channel_id)
        )
