"""Search a workspace's knowledge: per-process BM25 indexes kept fresh by knowledge_version.

Each process keeps one :class:`WorkspaceIndex` per workspace, built on first search from
the chunks of its indexed sources. Whoever changes chunks bumps
``Workspace.knowledge_version`` in the same transaction; a search compares the cached
version with the database at most every ``VERSION_CHECK_SECONDS`` per workspace, so a
burst of searches costs no query and a change shows up within seconds in every process.

While a workspace's index is rebuilt, searches of that workspace use the previous index
(only the very first build is waited for), and other workspaces are not held up at all.

The indexes together are held to ``KNOWLEDGE_INDEX_CACHE_MB``: past it, the least
recently searched workspaces' indexes are dropped (their next search rebuilds them).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings

from accounts.models import Workspace
from assistant.providers.base import Passage
from knowledge.embedding import load_vector
from knowledge.index import IndexedChunk, WorkspaceIndex
from knowledge.models import Chunk, KnowledgeSource

logger = logging.getLogger(__name__)

VERSION_CHECK_SECONDS = 2.0


@dataclass
class _Cached:
    index: WorkspaceIndex
    checked_at: float


# Least recently searched first; guarded by _cache_guard for moves and evictions.
_cache: OrderedDict[int, _Cached] = OrderedDict()
_cache_guard = threading.Lock()
_build_locks: dict[int, threading.Lock] = {}
_build_locks_guard = threading.Lock()


def search(workspace_id: int, query: str, k: int | None = None) -> list[Passage]:
    """The best ``k`` passages (default ``KNOWLEDGE_TOP_K``) of the workspace for ``query``.

    Best first; passages that share no word with the query are left out, so the list may
    be shorter than ``k`` or empty. Thread-safe. May query the database (see module doc).
    """
    if not query.strip():
        return []
    limit = settings.KNOWLEDGE_TOP_K if k is None else k
    return current_index(workspace_id).search(query, limit)


async def asearch(workspace_id: int, query: str, k: int | None = None) -> list[Passage]:
    """:func:`search` for async code.

    A search takes a fraction of a millisecond and runs inline. Only the version check
    (or the build) goes to a thread, once per workspace however many searches arrive
    meanwhile: those search the previous index, as during a rebuild (a burst's searches
    would otherwise each queue a check, and their search, behind the database work)."""
    if not query.strip():
        return []
    cached = _cache.get(workspace_id)
    if cached is not None and time.monotonic() - cached.checked_at < VERSION_CHECK_SECONDS:
        _touch(workspace_id)
        index = cached.index
    else:
        checking = _check(workspace_id)
        index = cached.index if cached is not None else await asyncio.shield(checking)
    return index.search(query, settings.KNOWLEDGE_TOP_K if k is None else k)


def _check(workspace_id: int) -> asyncio.Future[WorkspaceIndex]:
    """The version check (or build) of the workspace's index under way on this loop, or a
    new one."""
    checking = _checking.get(workspace_id)
    if checking is None or checking.get_loop() is not asyncio.get_running_loop():
        call = sync_to_async(current_index, thread_sensitive=False)(workspace_id)
        checking = _checking[workspace_id] = asyncio.ensure_future(call)
        checking.add_done_callback(_checked)
    return checking


def _checked(done: asyncio.Future[WorkspaceIndex]) -> None:
    for workspace_id, checking in list(_checking.items()):
        if checking is done:
            del _checking[workspace_id]
    if not done.cancelled() and done.exception() is not None:
        # Searches went on with the previous index (one without an index awaits and sees it).
        logger.warning("could not check the knowledge index: %s", done.exception())


# The version check (or build) under way per workspace, for asearch.
_checking: dict[int, asyncio.Future[WorkspaceIndex]] = {}


def warm_index(workspace_id: int) -> None:
    """Build (or check) the workspace's index ahead of its first question, while the
    cache has room (warming never evicts what members are searching). Never raises: a
    failure here is the first search's to report."""
    if workspace_id not in _cache and cached_bytes() >= settings.KNOWLEDGE_INDEX_CACHE_MB * 1024 * 1024 * 0.8:
        return
    try:
        current_index(workspace_id)
    except Exception:
        logger.warning("could not build the knowledge index of workspace %s ahead of time", workspace_id)


