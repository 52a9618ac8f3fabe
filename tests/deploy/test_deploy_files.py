"""The files in ``deploy/`` (compose, Procfile, systemd units, image) start processes that
exist, the way ``./run.sh`` starts them, with settings Guildmind reads; migrations run
before anything else; and a gateway or worker is given the time to stop gracefully."""

from __future__ import annotations

import importlib.util
import inspect
import json
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # PyYAML: installed with tokenizers (huggingface_hub needs it)
from django.conf import settings
from django.core.management import get_commands
from django.test import Client, override_settings
from django.urls import resolve

from accounts.management.commands.up import build_children
from guildmind import urls
from integrations.discordbot.management.commands import discord_bot
from tests.deploy.conftest import operator_env

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SYSTEMD = DEPLOY / "systemd"
APP_ROLES = ("web", "worker", "gateway")
UNITS = {
    "migrate": "guildmind-migrate.service",
    "web": "guildmind-web.service",
    "worker": "guildmind-worker@.service",
    "gateway": "guildmind-gateway@.service",
}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def services() -> dict[str, Any]:
    found: dict[str, Any] = compose()["services"]
    return found


def app_services() -> dict[str, Any]:
    """The services running Guildmind's image (not Postgres or Redis)."""
    return {name: s for name, s in services().items() if "build" in s}


def procfile() -> dict[str, list[str]]:
    lines = (DEPLOY / "Procfile").read_text().splitlines()
    entries = (line.partition(":") for line in lines if line)
    return {name: shlex.split(command) for name, _, command in entries}


