"""Helpers for tests of settings read at start-up: each runs Python in a fresh process with
the environment an operator would set, so module-level settings are computed anew."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Variables that would leak the test run's own configuration (or its shared Postgres and
# Redis) into the fresh process.
_INHERITED_NOT = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SITE_URL", "DEBUG", "ALLOWED_HOSTS")
HTTPS_SITE = {
    "SITE_URL": "https://guildmind.example.org",
    "ALLOWED_HOSTS": "guildmind.example.org",
    "DEBUG": "false",
}


def a_secret_key() -> str:
    return secrets.token_urlsafe(50)


def operator_env(data_dir: Path, **env: str) -> dict[str, str]:
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name not in _INHERITED_NOT and not name.startswith(("SECURE_", "CSRF_", "HUEY_", "EMAIL_"))
    }
    return {**inherited, "DJANGO_SETTINGS_MODULE": "guildmind.settings", "DATA_DIR": str(data_dir), **env}


def run(args: list[str], env: dict[str, str], *, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    """Run ``args`` from the project directory under a typical login umask."""
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, umask=umask, check=False
    )


def run_django(script: str, env: dict[str, str], **options: Any) -> Any:
    """Run ``script`` after django.setup(); it prints one JSON document, returned here."""
    result = run([sys.executable, "-c", "import django\ndjango.setup()\n" + script], env, **options)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
