"""Anthropic's Messages API.

The SDK is imported when the first client is made, so importing this module costs
nothing when another provider is used.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from assistant.prompts import Prompt
from assistant.providers.chat import ChatProvider

DEFAULT_MODEL = "claude-3-5-haiku-latest"


class AnthropicProvider(ChatProvider):
    name = "anthropic"

    def __init__(self) -> None:
        super().__init__(
            model=settings.AI_MODEL or DEFAULT_MODEL, max_output_tokens=settings.AI_MAX_OUTPUT_TOKENS
        )

    def _make_client(self) -> Any:
        import anthropic

        return anthropic.AsyncAnthropic(
            api_key=settings.AI_API_KEY or None,
            base_url=settings.AI_BASE_URL or None,
            timeout=settings.AI_TIMEOUT_SECONDS,
            max_retries=1,
        )

    async def _complete(self, prompt: Prompt, *, max_tokens: int) -> str:
        response = await self.client().messages.create(
            model=self.model,
            max_tokens=max_tokens,
            system=prompt.system,
            messages=[{"role": "user", "content": prompt.user}],
        )
        return "".join(block.text for block in response.content if block.type == "text")
