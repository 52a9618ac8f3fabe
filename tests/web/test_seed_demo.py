from __future__ import annotations

import stat
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from accounts.management.commands.seed_demo import DEMO_DOCS_DIR, DEMO_WORKSPACE, seed_demo
from accounts.models import Membership, Workspace
from integrations.discordbot.models import BotApplication
from knowledge.models import KnowledgeSource


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    settings.DISCORD_APPLICATION_ID = ""
    settings.DISCORD_BOT_TOKEN = ""
    return tmp_path


@pytest.fixture
def two_docs(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "01-hours.md").write_text("# Opening hours\n\nWe open at nine.\n")
    (docs / "02-returns.md").write_text("Returns are accepted within thirty days.\n")
    return docs


@pytest.mark.django_db
def test_it_creates_the_workspace_an_owner_and_ready_sources(data_dir: Path, two_docs: Path) -> None:
    result = seed_demo(password="demo password 1", docs_dir=two_docs)
    workspace = Workspace.objects.get(name=DEMO_WORKSPACE)
    assert workspace.ai_instructions
    assert Membership.objects.get(workspace=workspace).role == Membership.Role.OWNER
    sources = KnowledgeSource.objects.filter(workspace=workspace).order_by("title")
    assert [(s.title, s.status) for s in sources] == [("Opening hours", "ready"), ("Returns", "ready")]
    assert result.added_sources == ["Opening hours", "Returns"]


@pytest.mark.django_db
def test_it_is_idempotent(data_dir: Path, two_docs: Path) -> None:
    seed_demo(docs_dir=two_docs)
    second = seed_demo(docs_dir=two_docs)
    assert second.added_sources == []
    assert Workspace.objects.filter(name=DEMO_WORKSPACE).count() == 1
    assert KnowledgeSource.objects.count() == 2
    assert Membership.objects.count() == 1


@pytest.mark.django_db
def test_it_stores_a_random_password_privately_and_reuses_it(data_dir: Path, two_docs: Path) -> None:
    first = seed_demo(docs_dir=two_docs)
    login = data_dir / "demo-login.txt"
    assert first.new_password and first.new_password in login.read_text()
    assert stat.S_IMODE(login.stat().st_mode) == 0o600
    assert seed_demo(docs_dir=two_docs).new_password is None
    assert authenticate(username="admin", password=first.new_password) is not None


@pytest.mark.django_db
def test_the_password_option_replaces_the_stored_password(data_dir: Path, two_docs: Path) -> None:
    seed_demo(docs_dir=two_docs)
    seed_demo(password="a brand new secret", docs_dir=two_docs)
    assert authenticate(username="admin", password="a brand new secret") is not None
    assert "a brand new secret" in (data_dir / "demo-login.txt").read_text()


@pytest.mark.django_db
def test_the_admin_is_a_superuser(data_dir: Path, two_docs: Path, django_user_model: Any) -> None:
    seed_demo(docs_dir=two_docs)
    assert django_user_model.objects.get(username="admin").is_superuser


@pytest.mark.django_db
def test_it_saves_the_shared_discord_application_when_configured(
    data_dir: Path, two_docs: Path, settings: Any
) -> None:
    settings.DISCORD_APPLICATION_ID = "123456"
    settings.DISCORD_BOT_TOKEN = "bot-token"
    assert seed_demo(docs_dir=two_docs).shared_application
    app = BotApplication.objects.get(is_shared=True)
    assert (app.application_id, app.bot_token) == ("123456", "bot-token")


@pytest.mark.django_db
def test_the_command_loads_every_demo_document(data_dir: Path) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    documents = sorted(DEMO_DOCS_DIR.glob("*.md"))
    assert len(documents) >= 4
    ready = KnowledgeSource.objects.filter(status=KnowledgeSource.Status.READY).count()
    assert ready == len(documents)
    assert "login: admin / " in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("question", "says"),
    [
        # The playground's own suggestions to a newcomer (templates/accounts/playground.html).
        ("What does Guildmind do?", "Guildmind"),
        ("How do I make the bot answer every message?", "mode"),
    ],
)
def test_the_demo_answers_the_questions_its_playground_suggests(
    data_dir: Path, question: str, says: str
) -> None:
    from accounts.playground import consult

    seed_demo()
    workspace = Workspace.objects.get(name=DEMO_WORKSPACE)
    answer = consult(workspace, question, []).answer

    assert answer.grounded, answer.text
    assert says.lower() in answer.text.lower()
    template = Path(__file__).resolve().parents[2] / "templates" / "accounts" / "playground.html"
    assert question in template.read_text(encoding="utf-8").replace("“", "").replace("”", "")
