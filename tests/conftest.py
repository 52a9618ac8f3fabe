"""Shared test fixtures: named workspaces and users, and a guard against network access.

Tests may talk to loopback only (the Discord simulator, the test web server, Postgres and
Redis on 127.0.0.1); anything else is a bug in the test and fails loudly.
"""

from __future__ import annotations

import ipaddress
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NetworkAccessError(AssertionError):
    pass


def _check_address(address: Any) -> None:
    if isinstance(address, str):  # a unix socket path
        return
    host = address[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host in {"localhost"}:
            return
        raise NetworkAccessError(f"test tried to reach {host!r}: tests must stay on loopback") from None
    if not ip.is_loopback:
        raise NetworkAccessError(f"test tried to reach {host}: tests must stay on loopback")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    """Each test gets its own answer-rate windows (they may live in a shared Redis)."""
    settings.RATE_LIMIT_NAMESPACE = f"test-{uuid.uuid4().hex}"
    # Password hashing is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_job_queue() -> None:
    """Each test starts with an empty job queue (jobs an earlier test enqueued, or retries
    it scheduled, would otherwise run in this test's worker)."""
    from huey.contrib.djhuey import HUEY

    HUEY.flush()


@pytest.fixture
def workspace(db: None) -> Any:
    from accounts.models import Workspace

    return Workspace.objects.create(name="Alice's Workshop", ai_instructions="Be brief and friendly.")


@pytest.fixture
def other_workspace(db: None) -> Any:
    from accounts.models import Workspace

    return Workspace.objects.create(name="Bob's Bakery")


@pytest.fixture
def alice(db: None, workspace: Any) -> Any:
    from django.contrib.auth.models import User

    from accounts.models import Membership

    user = User.objects.create_user("alice", "alice@example.org", "correct horse battery")
    Membership.objects.create(user=user, workspace=workspace, role=Membership.Role.OWNER)
    return user


@pytest.fixture
def bob(db: None, other_workspace: Any) -> Any:
    from django.contrib.auth.models import User

    from accounts.models import Membership

    user = User.objects.create_user("bob", "bob@example.org", "correct horse battery")
    Membership.objects.create(user=user, workspace=other_workspace, role=Membership.Role.OWNER)
    return user
