#!/usr/bin/env bash
# The whole test suite: lint, types, migrations check, then pytest.
# Set DATABASE_URL / REDIS_URL to run it against Postgres and Redis.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh dev
export DATA_DIR=${DATA_DIR:-$PWD/var/test}
export DJANGO_SETTINGS_MODULE=guildmind.settings
PY=.venv/bin/python
echo "== ruff"
$PY -m ruff check .
$PY -m ruff format --check .
echo "== mypy"; $PY -m mypy .
echo "== migrations"; $PY manage.py makemigrations --check --dry-run >/dev/null
command -v chromium >/dev/null 2>&1 || [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] \
  || echo "!! no Chromium installed: the browser tests (tests/browser) will be SKIPPED (apt-get install chromium)"
echo "== pytest"; $PY -m pytest "$@"
