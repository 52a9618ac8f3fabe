"""A Guildmind whose SITE_URL is https: HSTS, a redirect from http, cookies that never
travel over http, the proxy's header trusted when named, and a clean `check --deploy`.
A plain-http SITE_URL (the embedded default) gets none of the https-only parts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import HTTPS_SITE, a_secret_key, operator_env, run, run_django

# Requests through Django's test client in the fresh process; prints what came back.
REQUESTS = """
import json
from django.conf import settings
from django.test import Client

client = Client(HTTP_HOST="guildmind.example.org")
def seen(response):
    return {
        "status": response.status_code,
        "location": response.get("Location", ""),
        "hsts": response.get("Strict-Transport-Security", ""),
        "secure_cookies": {name: bool(morsel["secure"]) for name, morsel in response.cookies.items()},
    }
print(json.dumps({
    "http": seen(client.get("/login/")),
    "https": seen(client.get("/login/", secure=True)),
    "via_proxy": seen(client.get("/login/", HTTP_X_FORWARDED_PROTO="https")),
    "health": seen(client.get("/health/")),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
}))
"""


@pytest.fixture(scope="module")
def https_site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    env = operator_env(tmp_path_factory.mktemp("https"), SECRET_KEY=a_secret_key(), **HTTPS_SITE)
    return run_django(REQUESTS, env)


@pytest.fixture(scope="module")
def behind_a_proxy(tmp_path_factory: pytest.TempPathFactory) -> Any:
    env = operator_env(
        tmp_path_factory.mktemp("proxy"),
        SECRET_KEY=a_secret_key(),
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        **HTTPS_SITE,
    )
    return run_django(REQUESTS, env)


@pytest.fixture(scope="module")
def http_site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    env = operator_env(
        tmp_path_factory.mktemp("http"),
        SITE_URL="http://guildmind.example.org",
        ALLOWED_HOSTS="guildmind.example.org",
    )
    return run_django(REQUESTS, env)


def test_the_deploy_check_is_clean_when_served_over_https(tmp_path: Path) -> None:
    env = operator_env(tmp_path, SECRET_KEY=a_secret_key(), **HTTPS_SITE)
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_http_is_redirected_to_https(https_site: Any) -> None:
    assert https_site["http"]["status"] == 301
    assert https_site["http"]["location"] == "https://guildmind.example.org/login/"


def test_https_responses_tell_browsers_to_stay_on_https_for_a_year(https_site: Any) -> None:
    assert https_site["https"]["hsts"] == "max-age=31536000; includeSubDomains"


def test_cookies_never_travel_over_http(https_site: Any) -> None:
    assert https_site["https"]["secure_cookies"] == {"csrftoken": True}
    assert https_site["session_cookie_secure"] is True


def test_health_answers_load_balancers_over_http(https_site: Any) -> None:
    assert https_site["health"]["status"] == 200


def test_without_the_proxy_header_setting_a_forwarded_request_is_still_http(https_site: Any) -> None:
    assert https_site["via_proxy"]["status"] == 301


def test_the_named_proxy_header_marks_requests_as_https(behind_a_proxy: Any) -> None:
    assert behind_a_proxy["via_proxy"]["status"] == 200
    assert behind_a_proxy["via_proxy"]["hsts"].startswith("max-age=31536000")


def test_a_plain_http_site_is_not_redirected_and_gets_no_hsts(http_site: Any) -> None:
    assert http_site["http"]["status"] == 200
    assert http_site["https"]["hsts"] == ""
    assert http_site["session_cookie_secure"] is False
