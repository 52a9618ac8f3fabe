"""What Guildmind keeps in DATA_DIR (the secret key, the databases with their WAL and SHM
files, the job queue, uploads, mail) is readable by the service's user only: files 0600,
directories 0700, even when the process starts under a permissive umask."""

from __future__ import annotations

import json
import os
import stat
import sys
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import operator_env, run, run_django

# Creates one of each thing in a fresh DATA_DIR, then reports every path's mode while the
# database connection is still open (SQLite removes its WAL and SHM files on close).
CREATE_EVERYTHING = """
import json, os, stat
from pathlib import Path
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import connection
from huey.contrib.djhuey import HUEY

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE notes (text TEXT)")
    cursor.execute("INSERT INTO notes VALUES ('hello')")
HUEY.storage.enqueue(b"a job")
default_storage.save("knowledge/2026/01/handbook.txt", ContentFile(b"Refunds take 5 days."))
send_mail("Escalation", "A member asked for a person.", "bot@example.org", ["team@example.org"])
root = Path(settings.DATA_DIR)
modes = {"DATA_DIR": stat.S_IMODE(root.stat().st_mode)}
for path in root.rglob("*"):
    modes[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
print(json.dumps(modes))
"""


@pytest.fixture(scope="module")
def modes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    data_dir = tmp_path_factory.mktemp("operator") / "data"  # created by Guildmind itself
    result: dict[str, int] = run_django(CREATE_EVERYTHING, operator_env(data_dir), umask=0o022)
    return result


def modes_of(modes: dict[str, int], pattern: str) -> dict[str, str]:
    found = {path: oct(mode) for path, mode in modes.items() if fnmatchcase(path, pattern)}
    assert found, f"nothing matches {pattern} in {sorted(modes)}"
    return found


@pytest.mark.parametrize(
    "pattern",
    [
        "secret_key",
        "guildmind.sqlite3",
        "guildmind.sqlite3-wal",
        "guildmind.sqlite3-shm",
        "queue.sqlite3*",
        "media/knowledge/2026/01/handbook.txt",
        "mail/*.log",
    ],
)
def test_files_are_readable_by_the_service_user_only(modes: dict[str, int], pattern: str) -> None:
    found = modes_of(modes, pattern)
    assert set(found.values()) == {oct(0o600)}, found


@pytest.mark.parametrize("pattern", ["DATA_DIR", "media", "media/knowledge/2026/01", "mail", "static"])
def test_directories_are_open_to_the_service_user_only(modes: dict[str, int], pattern: str) -> None:
    found = modes_of(modes, pattern)
    assert set(found.values()) == {oct(0o700)}, found


# Records how the secret key file came to be: every open and chmod of it.
AUDIT_SECRET_KEY = """
import json, os, sys
events = []
def audit(event, args):
    if event in ("open", "os.chmod") and str(args[0]).endswith("secret_key"):
        events.append([event, args[2] if event == "open" else args[1]])
sys.addaudithook(audit)
from django.conf import settings
settings.SECRET_KEY
print(json.dumps(events))
"""


def secret_key_events(data_dir: Path) -> list[Any]:
    env = operator_env(data_dir)
    result = run([sys.executable, "-c", AUDIT_SECRET_KEY], env, umask=0)
    assert result.returncode == 0, result.stderr
    events: list[Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return events


def test_the_generated_secret_key_is_created_private_and_never_chmodded(tmp_path: Path) -> None:
    events = secret_key_events(tmp_path)
    assert not [event for event in events if event[0] == "os.chmod"], events
    creating = [flags for event, flags in events if event == "open" and flags & os.O_CREAT]
    assert creating and all(flags & os.O_EXCL for flags in creating), events
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_an_existing_secret_key_is_kept(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("an operator's own key that is long enough to be a key\n")
    script = "import json\nfrom django.conf import settings\nprint(json.dumps(settings.SECRET_KEY))"
    key = run_django(script, operator_env(tmp_path))
    assert key == "an operator's own key that is long enough to be a key"
