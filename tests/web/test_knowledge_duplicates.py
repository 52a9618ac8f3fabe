"""A duplicate text, file or address is flagged before it is added."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from knowledge.models import KnowledgeSource

pytestmark = pytest.mark.django_db


def test_the_same_text_twice_is_flagged_and_not_added(alice_client: Client) -> None:
    alice_client.post("/knowledge/add/text/", {"title": "FAQ", "text": "Refunds take five days."})
    page = alice_client.post("/knowledge/add/text/", {"title": "Again", "text": "Refunds take five days."})
    assert "You already added this content as “FAQ”" in page.content.decode()
    assert KnowledgeSource.objects.count() == 1


def test_the_same_file_twice_is_flagged(alice_client: Client) -> None:
    for _ in range(2):
        upload = SimpleUploadedFile("faq.md", b"# Refunds\nFive days.", content_type="text/markdown")
        page = alice_client.post("/knowledge/add/file/", {"file": upload})
    assert "You already added this content" in page.content.decode()
    assert KnowledgeSource.objects.count() == 1


def test_another_workspaces_copy_is_no_duplicate(
    alice_client: Client, bob_client: Client, other_workspace: Any
) -> None:
    bob_client.post("/knowledge/add/text/", {"title": "FAQ", "text": "Refunds take five days."})
    alice_client.post("/knowledge/add/text/", {"title": "FAQ", "text": "Refunds take five days."})
    assert KnowledgeSource.objects.count() == 2
