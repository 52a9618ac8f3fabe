"""Add a knowledge source from the command line, and (by default) index it right away."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Workspace
from knowledge import actions, ingestion
from knowledge.errors import KnowledgeError
from knowledge.models import KnowledgeSource


class Command(BaseCommand):
    help = "Add text, a file, a web page or a sitemap to a workspace's knowledge base."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="workspace id or exact name")
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--text", help="the text or FAQ to add")
        what.add_argument("--file", help="path of a .txt, .md, .pdf or .docx file")
        what.add_argument("--url", help="a web page to fetch")
        what.add_argument("--sitemap", help="a sitemap (or sitemap index) whose pages to fetch")
        parser.add_argument("--title", default="", help="title of the source (text and files)")
        parser.add_argument(
            "--queue", action="store_true", help="only enqueue the indexing job for the worker"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = _find_workspace(options["workspace"])
        enqueue = bool(options["queue"])
        try:
            source = _add_source(workspace, options, enqueue=enqueue)
        except KnowledgeError as error:
            raise CommandError(str(error)) from None
        if enqueue:
            self.stdout.write(f"source {source.pk} queued: {source.title}")
            return
        ingestion.ingest_source(source.pk)
        source.refresh_from_db()
        if source.status != KnowledgeSource.Status.READY:
            raise CommandError(f"source {source.pk} failed: {source.error}")
        self.stdout.write(f"source {source.pk} ready: {source.title} ({source.chunk_count} chunks)")


def _find_workspace(reference: str) -> Workspace:
    if reference.isdigit():
        workspace = Workspace.objects.filter(pk=int(reference)).first()
    else:
        matches = list(Workspace.objects.filter(name=reference)[:2])
        if len(matches) > 1:
            raise CommandError(f"several workspaces are named {reference!r}; use the id")
        workspace = matches[0] if matches else None
    if workspace is None:
        raise CommandError(f"no workspace {reference!r}")
    return workspace


def _add_source(workspace: Workspace, options: dict[str, Any], *, enqueue: bool) -> KnowledgeSource:
    if options["text"] is not None:
        return actions.add_text_source(
            workspace, title=options["title"], text=options["text"], enqueue=enqueue
        )
    if options["file"] is not None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        with path.open("rb") as handle:
            return actions.add_file_source(
                workspace, upload=File(handle, name=path.name), title=options["title"], enqueue=enqueue
            )
    if options["url"] is not None:
        return actions.add_url_source(workspace, url=options["url"], enqueue=enqueue)
    return actions.add_url_source(workspace, url=options["sitemap"], sitemap=True, enqueue=enqueue)
