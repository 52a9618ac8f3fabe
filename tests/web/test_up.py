from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from accounts.management.commands.up import (
    Backoff,
    ChildSpec,
    StopRequest,
    build_children,
    dashboard_url,
    ensure_site_url,
    supervise,
)

FAST = Backoff(initial=0.01, maximum=0.05)


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_it_restarts_a_crashed_child(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    stop = StopRequest()
    lines: list[str] = []

    def log(line: str) -> None:
        lines.append(line)
        if sum("started worker" in seen for seen in lines) >= 3:
            stop.request()

    crashing = python(f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(1)")
    specs = [
        ChildSpec("web", python("import time; time.sleep(30)"), essential=True),
        ChildSpec("worker", crashing),
    ]
    assert supervise(specs, stop=stop, backoff=FAST, poll_interval=0.01, log=log) == 0
    assert len(starts.read_text()) >= 2
    assert any("worker exited with code 1; restarting" in line for line in lines)


def test_when_the_web_process_ends_everything_stops_with_its_code() -> None:
    lines: list[str] = []
    specs = [
        ChildSpec("web", python("import time; time.sleep(0.3); raise SystemExit(3)"), essential=True),
        ChildSpec("worker", python("import time; time.sleep(30)")),
    ]
    started = time.monotonic()
    assert supervise(specs, stop=StopRequest(), poll_interval=0.01, log=lines.append) == 3
    assert time.monotonic() - started < 10
    worker_pid = int(next(line for line in lines if "started worker" in line).split("pid ")[1].rstrip(")"))
    with pytest.raises(ProcessLookupError):
        os.kill(worker_pid, 0)


def test_it_forwards_the_stop_signal_to_children(tmp_path: Path) -> None:
    ready, got = tmp_path / "ready", tmp_path / "got"
    child = python(
        "import signal, sys, time\n"
        f"def on(n, f): open({str(got)!r}, 'w').write(str(n)); sys.exit(0)\n"
        "signal.signal(signal.SIGINT, on)\n"
        f"open({str(ready)!r}, 'w').close()\n"
        "time.sleep(30)\n"
    )
    stop = StopRequest()

    def request_when_ready() -> None:
        deadline = time.monotonic() + 10
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.request(signal.SIGINT)

    threading.Thread(target=request_when_ready, daemon=True).start()
    assert supervise([ChildSpec("web", child, essential=True)], stop=stop, poll_interval=0.01, log=print) == 0
    assert got.read_text() == str(int(signal.SIGINT))


def test_backoff_doubles_up_to_its_maximum() -> None:
    backoff = Backoff(initial=1, maximum=5)
    assert [backoff.delay(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]


def test_the_three_processes_are_web_gateway_and_worker() -> None:
    children = build_children("0.0.0.0", 9000)
    assert [(c.name, c.essential) for c in children] == [("web", True), ("gateway", False), ("worker", False)]
    assert children[0].argv[-4:] == ["--port", "9000", "--lifespan", "off"]
    assert children[1].argv[-1] == "discord_bot"
    assert children[2].argv[-1] == "run_huey"


def test_the_dashboard_url_shows_a_reachable_address() -> None:
    assert dashboard_url("0.0.0.0", 8000) == "http://127.0.0.1:8000/"
    assert dashboard_url("::1", 8080) == "http://[::1]:8080/"


def test_site_url_follows_the_port_unless_set() -> None:
    environ: dict[str, str] = {}
    assert ensure_site_url("0.0.0.0", 8123, environ) == "http://127.0.0.1:8123"
    environ = {"SITE_URL": "https://support.example.org"}
    assert ensure_site_url("127.0.0.1", 8123, environ) == "https://support.example.org"
