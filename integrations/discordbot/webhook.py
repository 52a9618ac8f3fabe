"""``POST /discord/webhook/``: Discord's interactions endpoint (PING and slash commands).

Every request is checked against the Ed25519 signature of the application it names (a
timestamp more than a few minutes from now is a replay), then handed to
``interactions.accept_interaction``, which serves an /ask only for the bot its server is
connected to. Discord waits at most 3 seconds for the answer, and the endpoint is
benchmarked (benchmarks/interactions.py), so the view is async and does little: the
public keys come from a process cache read in one query every few seconds (an unknown or
made-up id costs nothing), a PING is answered on the event loop, the verification stamp
is written at most once a minute, and /ask enqueues its job on the view's own database
threads.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response
from django.db import connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from integrations.discordbot.interactions import (
    PING,
    MalformedInteraction,
    accept_interaction,
    clear_guild_cache,
)
from integrations.discordbot.models import BotApplication
from integrations.discordbot.signatures import SIGNATURE_BYTES, verify_signature

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

# How long a public key read from the database is trusted: a key changed in the dashboard
# applies within this many seconds, without a query per request in between.
KEY_CACHE_SECONDS = 5.0
STAMP_EVERY = timedelta(minutes=1)
# Threads recording interactions on a server database (Postgres); SQLite gets one.
DB_THREADS = 4
# Discord sends unix seconds; anything much longer is not a timestamp.
MAX_TIMESTAMP_CHARS = 32

# The fields an interaction needs, in the model's own order (``Model.from_db`` expects
# that order when fields are left out); the encrypted token and secret stay unread (and
# undecrypted) unless something asks for them, which loads them lazily.
_NEEDED = {"id", "application_id", "public_key", "is_shared", "workspace_id", "name"}
_APP_FIELDS = tuple(f.attname for f in BotApplication._meta.concrete_fields if f.attname in _NEEDED)
_PK, _APPLICATION_ID, _PUBLIC_KEY = (
    _APP_FIELDS.index(name) for name in ("id", "application_id", "public_key")
)
_SIGNATURE_HEX_CHARS = 2 * SIGNATURE_BYTES
_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class _CachedApp:
    values: tuple[Any, ...]  # in _APP_FIELDS order

    @property
    def pk(self) -> int:
        return int(self.values[_PK])

    @property
    def application_id(self) -> str:
        return str(self.values[_APPLICATION_ID])

    @property
    def public_key(self) -> str:
        return str(self.values[_PUBLIC_KEY])

    def instance(self) -> BotApplication:
        """A fresh model instance per request (deferred fields load on access)."""
        return BotApplication.from_db("default", list(_APP_FIELDS), self.values)


# [(monotonic expiry, {application id: application})]: empty until first read
_applications: list[tuple[float, dict[str, _CachedApp]]] = []
_last_stamp: dict[int, float] = {}
_db_executor: ThreadPoolExecutor | None = None
_clock = time.monotonic  # tests move these forward
_wall_clock = time.time


def clear_caches() -> None:
    """Forget cached keys, stamps and guilds (tests; a process that just changed a key)."""
    _applications.clear()
    _last_stamp.clear()
    clear_guild_cache()


def _unauthorized() -> JsonResponse:
    # One body for every refusal, so a caller learns nothing about which check failed.
    return JsonResponse({"error": "invalid request signature"}, status=401)


def _bad_request(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


def _too_large(limit: int) -> JsonResponse:
    return JsonResponse({"error": f"request body is larger than {limit} bytes"}, status=413)


@csrf_exempt
async def interactions_webhook(request: HttpRequest) -> HttpResponse:
    """Discord's interactions endpoint. 413 when the body is over the cap, 401 for any
    signature problem, a timestamp too far from now, or a body that names no known
    application, 400 for a signed request that is not an interaction, otherwise 200 with
    the interaction response.

    Everything before the signature check costs the same whatever the number of
    applications: the key is picked by the payload's ``application_id`` (Discord always
    sends it), never by trying every key."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    limit = settings.DISCORD_WEBHOOK_MAX_BODY_BYTES
    if _declared_length(request) > limit:
        return _too_large(limit)
    body = request.read(limit + 1)  # the ASGI layers have capped and buffered it already
    if len(body) > limit:
        return _too_large(limit)
    signature = request.headers.get("X-Signature-Ed25519", "")
    timestamp = request.headers.get("X-Signature-Timestamp", "")
    if not _well_formed(signature, timestamp) or not _recent(timestamp):
        return _unauthorized()

    payload = _parse(body)
    application_id = _application_id(payload)
    if payload is None or application_id is None:
        return _unauthorized()
    applications = _cached_applications()
    if applications is None:
        applications = await _db(_load_applications)()
    cached = applications.get(application_id)
    if cached is None or not verify_signature(cached.public_key, signature, timestamp, body):
        return _unauthorized()
    if _stamp_due(cached.pk):
        await _db(_stamp_verified)(cached.pk)
    try:
        if payload.get("type") == PING:
            # Answering a PING does no I/O, so it stays on the event loop.
            return JsonResponse(accept_interaction(cached.instance(), payload))
        return JsonResponse(await _db(accept_interaction)(cached.instance(), payload))
    except MalformedInteraction as exc:
        log.info("signed request for application %s is not an interaction: %s", application_id, exc)
        return _bad_request(str(exc))


