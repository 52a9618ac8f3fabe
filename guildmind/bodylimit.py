"""An ASGI layer in front of Django that refuses request bodies over a cap.

Django's ASGI handler reads the whole body (spooling it to a temporary file) before any
view or setting such as ``DATA_UPLOAD_MAX_MEMORY_SIZE`` looks at it, and uvicorn sets no
limit of its own: without this layer a client could make any URL write hundreds of
megabytes to disk. A request is refused with 413 by its ``Content-Length`` before a byte
of the body is read, and a body sent without one (chunked) is counted as it arrives and
cut off as soon as it passes the cap.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# What the inner application sees once the body is over the cap: Django's handler then
# gives up on the request (RequestAborted) without answering, and this layer answers.
_DISCONNECT: Message = {"type": "http.disconnect"}


def limit_request_bodies(app: ASGIApp, limit_for: Callable[[str], int]) -> ASGIApp:
    """``app`` behind a body cap of ``limit_for(path)`` bytes per HTTP request (read per
    request, so a changed setting applies at once)."""

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = _declared_length(scope)
        if declared is None:
            await _respond(send, 400, "the Content-Length header is not a number")
            return
        if declared > limit:
            await _respond(send, 413, f"request body is larger than {limit} bytes")
            return

        received = 0
        over = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, over
            if over:
                return _DISCONNECT
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    return _DISCONNECT
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await app(scope, counting_receive, watching_send)
        if over and not started:
            await _respond(send, 413, f"request body is larger than {limit} bytes")

    return application


def _declared_length(scope: Scope) -> int | None:
    """The Content-Length (0 when absent), or None when it is not a number."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return max(0, int(value))
            except ValueError:
                return None
    return 0


async def _respond(send: Send, status: int, error: str) -> None:
    body = json.dumps({"error": error}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read, so the connection cannot be reused.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
