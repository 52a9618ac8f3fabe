"""`python manage.py up`: everything on one machine with one command.

Prepares the database, static files and the demo, then runs and supervises the three
processes (web, Discord gateway, worker). The web process is essential: when it ends,
everything stops. The gateway and the worker are restarted with a growing delay when
they crash, so one bad moment does not take the dashboard down.

With no Discord application configured it also runs the sandbox (a fourth child: the
bundled Discord simulator on 127.0.0.1:SANDBOX_PORT, see integrations/discordbot/sandbox.py),
and the children's Discord endpoints point at it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from accounts.management.commands.seed_demo import read_stored_password, seed_demo
from accounts.models import Workspace
from integrations.discordbot.sandbox import retire_sandbox, simulator_argv, start_sandbox, why_no_sandbox


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: list[str]
    # An essential child ending stops every other one; the others are restarted.
    essential: bool = False


@dataclass(frozen=True)
class Backoff:
    initial: float = 1.0
    maximum: float = 30.0
    # A child that ran at least this long before dying counts as healthy again, so its
    # next restart is quick.
    reset_after: float = 60.0

    def delay(self, failures: int) -> float:
        return float(min(self.maximum, self.initial * 2 ** max(failures - 1, 0)))


class StopRequest:
    """Set from a signal handler; remembers the signal so children get the same one."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signum: int = signal.SIGTERM
        self.count = 0

    def request(self, signum: int = signal.SIGTERM) -> None:
        self.count += 1
        if not self._event.is_set():
            self.signum = signum
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    @property
    def forced(self) -> bool:
        """A second request while stopping: do not wait for children any longer."""
        return self.count >= 2


@dataclass
class _Child:
    spec: ChildSpec
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None


def supervise(
    specs: Sequence[ChildSpec],
    *,
    stop: StopRequest,
    backoff: Backoff | None = None,
    poll_interval: float = 0.2,
    stop_timeout: float = 10.0,
    log: Callable[[str], None] = print,
) -> int:
    """Start every child and keep them running until ``stop`` is requested or an essential
    child exits. A non-essential child that exits (for any reason) is started again after
    ``backoff``. On the way out every live child receives the stop signal (SIGTERM when
    an essential child ended), then SIGKILL after ``stop_timeout`` seconds.

    Returns 0 when stopped on request, else the exit code of the essential child that ended.
    Children inherit this process's environment, stdout and stderr.
    """
    backoff = backoff or Backoff()
    children = [_Child(spec) for spec in specs]
    try:
        for child in children:
            _start(child, log)
        while True:
            if stop.is_set():
                return 0
            now = time.monotonic()
            for child in children:
                code = _check(child, now, backoff, log)
                if code is not None:
                    return code
            time.sleep(poll_interval)
    finally:
        _stop_all(children, stop, stop_timeout, log)


def _start(child: _Child, log: Callable[[str], None]) -> None:
    child.process = subprocess.Popen(child.spec.argv)
    child.started_at = time.monotonic()
    child.restart_at = None
    log(f"[up] started {child.spec.name} (pid {child.process.pid})")


def _check(child: _Child, now: float, backoff: Backoff, log: Callable[[str], None]) -> int | None:
    """Look after one child; returns an exit code when an essential child has ended."""
    if child.process is None:
        if child.restart_at is not None and now >= child.restart_at:
            _start(child, log)
        return None
    code = child.process.poll()
    if code is None:
        return None
    if child.spec.essential:
        log(f"[up] {child.spec.name} exited with code {code}; stopping everything")
        child.process = None
        return code
    if now - child.started_at >= backoff.reset_after:
        child.failures = 0
    child.failures += 1
    delay = backoff.delay(child.failures)
    log(f"[up] {child.spec.name} exited with code {code}; restarting in {delay:.1f}s")
    child.process = None
    child.restart_at = now + delay
    return None


def _stop_all(children: list[_Child], stop: StopRequest, timeout: float, log: Callable[[str], None]) -> None:
    alive = [c.process for c in children if c.process is not None and c.process.poll() is None]
    signum = stop.signum if stop.is_set() else signal.SIGTERM
    for process in alive:
        process.send_signal(signum)
    deadline = time.monotonic() + timeout
    for process in alive:
        while process.poll() is None and time.monotonic() < deadline and not stop.forced:
            time.sleep(0.05)
        if process.poll() is None:
            log(f"[up] pid {process.pid} did not stop in time; killing it")
            process.kill()
            process.wait()