def _db(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Run ORM work on this view's own long-lived threads, which keep their database
    connections (a thread-sensitive call would run in a new thread per request and open
    a new connection for each)."""
    return sync_to_async(_keeping_connection_healthy(func), thread_sensitive=False, executor=_executor())


def _executor() -> ThreadPoolExecutor:
    global _db_executor
    if _db_executor is None:
        # SQLite has one writer at a time: a second thread would only wait for the lock
        # in SQLite's busy handler, which sleeps in growing steps (the p99 of /ask).
        threads = 1 if connection.vendor == "sqlite" else DB_THREADS
        _db_executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook-db")
    return _db_executor


def _keeping_connection_healthy(func: Callable[P, R]) -> Callable[P, R]:
    # Nothing closes these threads' connections at the end of a request (there is none
    # for them), so drop one that broke, as Django does between requests.
    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        finally:
            if connection.errors_occurred:
                if connection.is_usable():
                    connection.errors_occurred = False
                else:
                    connection.close()

    return run


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # a nonsense header; the read below is capped anyway


def _well_formed(signature: str, timestamp: str) -> bool:
    return (
        len(signature) == _SIGNATURE_HEX_CHARS
        and _HEX.issuperset(signature)
        and 0 < len(timestamp) <= MAX_TIMESTAMP_CHARS
    )


def _parse(body: bytes) -> dict[str, Any] | None:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # bad JSON or encoding; absurd nesting
        return None
    return payload if isinstance(payload, dict) else None


def _application_id(payload: dict[str, Any] | None) -> str | None:
    value = (payload or {}).get("application_id")
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value) or None


def _recent(timestamp: str) -> bool:
    """Discord signs the current time: one far from now is a captured request replayed."""
    try:
        sent = float(timestamp)
    except ValueError:
        return False
    return abs(_wall_clock() - sent) <= settings.DISCORD_WEBHOOK_MAX_SKEW_SECONDS


def _cached_applications() -> dict[str, _CachedApp] | None:
    """The applications with a public key by application id, or None when they must be
    read again."""
    if _applications and _applications[0][0] > _clock():
        return _applications[0][1]
    return None


def _load_applications() -> dict[str, _CachedApp]:
    """Every application with a public key, read in one query at most every
    KEY_CACHE_SECONDS: an id nobody connected costs no query, however many arrive."""
    rows = BotApplication.objects.exclude(public_key="").values_list(*_APP_FIELDS)
    apps = (_CachedApp(tuple(row)) for row in rows)
    by_id = {app.application_id: app for app in apps}
    _applications[:] = [(_clock() + KEY_CACHE_SECONDS, by_id)]
    return by_id


def _stamp_due(app_pk: int) -> bool:
    last = _last_stamp.get(app_pk)
    return last is None or _clock() - last >= STAMP_EVERY.total_seconds()


def _stamp_verified(app_pk: int) -> None:
    """Record that Discord reaches the endpoint: one conditional UPDATE per application per
    minute at most, whatever the request rate and however many web processes run."""
    _last_stamp[app_pk] = _clock()
    stamped_at = timezone.now()
    BotApplication.objects.filter(pk=app_pk).filter(
        Q(endpoint_verified_at__isnull=True) | Q(endpoint_verified_at__lt=stamped_at - STAMP_EVERY)
    ).update(endpoint_verified_at=stamped_at)


# --- serving the endpoint without the dashboard's middleware ------------------------------

Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]


class _MiddlewareFreeHandler(ASGIHandler):
    """Django's ASGI handler with URL resolution and the view only. The endpoint needs none
    of the dashboard's middleware (sessions, CSRF, auth, messages), and under load each of
    them cost a PING more than the signature check (measured: about half its CPU)."""

    def load_middleware(self, is_async: bool = False) -> None:
        # BaseHandler.load_middleware with an empty MIDDLEWARE (Django 5.2, pinned).
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        get_response = self._get_response_async if is_async else self._get_response  # type: ignore[attr-defined]
        self._middleware_chain = convert_exception_to_response(get_response)


def route_webhook(django_application: ASGIApp) -> ASGIApp:
    """The project's ASGI application with requests for the interactions endpoint served
    by a middleware-free handler; everything else goes to ``django_application``."""
    webhook_handler = _MiddlewareFreeHandler()
    webhook_path = ""

    async def application(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        nonlocal webhook_path
        if not webhook_path:
            webhook_path = reverse("discord_webhook")
        if scope["type"] == "http" and scope["path"] == webhook_path:
            await webhook_handler(scope, receive, send)
        else:
            await django_application(scope, receive, send)

    return application