def unit(name: str) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit as {section: [(key, value), …]} (keys may repeat)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for raw in (SYSTEMD / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections.setdefault(current, [])
            continue
        key, _, value = line.partition("=")
        sections[current].append((key.strip(), value.strip()))
    return sections


def unit_values(name: str, section: str, key: str) -> list[str]:
    return [v for k, v in unit(name).get(section, []) if k == key]


def unit_env(name: str) -> dict[str, str]:
    pairs = (v.partition("=") for v in unit_values(name, "Service", "Environment"))
    return {k: v for k, _, v in pairs}


def seconds(duration: str | int) -> float:
    """A compose or systemd duration ("60s", "1m30s", "90") in seconds."""
    text = str(duration).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(ms|min|m|s|h)", text)
    assert parts, f"unreadable duration {text!r}"
    assert "".join(n + u for n, u in parts) == text.replace(" ", ""), f"unreadable duration {text!r}"
    scale = {"ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600}
    return sum(float(n) * scale[u] for n, u in parts)


def commands() -> list[tuple[str, list[str]]]:
    """Every command line the deployment files start, named by where it is written."""
    found = [(f"compose {name}", list(s["command"])) for name, s in app_services().items()]
    found += [(f"Procfile {name}", argv) for name, argv in procfile().items()]
    for name in UNITS.values():
        for line in unit_values(name, "Service", "ExecStart"):
            found.append((f"{name}", shlex.split(line)))
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd, "the Dockerfile names no default command"
    found.append(("Dockerfile CMD", json.loads(cmd.group(1))))
    return found


def _flags(argv: list[str]) -> dict[str, str]:
    return {argv[i]: argv[i + 1] for i in range(len(argv) - 1) if argv[i].startswith("--")}


@pytest.mark.parametrize(("where", "argv"), commands(), ids=[w for w, _ in commands()])
def test_every_command_starts_a_real_entrance(where: str, argv: list[str]) -> None:
    assert Path(argv[0]).name.startswith("python"), f"{where} does not run Python: {argv}"
    if "manage.py" in argv:
        name = argv[argv.index("manage.py") + 1]
        assert name in get_commands(), f"{where}: no management command {name!r}"
        return
    assert argv[1] == "-m" and argv[2] == "uvicorn", f"{where}: neither manage.py nor uvicorn: {argv}"
    module, _, attribute = argv[3].partition(":")
    assert f"{module}.{attribute}" == settings.ASGI_APPLICATION
    assert importlib.util.find_spec(module) is not None
    # Started with the flags ./run.sh gives it (manage.py up), host and port aside.
    flags = _flags(argv[3:])
    host, port = flags["--host"], flags["--port"]
    expected = list(next(c for c in build_children(host, 8000) if c.name == "web").argv)
    expected[expected.index("--port") + 1] = port
    assert argv[1:] == expected[1:]


def test_every_process_role_is_deployed_everywhere() -> None:
    assert set(APP_ROLES) <= set(app_services())
    assert set(APP_ROLES) <= set(procfile())
    for role in ("migrate", *APP_ROLES):
        assert (SYSTEMD / UNITS[role]).exists()


def test_web_worker_and_gateway_run_two_replicas_of_one_image() -> None:
    apps = app_services()
    assert {s["image"] for s in apps.values()} == {"guildmind:latest"}
    assert {s["build"]["dockerfile"] for s in apps.values()} == {"deploy/Dockerfile"}
    for role in APP_ROLES:
        assert apps[role]["deploy"]["replicas"] == 2, role
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert "pip install -r requirements.txt" in dockerfile
    assert re.search(r"^USER guildmind$", dockerfile, re.MULTILINE), "the image runs as root"


def test_migrations_run_before_every_other_process() -> None:
    every = services()
    migrate = every["migrate"]
    assert migrate["command"][-2:] == ["migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for role in APP_ROLES:
        assert every[role]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", role
    assert procfile()["release"][-2:] == ["migrate", "--noinput"]
    assert unit_values(UNITS["migrate"], "Service", "Type") == ["oneshot"]
    for role in APP_ROLES:
        requires = " ".join(unit_values(UNITS[role], "Unit", "Requires")).split()
        after = " ".join(unit_values(UNITS[role], "Unit", "After")).split()
        assert UNITS["migrate"] in requires and UNITS["migrate"] in after, role


def test_postgres_and_redis_report_healthy_only_when_they_answer() -> None:
    every = services()
    assert every["postgres"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(every["postgres"]["healthcheck"]["test"])
    assert every["redis"]["image"] == "redis:7"
    assert every["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]


def test_the_web_healthcheck_asks_a_health_url_the_dashboard_serves(db: None) -> None:
    spec = importlib.util.spec_from_file_location("healthcheck", DEPLOY / "healthcheck.py")
    assert spec is not None and spec.loader is not None
    healthcheck = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(healthcheck)
    test = services()["web"]["healthcheck"]["test"]
    assert test[1:] == ["python", "deploy/healthcheck.py"]
    assert resolve(healthcheck.HEALTH_PATH).func is urls.health
    # Asked with the name the process serves, as the probe does: 200, not 400 for the host.
    for allowed in ("guildmind.example.org", ".example.org,other.example.org", "*"):
        hosts = allowed.split(",")
        with override_settings(ALLOWED_HOSTS=hosts, SECURE_SSL_REDIRECT=True):
            response = Client().get(healthcheck.HEALTH_PATH, HTTP_HOST=healthcheck.probe_host(allowed))
        assert response.status_code == 200, allowed


def _variables_read(env: dict[str, str], tmp_path: Path) -> set[str]:
    """The environment variables guildmind.settings reads when started with ``env``."""
    script = (
        "import json, guildmind.env as env\n"
        "seen = set(); raw = env._raw\n"
        "def spy(name):\n    seen.add(name)\n    return raw(name)\n"
        "env._raw = spy\n"
        "import guildmind.settings\n"
        "print(json.dumps(sorted(seen)))\n"
    )
    environ = operator_env(tmp_path / "data", **env)
    environ["DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return {"DATA_DIR", *json.loads(result.stdout.strip().splitlines()[-1])}


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.partition("=") for line in path.read_text().splitlines() if line and line[0] != "#")
    return {k: shlex.split(v)[0] if v.strip() else "" for k, _, v in pairs}


def _interpolated(value: str) -> str:
    return re.sub(r"\$\{(\w+)[^}]*\}", lambda m: f"x{m.group(1).lower()}", value)


def test_compose_and_the_example_set_only_variables_guildmind_reads(tmp_path: Path) -> None:
    example = _env_file(DEPLOY / ".env.example")
    # Names compose itself substitutes (${POSTGRES_PASSWORD}) are for compose, not Guildmind.
    for_compose = set(re.findall(r"\$\{(\w+)", (DEPLOY / "compose.yaml").read_text()))
    for role, service in app_services().items():
        env = {k: _interpolated(str(v)) for k, v in service["environment"].items()}
        given = {**{k: v for k, v in example.items() if k not in for_compose}, **env}
        read = _variables_read(given, tmp_path)
        assert set(given) - read == set(), f"{role} sets variables Guildmind never reads"
    assert set(example) - for_compose - read == set()
    for name in UNITS.values():
        assert set(unit_env(name)) - read == set(), name
    env_block = (DEPLOY / "Dockerfile").read_text().split("\nENV ", 1)[1].split("\n\n", 1)[0]
    image_env = set(re.findall(r"\b([A-Z][A-Z0-9_]+)=", env_block))
    assert "DATA_DIR" in image_env
    # Besides Python's and pip's own, only Django's pointer to the settings.
    assert {n for n in image_env - read if not n.startswith(("PYTHON", "PIP_"))} == {"DJANGO_SETTINGS_MODULE"}


def test_the_processes_share_one_data_directory_and_the_fleet_services() -> None:
    apps = app_services()
    for role, service in apps.items():
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgres://"), role
        assert "@postgres:5432/" in env["DATABASE_URL"], role
        assert env["REDIS_URL"].startswith("redis://redis:"), role
        assert env["RATE_LIMIT_STORAGE"].startswith("async+redis://redis:"), role
        mounts = {m.split(":")[1]: m.split(":")[0] for m in service["volumes"]}
        assert mounts[env["DATA_DIR"]] == "data", role


def _graceful_stop_seconds() -> float:
    """How long a gateway may take to stop on SIGTERM: its sync round in progress, then the
    answers in flight (each waits at most the provider's timeout), then closing."""
    return float(settings.GATEWAY_LEASE_RENEW_SECONDS) + float(settings.AI_TIMEOUT_SECONDS) + 5


def _handled_signals() -> set[str]:
    source = inspect.getsource(discord_bot)
    return set(re.findall(r"signal\.(SIG[A-Z]+)", source))


def test_the_gateway_is_given_the_time_to_hand_its_leases_over() -> None:
    gateway = services()["gateway"]
    assert gateway["stop_signal"] in _handled_signals()
    assert seconds(gateway["stop_grace_period"]) >= _graceful_stop_seconds()
    name = UNITS["gateway"]
    assert unit_values(name, "Service", "KillSignal") == ["SIGTERM"]
    assert "SIGTERM" in _handled_signals()
    assert seconds(unit_values(name, "Service", "TimeoutStopSec")[0]) >= _graceful_stop_seconds()


def test_a_worker_is_stopped_with_huey_s_graceful_signal_and_time_for_a_job() -> None:
    huey: dict[str, Any] = settings.HUEY
    consumer: dict[str, Any] = huey.get("consumer", {})
    graceful = "SIG" + str(consumer.get("graceful_signal", "INT"))
    assert signal.Signals[graceful] == signal.SIGINT
    worker = services()["worker"]
    assert worker["stop_signal"] == graceful
    assert seconds(worker["stop_grace_period"]) >= settings.AI_TIMEOUT_SECONDS
    name = UNITS["worker"]
    assert unit_values(name, "Service", "KillSignal") == [graceful]
    assert seconds(unit_values(name, "Service", "TimeoutStopSec")[0]) >= settings.AI_TIMEOUT_SECONDS


@pytest.mark.parametrize("name", list(UNITS.values()))
def test_units_run_as_a_dedicated_user_that_may_write_only_its_data(name: str) -> None:
    service = dict(unit(name)["Service"])
    assert service["User"] == "guildmind" and service["Group"] == "guildmind"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert unit_env(name)["DATA_DIR"] in service["ReadWritePaths"].split()
    assert "/etc/guildmind/guildmind.env" in unit_values(name, "Service", "EnvironmentFile")
    assert service["UMask"] == "0077"
    if name != UNITS["migrate"]:
        assert service["Restart"] == "on-failure"
        assert "KillSignal" in service and "TimeoutStopSec" in service
    sysusers = (SYSTEMD / "guildmind.sysusers.conf").read_text()
    assert re.search(rf"^u {service['User']} ", sysusers, re.MULTILINE)
