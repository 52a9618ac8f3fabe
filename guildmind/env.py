"""Strict helpers that read settings from environment variables.

Every helper accepts ``NAME_FILE`` as an alternative to ``NAME`` (the file's contents,
stripped, are the value) so secrets can come from mounted files. Bad values fail loudly at
start-up instead of surprising us later.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path


class ConfigError(ValueError):
    """A setting has a value we cannot use."""


def _raw(name: str) -> str | None:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    return os.environ.get(name)


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not an integer") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}={number} must be at least {minimum}")
    return number


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a number") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}={number} must be at least {minimum}")
    return number


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = _raw(name)
    if value is None or value.strip() == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = env_str(name, default).strip().lower()
    if value not in choices:
        raise ConfigError(f"{name}={value!r} must be one of: {', '.join(choices)}")
    return value


def env_rate(name: str, default: str) -> str:
    """A rate such as "6/minute" or "100/hour", validated; "" when set to off."""
    value = env_str(name, default).strip()
    if value.lower() in {"off", "none", "0"}:
        return ""
    from limits import parse

    try:
        parse(value)
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r} is not a rate: use e.g. 6/minute or 100/hour, or off") from exc
    return value


_HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")


def env_proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """The header a TLS-terminating proxy sets on requests that reached it over https, as
    Django's ``SECURE_PROXY_SSL_HEADER``: ``X-Forwarded-Proto`` (meaning the value
    ``https``), or ``Header: value`` / ``Header=value`` such as ``X-Forwarded-Ssl: on``;
    None when unset."""
    value = env_str(name).strip()
    if not value:
        return None
    header, _, expected = value.partition(":" if ":" in value else "=")
    header, expected = header.strip(), expected.strip()
    if not _HEADER_NAME.fullmatch(header):
        raise ConfigError(f"{name}={value!r} must be a header name such as X-Forwarded-Proto")
    return "HTTP_" + header.upper().replace("-", "_"), expected or "https"


def embedded_secret_key(data_dir: Path) -> str:
    """The key kept in ``data_dir/secret_key``, generated there on first use."""
    # Embedded mode keeps a random key on disk so sessions survive restarts without
    # anyone having to invent a secret; production sets SECRET_KEY. The file is created
    # with its final mode in the same call (never readable by others, not even for a
    # moment) and never over an existing file or symlink.
    path = data_dir / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    key = path.read_text().strip()
    if not key:
        raise ConfigError(f"{path} is empty: delete it and start again, or set SECRET_KEY")
    return key
