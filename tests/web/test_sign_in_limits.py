"""Sign-in protection: failed logins are limited per account and per client address, and
sign-up and password-reset requests per address and per recipient, with a plain message
saying how long to wait."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
ATTACKER, NEIGHBOUR, PROXY = "203.0.113.66", "198.51.100.20", "10.0.0.2"


class FakeClock:
    """Stands in for the ``time`` module where the windows read the clock."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def _small_limits(settings: Any) -> None:
    settings.LOGIN_LIMIT_PER_ACCOUNT = "3/15 minutes"
    settings.LOGIN_LIMIT_PER_IP = "5/15 minutes"
    settings.SIGNUP_LIMIT_PER_IP = "2/hour"
    settings.PASSWORD_RESET_LIMIT_PER_IP = "2/hour"
    settings.ACCOUNT_EMAIL_LIMIT_PER_RECIPIENT = "2/hour"
    settings.TRUSTED_PROXY_COUNT = 0


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    for module in ("limits.storage.memory", "limits.storage.redis", "accounts.throttle"):
        monkeypatch.setattr(f"{module}.time", fake)
    return fake


def log_in(username: str, password: str, *, ip: str = ATTACKER, **headers: Any) -> Any:
    """The login page's answer, with ``signed_in`` saying whether the session got a user."""
    client = Client()
    response: Any = client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )
    response.signed_in = "_auth_user_id" in client.session
    return response


def fail(times: int, username: str = "alice", *, ip: str = ATTACKER, **headers: Any) -> None:
    for _ in range(times):
        assert log_in(username, "not the password", ip=ip, **headers).status_code == 200


# --- Failed logins per account --------------------------------------------------------------


def test_wrong_passwords_for_one_account_lock_it_with_a_plain_message_saying_how_long(alice: User) -> None:
    fail(3)

    response = log_in("alice", "still not the password")

    assert response.status_code == 429
    assert "Too many attempts. Please wait 15 minutes and try again." in response.content.decode()


def test_the_right_password_is_refused_while_the_account_is_locked(alice: User) -> None:
    fail(3)

    response = log_in("alice", PASSWORD)

    assert response.status_code == 429
    assert not response.signed_in


def test_the_account_lock_holds_from_every_address(alice: User) -> None:
    fail(3, ip=ATTACKER)

    assert not log_in("alice", PASSWORD, ip=NEIGHBOUR).signed_in


def test_other_accounts_are_not_locked_with_it(alice: User, bob: User) -> None:
    fail(3, "alice", ip=ATTACKER)

    assert log_in("bob", PASSWORD, ip=NEIGHBOUR).signed_in


def test_the_lock_lifts_once_the_window_has_passed(alice: User, clock: FakeClock) -> None:
    fail(3)
    clock.advance(15 * 60 + 1)

    assert log_in("alice", PASSWORD).signed_in


def test_the_wait_counts_from_the_oldest_failure_in_the_window(alice: User, clock: FakeClock) -> None:
    fail(1)
    clock.advance(10 * 60)
    fail(2)

    response = log_in("alice", PASSWORD)

    assert "Please wait 5 minutes and try again." in response.content.decode()


def test_an_email_and_the_username_of_one_account_share_its_lock(alice: User) -> None:
    fail(2, "alice")
    fail(1, "ALICE@example.org")

    assert not log_in("alice", PASSWORD, ip=NEIGHBOUR).signed_in


def test_unknown_usernames_are_locked_exactly_like_real_ones(db: None) -> None:
    fail(3, "nobody")

    response = log_in("nobody", "anything")

    assert response.status_code == 429
    assert "Too many attempts. Please wait 15 minutes and try again." in response.content.decode()


def test_successful_logins_are_not_counted(alice: User) -> None:
    for _ in range(8):
        assert log_in("alice", PASSWORD).signed_in


def test_a_limit_set_to_off_never_locks(alice: User, settings: Any) -> None:
    settings.LOGIN_LIMIT_PER_ACCOUNT = ""
    settings.LOGIN_LIMIT_PER_IP = ""
    fail(10)

    assert log_in("alice", PASSWORD).signed_in


