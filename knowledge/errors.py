"""The one error the knowledge base shows to people."""

from __future__ import annotations


class KnowledgeError(ValueError):
    """A source cannot be added or read, for a reason the owner can act on.

    ``str(error)`` is a complete sentence written for the dashboard ("This PDF could not be
    read: it is damaged or encrypted."); it is stored as the source's ``error``.
    """


class SourceLimitError(KnowledgeError):
    """A source is larger, or slower to read, than Guildmind allows (pages, characters,
    unpacked bytes, time, memory, a workspace's totals).

    The whole source fails with it: a sitemap does not skip past the page that hit a cap,
    because the cap is the source's, not the page's.
    """


class DuplicateSourceError(KnowledgeError):
    """The workspace already has this content (same text or file bytes) or this address;
    ``existing`` is that source."""

    def __init__(self, message: str, existing: object) -> None:
        super().__init__(message)
        self.existing = existing
