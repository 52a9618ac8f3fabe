"""Ingesting a knowledge source: the body of the ``knowledge.tasks.ingest`` job (extract,
chunk, store), the lease that takes back a job's claim when its worker died, and the
bounds every source is held to.

Each chunk is embedded (:mod:`knowledge.embedding`) before it is stored, outside the
transaction; a chunk that could not be embedded is stored without a vector and
:mod:`knowledge.reembedding` fills it in later.

Bounds: one source is held to the extraction caps (:class:`ExtractLimits`), and a
workspace's sources together to its plan's characters and chunks
(:func:`usage.plans.knowledge_allowance`); over a cap, the source fails saying which.
A job's claim on a source is a lease: a claim older than KNOWLEDGE_INGEST_LEASE_SECONDS
(the worker died or hung) is taken back by :func:`take_back_stalled`. Every change to a
workspace's chunks bumps ``Workspace.knowledge_version`` in the same transaction, which
is how every process's search index learns it is stale.

Nothing here enqueues a job: the job modules call in, never the other way round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from accounts.models import Workspace
from knowledge import search
from knowledge.chunking import TextChunk, chunk_text, infer_headings
from knowledge.crawl import crawl_page, crawl_sitemap
from knowledge.embedding import embed_chunks_for_storage
from knowledge.errors import KnowledgeError, SourceLimitError
from knowledge.extract import ExtractLimits, file_extension, too_much_text
from knowledge.isolation import extract_file_isolated
from knowledge.models import Chunk, KnowledgeSource
from usage.plans import knowledge_allowance, plan_name

logger = logging.getLogger(__name__)

MAX_TITLE_CHARS = 300  # KnowledgeSource.title max_length
GENERIC_FAILURE = (
    "Something went wrong while indexing this source. Try again; if it keeps failing, check the worker log."
)


def ingest_source(source_id: int) -> None:
    """The ingestion job: extract, chunk and store a QUEUED source's chunks. Never raises
    (an Exception, that is: a worker that dies leaves its claim to the lease).

    Claims the source (QUEUED → INDEXING) with a conditional update, so a job that two
    workers see runs once; a source that is no longer QUEUED is left alone. Ends READY,
    or FAILED with ``error`` saying why (a generic reason for unexpected errors, which
    are logged with their traceback). A job whose claim was taken back meanwhile
    (:func:`take_back_stalled`) changes nothing.
    """
    # The claim's time is its token: only the job holding it may finish the source.
    claimed_at = timezone.now()
    try:
        claimed = KnowledgeSource.objects.filter(pk=source_id, status=KnowledgeSource.Status.QUEUED).update(
            status=KnowledgeSource.Status.INDEXING,
            error="",
            claimed_at=claimed_at,
            attempts=F("attempts") + 1,
        )
        if not claimed:
            logger.info("knowledge source %s is gone or not queued; nothing to ingest", source_id)
            return
        source = KnowledgeSource.objects.select_related("workspace").get(pk=source_id)
        # What the workspace's other sources leave of its plan: checked before the work,
        # and again, under lock, when the chunks are stored.
        used = knowledge_used(source.workspace_id, excluding=source.pk)
        allowance = knowledge_allowance(source.workspace.plan)
        content = _read_source(source, ExtractLimits.from_settings())
        check_allowance(source.workspace.plan, chars=used.chars + content.char_count, chunks=used.chunks)
        chunks = _chunk(content, max_chunks=max(0, allowance.chunks - used.chunks))
        if not chunks:
            raise KnowledgeError("No text was found in this source.")
        check_allowance(source.workspace.plan, chars=used.chars, chunks=used.chunks + len(chunks))
        title = content.title or source.title
        vectors = embed_chunks_for_storage([(title, c.heading, c.text) for c in chunks])
        _store_chunks(source, chunks, content, claimed_at, vectors)
    except KnowledgeError as error:
        logger.info("knowledge source %s failed: %s", source_id, error)
        _mark_failed(source_id, str(error), claimed_at)
    except Exception:
        logger.exception("knowledge source %s failed unexpectedly", source_id)
        _mark_failed(source_id, GENERIC_FAILURE, claimed_at)


def take_back_stalled(now: datetime, *, requeue: Callable[[int], None]) -> int:
    """Take back the sources whose ingestion outlived its lease: its worker died or hung.

    A source INDEXING for longer than KNOWLEDGE_INGEST_LEASE_SECONDS is queued again, or,
    once it has been claimed KNOWLEDGE_INGEST_MAX_ATTEMPTS times, FAILED with the reason.
    Conditional updates take each back once however many ticks run at the same time.
    ``requeue(source_id)`` is called inside the transaction that queues a source again
    (``knowledge.tasks`` enqueues its job once that commits). Returns how many sources
    were taken back.
    """
    lease = settings.KNOWLEDGE_INGEST_LEASE_SECONDS
    taken_back = 0
    for source_id, claimed_at, attempts in _stalled_claims(now, lease):
        if attempts >= settings.KNOWLEDGE_INGEST_MAX_ATTEMPTS:
            reason = (
                f"Indexing this source was interrupted {attempts} times before it finished (the "
                f"worker stopped, or took longer than {_duration(lease)}). Try again; if it keeps "
                "failing, check the worker log."
            )
            taken_back += _mark_failed(source_id, reason, claimed_at)
            continue
        with transaction.atomic():
            requeued = (
                KnowledgeSource.objects.filter(pk=source_id, status=KnowledgeSource.Status.INDEXING)
                .filter(_claim(claimed_at))
                .update(status=KnowledgeSource.Status.QUEUED)
            )
            if requeued:
                logger.warning("knowledge source %s outlived its lease; queued again", source_id)
                requeue(source_id)
                taken_back += 1
    return taken_back


def _stalled_claims(now: datetime, lease: float) -> list[tuple[int, datetime | None, int]]:
    """(source id, claimed at, attempts) of the claims older than the lease."""
    stalled = KnowledgeSource.objects.filter(
        # No claim time: claimed before claims were timed, as old as can be.
        Q(claimed_at__lt=now - timedelta(seconds=lease)) | Q(claimed_at__isnull=True),
        status=KnowledgeSource.Status.INDEXING,
    )
    return list(stalled.values_list("pk", "claimed_at", "attempts"))


@dataclass(frozen=True)
class _Page:
    text: str
    url: str = ""
    # Heads every chunk of the page (a sitemap's page titles).
    root_heading: str = ""


@dataclass
class _Content:
    # The text of each page (one page for text and files).
    pages: list[_Page]
    size_bytes: int
    # A better title found while reading (the <title> of a web page), if any.
    title: str = ""

    @property
    def char_count(self) -> int:
        return sum(len(page.text) for page in self.pages)


def _read_source(source: KnowledgeSource, limits: ExtractLimits) -> _Content:
    kind = source.kind
    if kind == KnowledgeSource.Kind.TEXT:
        # Entries added before the cap, or since it was lowered, are held to it here.
        if len(source.text) > limits.max_chars:
            raise too_much_text("this text", limits.max_chars)
        return _Content(pages=[_Page(infer_headings(source.text))], size_bytes=len(source.text.encode()))
    if kind == KnowledgeSource.Kind.FILE:
        if not source.file:
            raise KnowledgeError("The uploaded file is missing; upload it again.")
        try:
            with source.file.open("rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            raise KnowledgeError("The uploaded file is missing; upload it again.") from None
        text = extract_file_isolated(data, source.file.name or "", limits)
        if file_extension(source.file.name or "") == "txt":
            text = infer_headings(text)
        return _Content(pages=[_Page(text)], size_bytes=len(data))
    if kind in (KnowledgeSource.Kind.URL, KnowledgeSource.Kind.SITEMAP):
        is_sitemap = kind == KnowledgeSource.Kind.SITEMAP
        crawl = crawl_sitemap if is_sitemap else crawl_page
        result = crawl(source.url, limits=limits)
        for skipped in result.skipped:
            logger.info("knowledge source %s skipped %s", source.pk, skipped)
        # A single page names itself; a sitemap's pages each head their own chunks.
        title = "" if is_sitemap else result.pages[0].title
        pages = [_Page(page.text, page.url, page.title if is_sitemap else "") for page in result.pages]
        return _Content(pages=pages, size_bytes=result.bytes_read, title=clean_title(title))
    raise KnowledgeError(f"Unknown kind of source: {kind}.")


def _chunk(content: _Content, *, max_chunks: int) -> list[TextChunk]:
    """The chunks of every page; stops once there are more than ``max_chunks``."""
    chunks: list[TextChunk] = []
    for page in content.pages:
        left = max_chunks - len(chunks)
        chunks.extend(chunk_text(page.text, url=page.url, root_heading=page.root_heading, max_chunks=left))
        if len(chunks) > max_chunks:
            break
    return chunks


@dataclass(frozen=True)
class Used:
    chars: int
    chunks: int


def knowledge_used(workspace_id: int, *, excluding: int | None = None) -> Used:
    """Characters and chunks the workspace's sources hold (but ``excluding``'s: it is
    being indexed again, and its new chunks replace them)."""
    sources = KnowledgeSource.objects.filter(workspace_id=workspace_id)
    if excluding is not None:
        sources = sources.exclude(pk=excluding)
    totals = sources.aggregate(chars=Sum("char_count"), chunks=Sum("chunk_count"))
    return Used(chars=totals["chars"] or 0, chunks=totals["chunks"] or 0)


def check_allowance(plan: str, *, chars: int, chunks: int) -> None:
    """SourceLimitError when a knowledge base of ``chars`` and ``chunks`` is over the plan's."""
    allowance = knowledge_allowance(plan)
    advice = "Delete sources you no longer need, or move to a larger plan."
    if chars > allowance.chars:
        raise SourceLimitError(
            f"This would bring the knowledge base to {chars:,} characters of text; the "
            f"{plan_name(plan)} plan allows {allowance.chars:,}. {advice}"
        )
    if chunks > allowance.chunks:
        raise SourceLimitError(
            f"This would bring the knowledge base past {allowance.chunks:,} passages, the most "
            f"the {plan_name(plan)} plan allows. {advice}"
        )