def test_the_admin_login_is_limited_too(alice: User) -> None:
    User.objects.filter(pk=alice.pk).update(is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(3):
        client.post("/admin/login/", {"username": "alice", "password": "wrong"})

    page = client.post("/admin/login/", {"username": "alice", "password": PASSWORD})

    assert "Too many attempts. Please wait" in page.content.decode()
    assert "_auth_user_id" not in client.session


# --- Failed logins per client address ----------------------------------------------------------


def test_failures_against_many_accounts_lock_the_address(alice: User) -> None:
    for name in ("ann", "ben", "cat", "dan", "eve"):
        fail(1, name)

    response = log_in("alice", PASSWORD)

    assert response.status_code == 429
    assert not response.signed_in


def test_a_locked_address_does_not_lock_other_addresses(alice: User) -> None:
    for name in ("ann", "ben", "cat", "dan", "eve"):
        fail(1, name)

    assert log_in("alice", PASSWORD, ip=NEIGHBOUR).signed_in


def test_logging_in_to_an_own_account_in_between_does_not_reset_the_address_count(bob: User) -> None:
    for name in ("ann", "ben", "cat", "dan"):
        fail(1, name)
        assert log_in("bob", PASSWORD).signed_in
    fail(1, "eve")

    assert not log_in("bob", PASSWORD).signed_in


def test_x_forwarded_for_is_ignored_without_trusted_proxies(alice: User) -> None:
    for number, name in enumerate(("ann", "ben", "cat", "dan", "eve")):
        fail(1, name, HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")

    assert not log_in("alice", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99").signed_in


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_saw(alice: User, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    # The client may put anything on the left; the proxy appends what it saw.
    for number, name in enumerate(("ann", "ben", "cat", "dan", "eve")):
        fail(1, name, ip=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{number}, {ATTACKER}")

    assert not log_in("alice", PASSWORD, ip=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER).signed_in
    assert log_in("alice", PASSWORD, ip=PROXY, HTTP_X_FORWARDED_FOR=NEIGHBOUR).signed_in


# --- The client address itself --------------------------------------------------------------------


def test_the_client_address_is_remote_addr_by_default(settings: Any) -> None:
    from accounts.throttle import client_ip

    request = RequestFactory().get("/", REMOTE_ADDR=NEIGHBOUR, HTTP_X_FORWARDED_FOR=ATTACKER)

    assert client_ip(request) == NEIGHBOUR


def test_with_two_trusted_proxies_the_client_is_second_from_the_right(settings: Any) -> None:
    from accounts.throttle import client_ip

    settings.TRUSTED_PROXY_COUNT = 2
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.1, {NEIGHBOUR}, 10.0.0.1"
    )

    assert client_ip(request) == NEIGHBOUR


def test_a_trusted_proxy_without_x_forwarded_for_leaves_remote_addr(settings: Any) -> None:
    from accounts.throttle import client_ip

    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(RequestFactory().get("/", REMOTE_ADDR=NEIGHBOUR)) == NEIGHBOUR


def test_ipv6_clients_are_counted_by_their_64_bit_prefix(settings: Any) -> None:
    from accounts.throttle import client_ip

    one = RequestFactory().get("/", REMOTE_ADDR="2001:db8:1:2::1")
    other = RequestFactory().get("/", REMOTE_ADDR="2001:db8:1:2:ffff::9")

    assert client_ip(one) == client_ip(other) == "2001:db8:1:2::/64"


# --- Password reset ------------------------------------------------------------------------------


def test_password_reset_requests_are_limited_per_address(alice: User, mailoutbox: list[Any]) -> None:
    client = Client(REMOTE_ADDR=ATTACKER)
    client.post(reverse("password_reset"), {"email": "one@example.org"})
    client.post(reverse("password_reset"), {"email": "two@example.org"})

    response = client.post(reverse("password_reset"), {"email": "alice@example.org"})

    assert response.status_code == 429
    assert "Too many attempts. Please wait 60 minutes and try again." in response.content.decode()
    assert mailoutbox == []


def test_reset_emails_to_one_address_are_limited_whoever_asks(alice: User, mailoutbox: list[Any]) -> None:
    for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        response = Client(REMOTE_ADDR=ip).post(reverse("password_reset"), {"email": "alice@example.org"})

    assert response.status_code == 429
    assert len(mailoutbox) == 2


def test_the_reset_limit_for_an_unknown_address_answers_like_for_a_known_one(db: None) -> None:
    for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        response = Client(REMOTE_ADDR=ip).post(reverse("password_reset"), {"email": "nobody@example.org"})

    assert response.status_code == 429
    assert "Too many attempts. Please wait" in response.content.decode()


# --- Sign-up -------------------------------------------------------------------------------------


def test_sign_up_requests_are_limited_per_address(db: None, mailoutbox: list[Any]) -> None:
    client = Client(REMOTE_ADDR=ATTACKER)
    client.post(reverse("signup"), {"email": "one@example.org"})
    client.post(reverse("signup"), {"email": "two@example.org"})

    response = client.post(reverse("signup"), {"email": "three@example.org"})

    assert response.status_code == 429
    assert "Too many attempts. Please wait 60 minutes and try again." in response.content.decode()
    assert [m.to for m in mailoutbox] == [["one@example.org"], ["two@example.org"]]


def test_sign_ups_and_resets_share_the_limit_of_emails_to_one_address(
    alice: User, mailoutbox: list[Any]
) -> None:
    Client(REMOTE_ADDR="192.0.2.1").post(reverse("signup"), {"email": "alice@example.org"})
    Client(REMOTE_ADDR="192.0.2.2").post(reverse("password_reset"), {"email": "alice@example.org"})

    response = Client(REMOTE_ADDR="192.0.2.3").post(reverse("signup"), {"email": "Alice@Example.org"})

    assert response.status_code == 429
    assert len(mailoutbox) == 2


# --- Where the windows live ----------------------------------------------------------------------


def _storage_setting(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "AUTH_RATE_LIMIT_STORAGE"}}
    environment.update(env, DJANGO_SETTINGS_MODULE="guildmind.settings")
    code = "from django.conf import settings; print(settings.AUTH_RATE_LIMIT_STORAGE)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_the_windows_are_shared_through_redis_when_redis_url_is_set() -> None:
    assert _storage_setting(REDIS_URL="redis://127.0.0.1:6379/4") == "redis://127.0.0.1:6379/4"


def test_the_windows_live_in_memory_on_one_machine() -> None:
    assert _storage_setting() == "memory://"
