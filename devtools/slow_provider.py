"""A provider for benchmarks: the local provider, but every answer takes a fixed time.

``AI_PROVIDER=devtools.slow_provider.SlowProvider`` with ``SLOW_PROVIDER_SECONDS`` (default 1).
"""

from __future__ import annotations

import asyncio
import os

from assistant.providers.base import Answer, AnswerRequest
from assistant.providers.local import LocalProvider


class SlowProvider(LocalProvider):
    name = "slow"

    def __init__(self) -> None:
        self.delay = float(os.environ.get("SLOW_PROVIDER_SECONDS", "1.0"))

    async def answer(self, request: AnswerRequest) -> Answer:
        await asyncio.sleep(self.delay)
        return await super().answer(request)
