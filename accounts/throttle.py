"""Sign-in protection: failed logins per account and per client address, and sign-up and
password-reset requests per address and per recipient, counted in moving windows.

Built on the ``limits`` library, like the Discord answer limits. The windows live in this
process's memory in the one-machine mode (one web process) and in Redis when REDIS_URL is
set (``AUTH_RATE_LIMIT_STORAGE``), so every web process counts the same attempts. Only the
login, sign-up and password-reset views call this module: nothing here runs per request,
and the Discord interactions endpoint never reaches it.

Keys carry a hash of the account or email address, never the address itself.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from functools import lru_cache
from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

RequestKind = Literal["signup", "password_reset"]
_REQUEST_LIMITS: dict[RequestKind, str] = {
    "signup": "SIGNUP_LIMIT_PER_IP",
    "password_reset": "PASSWORD_RESET_LIMIT_PER_IP",
}
# One subscriber usually holds a whole IPv6 /64; counting single addresses would give an
# attacker 2**64 fresh windows.
_IPV6_PREFIX = 64


def client_ip(request: HttpRequest) -> str:
    """Where the request came from: REMOTE_ADDR, or with ``TRUSTED_PROXY_COUNT`` proxies in
    front, the X-Forwarded-For entry that many places from the right (the entries on the
    right are the ones our proxies wrote; anything further left is the client's say-so).
    IPv6 addresses are reduced to their /64."""
    address = str(request.META.get("REMOTE_ADDR") or "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            # Fewer entries than proxies: the first proxy saw the client itself.
            address = hops[-min(proxies, len(hops))]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/{_IPV6_PREFIX}", strict=False))
    return str(ip)


def login_wait(ip: str, account: str) -> int | None:
    """Seconds to wait before ``account`` may be tried from ``ip``, or None when it may be
    tried now. A locked account or address refuses every password, the right one too."""
    waits = [
        _seconds_until_free(item, identifiers)
        for item, identifiers in _login_windows(ip, account)
        if not _limiter().test(item, *identifiers)
    ]
    return max(waits) if waits else None


def record_login_failure(ip: str, account: str) -> None:
    """Count a wrong password for ``account`` and for ``ip``.

    A successful login clears nothing: failures age out of the window. So an attacker who
    signs in to an account of their own in between cannot wipe the count of their failures
    against others. The check and the count are two steps, so attempts that run at the
    same moment in several web processes may each pass once more (Django runs a process's
    sync views one at a time)."""
    for item, identifiers in _login_windows(ip, account):
        _limiter().hit(item, *identifiers)


def spend_request(ip: str, kind: RequestKind, recipient: str) -> int | None:
    """Count a sign-up or password-reset request from ``ip`` and the email it would send
    to ``recipient``; the seconds to wait when either window is spent (then send nothing).

    The recipient is counted whether or not an account has the address, so the answer
    says nothing about who is registered."""
    for item, identifiers in (
        (_rate(_REQUEST_LIMITS[kind]), ("ip", kind, ip)),
        (_rate("ACCOUNT_EMAIL_LIMIT_PER_RECIPIENT"), ("email-to", _digest(recipient))),
    ):
        if item is None:
            continue
        scoped = _scoped(identifiers)
        if not _limiter().hit(item, *scoped):
            return _seconds_until_free(item, scoped)
    return None


def wait_message(seconds: int) -> str:
    """The one plain sentence every refused attempt gets."""
    if seconds < 60:
        wait = f"{seconds} second{'s' if seconds != 1 else ''}"
    else:
        minutes = math.ceil(seconds / 60)
        wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"Too many attempts. Please wait {wait} and try again."


def _login_windows(ip: str, account: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
    windows = [
        (_rate("LOGIN_LIMIT_PER_ACCOUNT"), ("login-account", _digest(account))),
        (_rate("LOGIN_LIMIT_PER_IP"), ("login-ip", ip)),
    ]
    return [(item, _scoped(identifiers)) for item, identifiers in windows if item is not None]


def _scoped(identifiers: tuple[str, ...]) -> tuple[str, ...]:
    # Read per call: tests give every test a namespace of its own.
    return (settings.RATE_LIMIT_NAMESPACE, "auth", *identifiers)


def _seconds_until_free(item: RateLimitItem, identifiers: tuple[str, ...]) -> int:
    """Until the oldest attempt in the window leaves it (at least one second)."""
    stats = _limiter().get_window_stats(item, *identifiers)
    # Redis keeps the window's timestamps to about 0.1 ms: without the rounding, an exact
    # 300 s could read 300.00001 and be told as 6 minutes.
    return max(1, math.ceil(round(stats.reset_time - time.time(), 2)))


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _rate(setting: str) -> RateLimitItem | None:
    value = getattr(settings, setting)
    return _parse(value) if value else None


@lru_cache(maxsize=32)
def _parse(value: str) -> RateLimitItem:
    return parse(value)


def _limiter() -> MovingWindowRateLimiter:
    return _limiter_for(settings.AUTH_RATE_LIMIT_STORAGE)


@lru_cache(maxsize=4)
def _limiter_for(storage_uri: str) -> MovingWindowRateLimiter:
    storage = storage_from_string(storage_uri)
    if not isinstance(storage, Storage):
        raise ValueError(f"AUTH_RATE_LIMIT_STORAGE={storage_uri!r} must be a plain (not async+) storage URL")
    return MovingWindowRateLimiter(storage)
