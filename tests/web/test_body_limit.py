"""The web process refuses request bodies over its cap before Django stores them: by
Content-Length before reading a byte, or as soon as a body sent without one passes it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from guildmind.asgi import application

MiB = 1024 * 1024


class Exchange:
    """One request through the project's ASGI application, the way uvicorn drives it."""

    def __init__(self, path: str, chunks: Iterator[bytes], headers: list[tuple[bytes, bytes]]) -> None:
        self.scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), *headers],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        self.chunks = chunks
        self.next_chunk = next(chunks, None)
        self.bytes_read = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        chunk, self.next_chunk = self.next_chunk, next(self.chunks, None)
        if chunk is None:
            await asyncio.Event().wait()  # the client waits for the response; never disconnects
            raise AssertionError("unreachable")
        self.bytes_read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": self.next_chunk is not None}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(next(m["status"] for m in self.sent if m["type"] == "http.response.start"))

    async def run(self) -> Exchange:
        await application(self.scope, self.receive, self.send)
        return self


def chunks(count: int, size: int) -> Iterator[bytes]:
    return (b"x" * size for _ in range(count))


async def test_a_body_declared_over_the_cap_is_refused_before_a_byte_is_read(settings: Any) -> None:
    settings.MAX_REQUEST_BODY_BYTES = 2 * MiB
    exchange = Exchange("/login/", chunks(300, MiB), [(b"content-length", str(300 * MiB).encode())])
    await exchange.run()
    assert exchange.status == 413
    assert exchange.bytes_read == 0


async def test_a_chunked_body_is_cut_off_as_soon_as_it_passes_the_cap(settings: Any) -> None:
    settings.MAX_REQUEST_BODY_BYTES = 2 * MiB
    exchange = Exchange("/knowledge/", chunks(40, 256 * 1024), [(b"transfer-encoding", b"chunked")])
    await exchange.run()
    assert exchange.status == 413
    assert exchange.bytes_read <= 2 * MiB + 256 * 1024  # not the 10 MB the client sends


async def test_the_interactions_endpoint_has_its_own_lower_cap(settings: Any) -> None:
    settings.DISCORD_WEBHOOK_MAX_BODY_BYTES = 64 * 1024
    exchange = Exchange("/discord/webhook/", chunks(40, 16 * 1024), [(b"transfer-encoding", b"chunked")])
    await exchange.run()
    assert exchange.status == 413
    assert exchange.bytes_read <= 80 * 1024


async def test_a_nonsense_content_length_is_a_clear_400() -> None:
    exchange = Exchange("/login/", chunks(1, 10), [(b"content-length", b"lots")])
    await exchange.run()
    assert exchange.status == 400
    assert b"Content-Length" in exchange.sent[-1]["body"]


@pytest.mark.django_db(transaction=True)
async def test_a_body_under_the_cap_reaches_the_view() -> None:
    # An unsigned interaction: the endpoint itself answers (401), not the cap.
    body = b'{"type": 1}'
    exchange = Exchange(
        "/discord/webhook/",
        iter([body]),
        [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")],
    )
    await exchange.run()
    assert exchange.status == 401
