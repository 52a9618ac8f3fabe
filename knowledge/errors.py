"""The one error the knowledge base shows to people."""

from __future__ import annotations


class KnowledgeError(ValueError):
    """A source cannot be added or read, for a reason the owner can act on.

    ``str(error)`` is a complete sentence written for the dashboard ("This PDF could not be
    read: it is damaged or encrypted."); it is stored as the source's ``error``.
    """
