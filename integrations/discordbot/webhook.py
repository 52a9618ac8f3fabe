"""``POST /discord/webhook/``: Discord's interactions endpoint (PING and slash commands).

Every request is checked against the Ed25519 signature of the application it names, then
handed to ``interactions.accept_interaction``. Discord waits at most 3 seconds for the
answer, so this view never does slow work: the public key comes from a short-lived
process cache, the verification stamp is written at most once a minute, and /ask only
records the interaction and enqueues its job.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.discordbot.interactions import MalformedInteraction, accept_interaction
from integrations.discordbot.models import BotApplication
from integrations.discordbot.signatures import SIGNATURE_BYTES, verify_signature

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 65536
# How long a public key read from the database is trusted: a key changed in the dashboard
# applies within this many seconds, without a query per request in between.
KEY_CACHE_SECONDS = 5.0
KEY_CACHE_MAX_ENTRIES = 4096
STAMP_EVERY = timedelta(minutes=1)
# Discord sends unix seconds; anything much longer is not a timestamp.
MAX_TIMESTAMP_CHARS = 32

# The fields an interaction needs; the encrypted token and secret stay unread (and
# undecrypted) unless something asks for them, which loads them lazily.
_APP_FIELDS = ("id", "application_id", "public_key", "is_shared", "workspace_id", "name")
_SIGNATURE_HEX_CHARS = 2 * SIGNATURE_BYTES
_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class _CachedApp:
    values: tuple[Any, ...]  # in _APP_FIELDS order

    @property
    def pk(self) -> int:
        return int(self.values[0])

    @property
    def public_key(self) -> str:
        return str(self.values[2])

    def instance(self) -> BotApplication:
        """A fresh model instance per request (deferred fields load on access)."""
        return BotApplication.from_db("default", list(_APP_FIELDS), self.values)


# application id -> (monotonic expiry, application or None for an unknown id)
_by_application_id: dict[str, tuple[float, _CachedApp | None]] = {}
_every: list[tuple[float, list[_CachedApp]]] = []
_last_stamp: dict[int, float] = {}


def clear_caches() -> None:
    """Forget cached keys and stamps (tests; a process that just changed a key)."""
    _by_application_id.clear()
    _every.clear()
    _last_stamp.clear()


def _unauthorized() -> JsonResponse:
    # One body for every refusal, so a caller learns nothing about which check failed.
    return JsonResponse({"error": "invalid request signature"}, status=401)


def _bad_request(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


def _too_large(limit: int) -> JsonResponse:
    return JsonResponse({"error": f"request body is larger than {limit} bytes"}, status=413)


@csrf_exempt
@require_POST
def interactions_webhook(request: HttpRequest) -> HttpResponse:
    """Discord's interactions endpoint. 413 when the body is over the cap, 401 for any
    signature problem or an unknown application, 400 for a signed request that is not an
    interaction, otherwise 200 with the interaction response."""
    limit = int(getattr(settings, "DISCORD_WEBHOOK_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))
    if _declared_length(request) > limit:
        return _too_large(limit)
    body = request.read(limit + 1)
    if len(body) > limit:
        return _too_large(limit)
    signature = request.headers.get("X-Signature-Ed25519", "")
    timestamp = request.headers.get("X-Signature-Timestamp", "")
    if not _well_formed(signature, timestamp):
        return _unauthorized()

    payload = _parse(body)
    application_id = _application_id(payload)
    if payload is None or application_id is None:
        return _answer_unreadable(signature, timestamp, body)
    cached = _application(application_id)
    if cached is None or not verify_signature(cached.public_key, signature, timestamp, body):
        return _unauthorized()
    _stamp_verified(cached.pk)
    try:
        return JsonResponse(accept_interaction(cached.instance(), payload))
    except MalformedInteraction as exc:
        log.info("signed request for application %s is not an interaction: %s", application_id, exc)
        return _bad_request(str(exc))


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


def _answer_unreadable(signature: str, timestamp: str, body: bytes) -> JsonResponse:
    """A body that names no application: 400 if one of ours signed it (so a broken sender
    with the right key learns why), 401 otherwise."""
    for cached in _every_application():
        if verify_signature(cached.public_key, signature, timestamp, body):
            _stamp_verified(cached.pk)
            return _bad_request("the body must be a JSON interaction object with an application_id")
    return _unauthorized()


def _application(application_id: str) -> _CachedApp | None:
    """The application with this id and a public key, or None. Unknown ids are cached
    too, so a flood of made-up ids costs no query each."""
    now = time.monotonic()
    hit = _by_application_id.get(application_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    values = (
        BotApplication.objects.filter(application_id=application_id)
        .exclude(public_key="")
        .values_list(*_APP_FIELDS)
        .first()
    )
    if len(_by_application_id) >= KEY_CACHE_MAX_ENTRIES:
        _by_application_id.clear()  # crude, but keeps the cache bounded
    found = _CachedApp(tuple(values)) if values is not None else None
    _by_application_id[application_id] = (now + KEY_CACHE_SECONDS, found)
    return found


def _every_application() -> list[_CachedApp]:
    """Every application with a public key, the shared one first."""
    now = time.monotonic()
    if _every and _every[0][0] > now:
        return _every[0][1]
    rows = BotApplication.objects.exclude(public_key="").order_by("-is_shared", "id")
    apps = [_CachedApp(tuple(row)) for row in rows.values_list(*_APP_FIELDS)]
    _every[:] = [(now + KEY_CACHE_SECONDS, apps)]
    return apps


def _stamp_verified(app_pk: int) -> None:
    """Record that Discord reaches the endpoint: one conditional UPDATE per application per
    minute at most, whatever the request rate and however many web processes run."""
    now = time.monotonic()
    last = _last_stamp.get(app_pk)
    if last is not None and now - last < STAMP_EVERY.total_seconds():
        return
    _last_stamp[app_pk] = now
    stamped_at = timezone.now()
    BotApplication.objects.filter(pk=app_pk).filter(
        Q(endpoint_verified_at__isnull=True) | Q(endpoint_verified_at__lt=stamped_at - STAMP_EVERY)
    ).update(endpoint_verified_at=stamped_at)
