"""Small helpers shared by the REST route modules."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from . import errors
from .actions import Backend
from .state import Application

BACKEND = web.AppKey("backend", Backend)
BODY: web.RequestKey[Any] = web.RequestKey("body")
FILES: web.RequestKey[list[dict[str, Any]]] = web.RequestKey("files")
BOT_APP: web.RequestKey[Application | None] = web.RequestKey("bot_app")
API_PREFIX = "/api/v10"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def public(handler: Handler) -> Handler:
    """Marks a route that needs no ``Authorization: Bot`` header (OAuth2, interaction webhooks)."""
    handler.discord_public = True  # type: ignore[attr-defined]
    return handler


def is_public(request: web.Request) -> bool:
    return bool(getattr(request.match_info.route.handler, "discord_public", False))


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py only parses bodies whose Content-Type is exactly "application/json" (no charset).
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def no_content() -> web.Response:
    return web.Response(status=204)


def error_response(error: errors.ApiError) -> web.Response:
    return json_response(error.body(), status=error.status)


def backend(request: web.Request) -> Backend:
    return request.app[BACKEND]


def bot_app(request: web.Request) -> Application:
    """The application whose bot token authenticated this request."""
    app = request.get(BOT_APP)
    if app is None:
        raise errors.unauthorized()
    return app


def body(request: web.Request) -> dict[str, Any]:
    """The JSON (or ``payload_json``, or form) body the middleware parsed; {} when there was none."""
    parsed = request.get(BODY)
    return parsed if isinstance(parsed, dict) else {}


def audit_reason(request: web.Request) -> str | None:
    reason = request.headers.get("X-Audit-Log-Reason")
    return unquote(reason) if reason else None


def ratelimit_headers(bucket: str, *, remaining: int = 49, reset_after: float = 1.0) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": bucket,
        # discord.py treats a 429 without "Via" as a Cloudflare ban; Discord's edge always sets it.
        "Via": "1.1 google",
    }
