"""The web process's health probe, for container healthchecks (no curl in the image):
``python deploy/healthcheck.py`` exits 0 when ``GET /health/`` answers 200.

It asks with a host name the process accepts (the first of ``ALLOWED_HOSTS``), since a
probe to 127.0.0.1 is refused with 400 when only the public name is allowed."""

from __future__ import annotations

import os
import sys
import urllib.request

HEALTH_PATH = "/health/"


def probe_host(allowed_hosts: str) -> str:
    """The Host header to send: the first allowed name that is one exact host."""
    for entry in allowed_hosts.split(","):
        host = entry.strip().lstrip(".")
        if host and host != "*":
            return host
    return "127.0.0.1"


def main() -> int:
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{HEALTH_PATH}",
        headers={"Host": probe_host(os.environ.get("ALLOWED_HOSTS", ""))},
    )
    try:
        with urllib.request.urlopen(request, timeout=3) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
