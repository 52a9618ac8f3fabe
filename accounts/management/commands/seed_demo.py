"""Create (or bring up to date) the demo workspace, its admin login and its knowledge.

Idempotent: running it again reuses the stored password and skips documents already
present, so the one-command runner can call it on every start.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from accounts.models import Membership, Workspace
from knowledge.models import KnowledgeSource

DEMO_WORKSPACE = "Guildmind Demo"
DEMO_USERNAME = "admin"
DEMO_INSTRUCTIONS = (
    "You are Guildmind, the helper of the Guildmind community server. Answer questions about "
    "Guildmind from the knowledge base, briefly and in a friendly tone. If the knowledge base "
    "does not say, say you don't know and suggest asking the team."
)
DEMO_DOCS_DIR = Path(settings.BASE_DIR) / "docs" / "demo-knowledge"


@dataclass(frozen=True)
class SeedResult:
    workspace: Workspace
    username: str
    # The password when this run created or changed it, else None.
    new_password: str | None
    login_file: Path
    added_sources: list[str]
    shared_application: bool


def login_file() -> Path:
    return Path(settings.DATA_DIR) / "demo-login.txt"


def read_stored_password() -> str | None:
    """The demo password kept in DATA_DIR/demo-login.txt, or None when there is none."""
    try:
        text = login_file().read_text()
    except OSError:
        return None
    match = re.search(r"^password:\s*(\S+)\s*$", text, re.MULTILINE)
    return match.group(1) if match else None


def _store_password(username: str, password: str) -> None:
    path = login_file()
    # Created with 0600 from the start so the password is never readable by others.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"username: {username}\npassword: {password}\n")
    path.chmod(0o600)


def _ensure_admin(password: str | None) -> tuple[Any, str | None]:
    """Create the demo superuser, or update its password when one is given or stored."""
    User = get_user_model()
    user = User.objects.filter(username=DEMO_USERNAME).first()
    stored = read_stored_password()
    if user is None:
        new_password = password or stored or secrets.token_urlsafe(12)
        user = User.objects.create_superuser(DEMO_USERNAME, "", new_password)
        _store_password(DEMO_USERNAME, new_password)
        return user, new_password
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
        _store_password(DEMO_USERNAME, password)
        return user, password
    return user, None


def _ensure_workspace(user: Any) -> Workspace:
    workspace = Workspace.objects.filter(name=DEMO_WORKSPACE).order_by("id").first()
    if workspace is None:
        # The demo is on the top plan, so every page shows its feature.
        workspace = Workspace.objects.create(
            name=DEMO_WORKSPACE, ai_instructions=DEMO_INSTRUCTIONS, plan=Workspace.Plan.PRO
        )
    Membership.objects.get_or_create(user=user, workspace=workspace, defaults={"role": Membership.Role.OWNER})
    return workspace


def doc_title(path: Path) -> str:
    """The document's first level-one heading, else its file name in words."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return re.sub(r"^\d+-", "", path.stem).replace("-", " ").capitalize()


def _add_demo_knowledge(workspace: Workspace, docs_dir: Path) -> list[str]:
    from knowledge.actions import add_text_source
    from knowledge.ingestion import ingest_source

    present = set(
        KnowledgeSource.objects.filter(workspace=workspace, kind=KnowledgeSource.Kind.TEXT).values_list(
            "title", flat=True
        )
    )
    added = []
    for path in sorted(docs_dir.glob("*.md")):
        title = doc_title(path)
        if title in present:
            continue
        # Indexed right here rather than queued, so the demo answers on first start even
        # before the worker runs.
        source = add_text_source(workspace, title=title, text=path.read_text(encoding="utf-8"), enqueue=False)
        ingest_source(source.id)
        added.append(title)
    return added


def _ensure_shared_application() -> bool:
    from integrations.discordbot.actions import ensure_shared_application

    return ensure_shared_application() is not None


def seed_demo(*, password: str | None = None, docs_dir: Path = DEMO_DOCS_DIR) -> SeedResult:
    """Bring the demo to its seeded state; safe to call on every start."""
    user, new_password = _ensure_admin(password)
    workspace = _ensure_workspace(user)
    added = _add_demo_knowledge(workspace, docs_dir)
    return SeedResult(
        workspace=workspace,
        username=DEMO_USERNAME,
        new_password=new_password,
        login_file=login_file(),
        added_sources=added,
        shared_application=_ensure_shared_application(),
    )


class Command(BaseCommand):
    help = "Create the demo workspace, an admin login and the demo knowledge (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="Set the admin password (otherwise a stored or random one).")

    def handle(self, *args: Any, **options: Any) -> None:
        result = seed_demo(password=options.get("password") or None)
        for title in result.added_sources:
            self.stdout.write(f"added knowledge: {title}")
        self.stdout.write(f"workspace: {result.workspace.name}")
        if result.new_password:
            self.stdout.write(
                self.style.SUCCESS(f"login: {result.username} / {result.new_password}")
                + f"  (kept in {result.login_file})"
            )
        elif read_stored_password():
            self.stdout.write(f"login: {result.username} (password in {result.login_file})")
        else:
            self.stdout.write(f"login: {result.username} (password unchanged; set one with --password)")
        if result.shared_application:
            self.stdout.write("Discord: shared application saved from settings")
