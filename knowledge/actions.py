"""Knowledge base state changes: the one layer the dashboard, the CLI and the worker call.

Adding or re-indexing a source saves it as QUEUED and, once the transaction commits,
enqueues the ``knowledge.tasks.ingest`` job, whose body is
:func:`knowledge.ingestion.ingest_source` (where the bounds and the lease are, too).
A text is checked against the plan's characters before it is saved, and again when it
is indexed.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePath

from django.conf import settings
from django.core.files import File
from django.db import transaction

from accounts.models import Workspace
from knowledge.addresses import check_url
from knowledge.errors import DuplicateSourceError, KnowledgeError, SourceLimitError
from knowledge.extract import SUPPORTED_FILE_EXTENSIONS, file_extension
from knowledge.ingestion import bump_knowledge_version, check_allowance, clean_title, knowledge_used
from knowledge.models import KnowledgeSource
from knowledge.tasks import ingest_on_commit


def add_text_source(workspace: Workspace, *, title: str, text: str, enqueue: bool = True) -> KnowledgeSource:
    """Save a text or FAQ entry and queue its indexing. KnowledgeError when the text is
    empty, SourceLimitError when it is longer than one source may be or would take the
    workspace past its plan's characters (nothing is saved then).

    ``enqueue=False`` leaves it QUEUED for the caller to run
    :func:`knowledge.ingestion.ingest_source`.
    """
    text = text.strip()
    if not text:
        raise KnowledgeError("The text is empty; write the answer or FAQ you want the bot to know.")
    limit = settings.KNOWLEDGE_MAX_SOURCE_CHARS
    if len(text) > limit:
        raise SourceLimitError(
            f"This text is {len(text):,} characters long; one entry may hold {limit:,}. "
            "Split it into several entries."
        )
    content_hash = hashlib.sha256(text.encode()).hexdigest()
    _refuse_duplicate(workspace, content_hash=content_hash)
    # Checked again when it is indexed; refusing now spares the owner a failed source.
    used = knowledge_used(workspace.pk)
    check_allowance(workspace.plan, chars=used.chars + len(text), chunks=used.chunks)
    # Untitled: named after its first line, without a markdown heading's "#".
    title = clean_title(title) or clean_title(text.split("\n", 1)[0].lstrip("# "))
    with transaction.atomic():
        source = KnowledgeSource.objects.create(
            workspace=workspace,
            kind=KnowledgeSource.Kind.TEXT,
            title=title,
            text=text,
            size_bytes=len(text.encode()),
            content_hash=content_hash,
        )
        if enqueue:
            ingest_on_commit(source.pk)
    return source


def add_file_source(
    workspace: Workspace, *, upload: File, title: str = "", enqueue: bool = True
) -> KnowledgeSource:
    """Store an uploaded txt/md/pdf/docx file and queue its indexing.

    KnowledgeError when the file is larger than KNOWLEDGE_MAX_UPLOAD_BYTES or not a
    supported type (nothing is stored then).
    """
    name = PurePath(upload.name or "").name
    extension = file_extension(name)
    if extension not in SUPPORTED_FILE_EXTENSIONS:
        supported = ", ".join(f".{ext}" for ext in SUPPORTED_FILE_EXTENSIONS)
        raise KnowledgeError(f"Guildmind cannot read {name or 'this file'}; upload a {supported} file.")
    size = upload.size or 0
    limit = settings.KNOWLEDGE_MAX_UPLOAD_BYTES
    if size > limit:
        raise KnowledgeError(f"This file is {_megabytes(size)}; the largest upload is {_megabytes(limit)}.")
    if size == 0:
        raise KnowledgeError("This file is empty.")
    digest = hashlib.sha256()
    for piece in upload.chunks():
        digest.update(piece)
    upload.seek(0)
    _refuse_duplicate(workspace, content_hash=digest.hexdigest())
    with transaction.atomic():
        source = KnowledgeSource(
            workspace=workspace,
            kind=KnowledgeSource.Kind.FILE,
            title=clean_title(title) or clean_title(PurePath(name).stem) or name,
            size_bytes=size,
            content_hash=digest.hexdigest(),
        )
        source.file.save(name, upload, save=False)
        source.save()
        if enqueue:
            ingest_on_commit(source.pk)
    return source


def add_url_source(
    workspace: Workspace, *, url: str, sitemap: bool = False, enqueue: bool = True
) -> KnowledgeSource:
    """Save a web page (or a sitemap to crawl) and queue its crawl.

    KnowledgeError up front for anything but http(s), an unknown host, or a private or
    loopback address (unless CRAWL_ALLOW_PRIVATE); the crawl checks every hop again.
    """
    url = check_url(url)
    _refuse_duplicate(workspace, url=url)
    with transaction.atomic():
        source = KnowledgeSource.objects.create(
            workspace=workspace,
            kind=KnowledgeSource.Kind.SITEMAP if sitemap else KnowledgeSource.Kind.URL,
            title=clean_title(url),
            url=url,
        )
        if enqueue:
            ingest_on_commit(source.pk)
    return source


def reindex_source(source: KnowledgeSource) -> None:
    """Queue the source for indexing again; its current chunks serve searches until then."""
    with transaction.atomic():
        # The owner asking again gets a fresh set of attempts.
        KnowledgeSource.objects.filter(pk=source.pk).update(
            status=KnowledgeSource.Status.QUEUED, error="", attempts=0
        )
        ingest_on_commit(source.pk)
    source.status = KnowledgeSource.Status.QUEUED
    source.error = ""


def delete_source(source: KnowledgeSource) -> None:
    """Delete the source, its chunks and its stored file; searches stop finding it."""
    file_name = source.file.name if source.file else ""
    storage = source.file.storage if source.file else None
    workspace_id = source.workspace_id
    with transaction.atomic():
        source.delete()
        bump_knowledge_version(workspace_id)
        if storage is not None and file_name:
            transaction.on_commit(lambda: storage.delete(file_name))


def _refuse_duplicate(workspace: Workspace, *, content_hash: str = "", url: str = "") -> None:
    """DuplicateSourceError when the workspace already has this content or this address:
    the bot would only find the same passages twice."""
    sources = KnowledgeSource.objects.filter(workspace=workspace)
    existing = (
        sources.filter(content_hash=content_hash).first() if content_hash else sources.filter(url=url).first()
    )
    if existing is None:
        return
    what = "this address" if url else "this content"
    raise DuplicateSourceError(
        f"You already added {what} as “{existing.title}” "
        f"({existing.get_status_display().lower()}); re-index or delete that one instead.",
        existing,
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
