from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from knowledge.models import KnowledgeSource
from tests.knowledge.conftest import Route, Site, make_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("add_knowledge", *args, stdout=out)
    return out.getvalue()


def test_it_indexes_text_right_away(workspace: Any) -> None:
    output = _run("--workspace", str(workspace.pk), "--text", "Refunds within 30 days.", "--title", "Refunds")

    source = KnowledgeSource.objects.get()
    assert source.status == KnowledgeSource.Status.READY
    assert output.strip() == f"source {source.pk} ready: Refunds (1 chunks)"


def test_it_finds_the_workspace_by_name(workspace: Any) -> None:
    _run("--workspace", workspace.name, "--text", "Open daily.")

    assert KnowledgeSource.objects.get().workspace == workspace


def test_it_indexes_a_file(workspace: Any, tmp_path: Path) -> None:
    path = tmp_path / "policy.pdf"
    path.write_bytes(make_pdf(["Refunds within 30 days."]))

    _run("--workspace", str(workspace.pk), "--file", str(path))

    assert KnowledgeSource.objects.get().chunk_count == 1


def test_it_indexes_a_sitemap(workspace: Any, site: Site, allow_private: Any) -> None:
    site.routes["/sitemap.xml"] = Route(
        f"<urlset><url><loc>{site.url('/a')}</loc></url></urlset>".encode(), content_type="text/xml"
    )
    site.routes["/a"] = Route(b"<title>A</title><p>Page A.</p>")

    output = _run("--workspace", str(workspace.pk), "--sitemap", site.url("/sitemap.xml"))

    assert "ready" in output


def test_it_exits_with_the_failure_reason(workspace: Any, tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nbroken")

    with pytest.raises(CommandError, match="failed: This PDF could not be read"):
        _run("--workspace", str(workspace.pk), "--file", str(path))


def test_it_refuses_a_private_url_before_saving_anything(workspace: Any) -> None:
    with pytest.raises(CommandError, match="private or loopback"):
        _run("--workspace", str(workspace.pk), "--url", "http://10.0.0.5/")
    assert not KnowledgeSource.objects.exists()


def test_queue_only_enqueues(workspace: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        output = _run("--workspace", str(workspace.pk), "--text", "Open daily.", "--queue")

    assert KnowledgeSource.objects.get().status == KnowledgeSource.Status.QUEUED
    assert len(callbacks) == 1
    assert "queued" in output


def test_it_names_an_unknown_workspace(db: None) -> None:
    with pytest.raises(CommandError, match="no workspace 'Nope'"):
        _run("--workspace", "Nope", "--text", "x")
