"""Test support for the AI layer: a small knowledge base and recorded HTTP replies.

The openai and anthropic SDKs send requests with httpx2, which respx does not patch out
of the box; ``Httpx2Mocker`` teaches respx to, so provider tests use ordinary respx
routes (``respx.mock(using="httpx2")``) and the real SDKs parse the recorded bodies.
Recorded bodies live in fixtures/<provider>/; to refresh one, paste the body of a real
response (same endpoint and model) over it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import httpx2
from respx.mocks import Mocker

from assistant.providers.base import Passage
from assistant.text import terms

FIXTURES = Path(__file__).parent / "fixtures"


class Httpx2Mocker(Mocker):
    """Routes requests of httpx2's default async transport through respx."""

    name = "httpx2"
    targets = ["httpx2._transports.default.AsyncHTTPTransport"]
    target_methods = ["handle_async_request"]

    @classmethod
    def mock(cls, spec: Any) -> Any:
        async def handle_async_request(self: Any, request: httpx2.Request) -> httpx2.Response:
            body = await request.aread()
            as_httpx = httpx.Request(
                request.method, str(request.url), headers=request.headers.raw, content=body
            )
            try:
                response = await cls.async_handler(as_httpx)
            except httpx.TimeoutException as error:
                # What httpx2 itself raises when the server is too slow.
                raise httpx2.ReadTimeout(str(error) or "timed out", request=request) from error
            await response.aread()
            return httpx2.Response(
                response.status_code, headers=response.headers.raw, content=response.content, request=request
            )

        return handle_async_request


def recorded(path: str) -> Any:
    """A recorded response body from tests/assistant/fixtures/."""
    return json.loads((FIXTURES / path).read_text())


REFUNDS = Passage(
    text=(
        "You can ask for a refund from the Billing page within 30 days of purchase. "
        "Refunds usually take 5 business days to reach your original payment method. "
        "Annual plans are refunded pro rata for the unused months."
    ),
    title="Billing FAQ",
    heading="Refunds",
    url="https://docs.example.com/billing#refunds",
    score=7.2,
    source_id=1,
    chunk_id=11,
)
PASSWORDS = Passage(
    text=(
        "To reset your password, click Forgot password on the login screen. "
        "We email you a reset link that stays valid for one hour. "
        "If the email does not arrive, check your spam folder."
    ),
    title="Account help",
    heading="Resetting your password",
    score=6.4,
    source_id=2,
    chunk_id=21,
)
SHIPPING = Passage(
    text=(
        "Orders ship from our warehouse in Lyon on weekdays. "
        "Standard shipping takes 3 to 7 days within the EU. "
        "Express shipping arrives the next business day if you order before noon."
    ),
    title="Shipping",
    score=5.1,
    source_id=3,
    chunk_id=31,
)
KNOWLEDGE = [REFUNDS, PASSWORDS, SHIPPING]


def rank(query: str, passages: list[Passage] = KNOWLEDGE) -> list[Passage]:
    """A stand-in for BM25: passages sharing words with the query, most shared first."""
    wanted = terms(query)
    scored = []
    for passage in passages:
        shared = len(wanted & terms(f"{passage.title} {passage.heading} {passage.text}"))
        if shared:
            scored.append(replace(passage, score=float(shared)))
    return sorted(scored, key=lambda p: -p.score)