def _store_chunks(
    source: KnowledgeSource,
    chunks: list[TextChunk],
    content: _Content,
    claimed_at: datetime,
    vectors: tuple[str, list[bytes | None]],
) -> None:
    with transaction.atomic():
        # Lock the row: a delete or another ingestion of the same source waits for us.
        locked = KnowledgeSource.objects.select_for_update().filter(pk=source.pk).first()
        if locked is None:
            return  # deleted while we were reading it
        if locked.claimed_at != claimed_at or locked.status == KnowledgeSource.Status.FAILED:
            # Our claim outlived its lease and was taken back (and perhaps given to
            # another job): what we read is no longer wanted.
            logger.info("knowledge source %s was taken back from this job; result dropped", source.pk)
            return
        # Then the workspace row (in the order delete_source locks them): ingestions of one
        # workspace store one at a time, so two cannot both fit in the room left for one.
        workspace = Workspace.objects.select_for_update().get(pk=source.workspace_id)
        used = knowledge_used(workspace.pk, excluding=source.pk)
        check_allowance(
            workspace.plan, chars=used.chars + content.char_count, chunks=used.chunks + len(chunks)
        )
        Chunk.objects.filter(source_id=source.pk).delete()
        model_id, embedded = vectors
        Chunk.objects.bulk_create(
            [
                Chunk(
                    source_id=source.pk,
                    workspace_id=source.workspace_id,
                    ordinal=ordinal,
                    heading=chunk.heading,
                    text=chunk.text,
                    url=chunk.url,
                    embedding=vector,
                    embedding_model=model_id if vector is not None else "",
                )
                for ordinal, (chunk, vector) in enumerate(zip(chunks, embedded, strict=True))
            ],
            batch_size=500,
        )
        fields: dict[str, object] = {
            "size_bytes": content.size_bytes,
            "char_count": content.char_count,
            "chunk_count": len(chunks),
            "indexed_at": timezone.now(),
            "attempts": 0,
        }
        # Re-queued while we worked (the owner asked again): stay QUEUED so the queued
        # job reads the source once more.
        if locked.status == KnowledgeSource.Status.INDEXING:
            fields.update(status=KnowledgeSource.Status.READY, error="")
        # Name a web page by its <title> unless the owner named it.
        if content.title and locked.title == clean_title(locked.url):
            fields["title"] = content.title
        KnowledgeSource.objects.filter(pk=source.pk).update(**fields)
        bump_knowledge_version(source.workspace_id)