def build_children(host: str, port: int, *, sandbox_port: int | None = None) -> list[ChildSpec]:
    python = sys.executable
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    web = [python, "-m", "uvicorn", "guildmind.asgi:application", "--host", host, "--port", str(port)]
    # Django's ASGI handler does not speak the lifespan protocol; saying so keeps the log quiet.
    web += ["--lifespan", "off"]
    # The simulator first, so the gateway finds it listening (it retries if not).
    sandbox = [ChildSpec("sandbox", simulator_argv(python, sandbox_port))] if sandbox_port else []
    return [
        *sandbox,
        ChildSpec("web", web, essential=True),
        ChildSpec("gateway", [python, manage, "discord_bot"]),
        ChildSpec("worker", [python, manage, "run_huey"]),
    ]


def dashboard_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104 (we only display it)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def ensure_site_url(host: str, port: int, environ: MutableMapping[str, str]) -> str:
    """Without SITE_URL set, the children build links, the OAuth callback and the endpoint
    URL from the address actually served."""
    if not environ.get("SITE_URL"):
        environ["SITE_URL"] = dashboard_url(host, port).rstrip("/")
    return environ["SITE_URL"]


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on ``host:port`` (the web child could not bind)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by an earlier run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def port_in_use_message(host: str, port: int, *, tries: int = 20) -> str:
    """What to tell the operator when ``port`` is taken, naming the next free one."""
    free = next((p for p in range(port + 1, port + 1 + tries) if not port_in_use(host, p)), port + 1)
    return f"port {port} is in use; try ./run.sh --port {free}"


class Command(BaseCommand):
    help = "Migrate, seed the demo and run the web, gateway and worker processes together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address the dashboard listens on.")
        parser.add_argument("--port", type=int, default=8000, help="Port the dashboard listens on.")

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        port: int = options["port"]
        if port_in_use(host, port):
            self.stderr.write(port_in_use_message(host, port))
            raise SystemExit(1)
        ensure_site_url(host, port, os.environ)
        call_command("migrate", interactive=False, verbosity=1)
        call_command("collectstatic", interactive=False, verbosity=0)
        result = seed_demo()
        password = result.new_password or read_stored_password()
        sandbox_port = self._sandbox(result.workspace)
        self._banner(dashboard_url(host, port), result.username, password, result.login_file, sandbox_port)

        stop = StopRequest()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.request(signal.SIGTERM if signum == signal.SIGHUP else signum)

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, on_signal)
        code = supervise(build_children(host, port, sandbox_port=sandbox_port), stop=stop, log=self._log)
        self._log("[up] stopped")
        if code:
            raise SystemExit(code)

    def _sandbox(self, workspace: Workspace) -> int | None:
        """The sandbox simulator's port when the sandbox runs this time, else None."""
        reason = why_no_sandbox(os.environ)
        sandbox_port: int = settings.SANDBOX_PORT
        if not reason and port_in_use("127.0.0.1", sandbox_port):
            reason = f"port {sandbox_port} is in use (set SANDBOX_PORT)"
        if reason:
            retire_sandbox()
            if settings.SANDBOX != "off" and "port" in reason:
                self._log(f"[up] no sandbox: {reason}")
            return None
        start_sandbox(workspace, os.environ, sandbox_port)
        return sandbox_port

    def _log(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def _banner(
        self, url: str, username: str, password: str | None, login_file: Path, sandbox_port: int | None
    ) -> None:
        secret = password or "(unchanged; run `python manage.py seed_demo --password …` to set one)"
        lines = [
            "",
            "=" * 64,
            f"  Guildmind dashboard:  {url}",
            f"  Username:             {username}",
            f"  Password:             {secret}",
            f"  (kept in {login_file})",
        ]
        if sandbox_port:
            lines.append("  Discord is not configured: the Sandbox page runs a simulated server")
            lines.append(f"  (the bundled simulator on 127.0.0.1:{sandbox_port}; SANDBOX=off turns it off).")
        elif not settings.DISCORD_BOT_TOKEN:
            lines.append("  Discord is not configured; the dashboard and Playground work without it.")
        lines += ["  Press Ctrl+C to stop.", "=" * 64, ""]
        self._log("\n".join(lines))
