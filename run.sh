#!/usr/bin/env bash
# Runs Guildmind on this machine: installs what it needs, prepares the database and the
# demo, then starts the dashboard, the Discord gateway and the worker.
# Usage: ./run.sh [--host 127.0.0.1] [--port 8000]
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
if [ -f .env ]; then
  # Simple KEY=VALUE lines; exported so every process reads the same settings.
  set -a
  # shellcheck disable=SC1091
  . ./.env
  set +a
fi
exec .venv/bin/python manage.py up "$@"