def _mark_failed(source_id: int, reason: str, claimed_at: datetime | None) -> bool:
    """Fail the source if it is still INDEXING under the claim of ``claimed_at``; whether it did."""
    try:
        with transaction.atomic():
            # Only the holder of the claim records its failure; a source re-queued
            # meanwhile stays QUEUED for the next job.
            failed = (
                KnowledgeSource.objects.filter(pk=source_id, status=KnowledgeSource.Status.INDEXING)
                .filter(_claim(claimed_at))
                .update(
                    status=KnowledgeSource.Status.FAILED,
                    error=reason,
                    chunk_count=0,
                    char_count=0,
                    attempts=0,
                )
            )
            if not failed:
                return False
            workspace_id = (
                KnowledgeSource.objects.filter(pk=source_id).values_list("workspace_id", flat=True).first()
            )
            # A failed re-index must not leave the old chunks answering questions.
            deleted, _ = Chunk.objects.filter(source_id=source_id).delete()
            if deleted and workspace_id is not None:
                bump_knowledge_version(workspace_id)
            return True
    except Exception:
        logger.exception("could not record the failure of knowledge source %s", source_id)
        return False


def _claim(claimed_at: datetime | None) -> Q:
    # Sources claimed before claims were timed have none.
    return Q(claimed_at=claimed_at) if claimed_at is not None else Q(claimed_at__isnull=True)


def bump_knowledge_version(workspace_id: int) -> None:
    """Call inside the transaction that changes the workspace's chunks."""
    Workspace.objects.filter(pk=workspace_id).update(knowledge_version=F("knowledge_version") + 1)
    # This process's index can go at once; other processes notice the version.
    transaction.on_commit(lambda: search.invalidate(workspace_id))


def clean_title(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"