def invalidate(workspace_id: int) -> None:
    """Forget this process's index of the workspace; the next search rebuilds it."""
    with _cache_guard:
        _cache.pop(workspace_id, None)


def current_index(workspace_id: int) -> WorkspaceIndex:
    """The workspace's index, rebuilt first when its knowledge_version moved on."""
    cached = _cache.get(workspace_id)
    now = time.monotonic()
    if cached is not None and now - cached.checked_at < VERSION_CHECK_SECONDS:
        _touch(workspace_id)
        return cached.index
    version = _database_version(workspace_id)
    if cached is not None and cached.index.version == version:
        cached.checked_at = now
        return cached.index
    lock = _build_lock(workspace_id)
    if cached is not None:
        # Someone is already rebuilding: answer from the previous index meanwhile.
        if not lock.acquire(blocking=False):
            return cached.index
    else:
        lock.acquire()
    try:
        fresh = _cache.get(workspace_id)
        if fresh is not None and fresh.index.version == version:
            return fresh.index  # built by another thread while we waited
        started = time.monotonic()
        index = WorkspaceIndex(version, _load_chunks(workspace_id))
        with _cache_guard:
            _cache[workspace_id] = _Cached(index=index, checked_at=time.monotonic())
            _cache.move_to_end(workspace_id)
            _evict(keep=workspace_id)
        logger.info(
            "built knowledge index for workspace %s: %d chunks (%d embedded), version %s, %.0f ms, %.1f MB",
            workspace_id,
            len(index),
            index.embedded,
            version,
            (time.monotonic() - started) * 1000,
            index.nbytes / 1e6,
        )
        return index
    finally:
        lock.release()


def cached_bytes() -> int:
    """About how much memory this process's indexes hold."""
    return sum(cached.index.nbytes for cached in list(_cache.values()))


def _touch(workspace_id: int) -> None:
    with _cache_guard:
        if workspace_id in _cache:
            _cache.move_to_end(workspace_id)


def _evict(*, keep: int) -> None:
    """Drop least recently searched indexes until all fit the bound (never ``keep``'s).
    Call with ``_cache_guard`` held."""
    limit = settings.KNOWLEDGE_INDEX_CACHE_MB * 1024 * 1024
    total = sum(cached.index.nbytes for cached in _cache.values())
    for workspace_id in list(_cache):
        if total <= limit:
            break
        if workspace_id == keep:
            continue
        total -= _cache.pop(workspace_id).index.nbytes
        logger.info(
            "dropped the knowledge index of workspace %s to stay within the cache bound", workspace_id
        )


def _build_lock(workspace_id: int) -> threading.Lock:
    with _build_locks_guard:
        return _build_locks.setdefault(workspace_id, threading.Lock())


def _database_version(workspace_id: int) -> int:
    version = Workspace.objects.filter(pk=workspace_id).values_list("knowledge_version", flat=True).first()
    # A deleted workspace searches an empty index; -1 never equals a real version.
    return -1 if version is None else version


def _load_chunks(workspace_id: int) -> list[IndexedChunk]:
    """Chunks of the workspace's sources that have been indexed.

    A source being re-indexed keeps serving its previous chunks until the new ones
    replace them; a failed source has none (ingestion deletes them).
    """
    rows = (
        Chunk.objects.filter(workspace_id=workspace_id)
        .exclude(source__status=KnowledgeSource.Status.FAILED)
        .order_by("source_id", "ordinal")
        .values_list(
            "id", "source_id", "source__title", "heading", "url", "text", "embedding", "embedding_model"
        )
    )
    return [
        IndexedChunk(
            chunk_id=chunk_id,
            source_id=source_id,
            title=title,
            heading=heading,
            url=url,
            text=text,
            vector=load_vector(embedding),
            embedding_model=embedding_model,
        )
        for chunk_id, source_id, title, heading, url, text, embedding, embedding_model in rows.iterator(
            chunk_size=2000
        )
    ]
