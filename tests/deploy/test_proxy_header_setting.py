"""SECURE_PROXY_SSL_HEADER: the operator names the header their TLS-terminating proxy sets,
and Django reads it from the request's META."""

from __future__ import annotations

import pytest

from guildmind.env import ConfigError, env_proxy_ssl_header


def test_a_header_name_means_its_value_is_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto")
    assert env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER") == ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.mark.parametrize("written", ["X-Forwarded-Ssl: on", "X-Forwarded-Ssl=on"])
def test_a_proxy_that_sends_another_value_names_it(monkeypatch: pytest.MonkeyPatch, written: str) -> None:
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", written)
    assert env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER") == ("HTTP_X_FORWARDED_SSL", "on")


def test_unset_trusts_no_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECURE_PROXY_SSL_HEADER", raising=False)
    assert env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER") is None


def test_a_malformed_header_name_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", "X Forwarded Proto")
    with pytest.raises(ConfigError, match="header name"):
        env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER")
