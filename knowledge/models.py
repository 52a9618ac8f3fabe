from __future__ import annotations

from django.db import models

from accounts.models import Workspace


class KnowledgeSource(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", "Text / FAQ"
        FILE = "file", "File"
        URL = "url", "Web page"
        SITEMAP = "sitemap", "Sitemap"

    class Status(models.TextChoices):
        QUEUED = "queued"
        INDEXING = "indexing"
        READY = "ready"
        FAILED = "failed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="knowledge_sources")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=300)
    # TEXT: the text itself. FILE: the uploaded file. URL / SITEMAP: the address to crawl.
    text = models.TextField(blank=True)
    file = models.FileField(upload_to="knowledge/%Y/%m/", blank=True)
    url = models.URLField(max_length=2000, blank=True)
    # SHA-256 of a text's or a file's content, so the same content is flagged before it is
    # added twice ("" for sources added before it was kept, and for web addresses).
    content_hash = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    # Characters of text and chunks the last indexing stored; the workspace's totals of
    # both are held to its plan (usage.plans.knowledge_allowance).
    char_count = models.PositiveBigIntegerField(default=0)
    chunk_count = models.PositiveIntegerField(default=0)
    indexed_at = models.DateTimeField(null=True, blank=True)
    # The claim of the ingestion job at work (INDEXING): when it began, which is also how
    # a job knows the claim is still its own, and how many claims this indexing has had.
    # A claim older than KNOWLEDGE_INGEST_LEASE_SECONDS is taken back by the worker's tick.
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Chunk(models.Model):
    """A retrievable passage of a source: the heading path it sits under, and its text."""

    source = models.ForeignKey(KnowledgeSource, on_delete=models.CASCADE, related_name="chunks")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="chunks")
    ordinal = models.PositiveIntegerField()
    heading = models.CharField(max_length=500, blank=True)
    text = models.TextField()
    # Where the passage can be read (the page URL for crawled sources).
    url = models.URLField(max_length=2000, blank=True)
    # The chunk's dense vector (float16 bytes, see knowledge.embedding) and the model that
    # made it; "" and None until embedded. A vector of another model than the configured
    # one is replaced in the background.
    embedding = models.BinaryField(null=True, blank=True)
    embedding_model = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["source_id", "ordinal"]
        indexes = [models.Index(fields=["workspace", "source"])]

    def __str__(self) -> str:
        return f"{self.source_id}#{self.ordinal} {self.heading}"
