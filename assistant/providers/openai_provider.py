"""Any OpenAI-compatible chat API: OpenAI itself, Azure, Ollama, vLLM, LM Studio.

``AI_BASE_URL`` points at the server (empty: OpenAI). The SDK is imported when the first
client is made, so importing this module costs nothing when another provider is used.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from assistant.prompts import Prompt
from assistant.providers.chat import ChatProvider, EmptyResponseError

DEFAULT_MODEL = "gpt-4o-mini"


class OpenAIProvider(ChatProvider):
    name = "openai"

    def __init__(self) -> None:
        super().__init__(
            model=settings.AI_MODEL or DEFAULT_MODEL, max_output_tokens=settings.AI_MAX_OUTPUT_TOKENS
        )

    def _make_client(self) -> Any:
        import openai

        return openai.AsyncOpenAI(
            # Local servers (Ollama, vLLM) need no key, but the SDK insists on one.
            api_key=settings.AI_API_KEY or "not-needed",
            base_url=settings.AI_BASE_URL or None,
            timeout=settings.AI_TIMEOUT_SECONDS,
            max_retries=1,
        )

    async def _complete(self, prompt: Prompt, *, max_tokens: int) -> str:
        response = await self.client().chat.completions.create(
            model=self.model,
            messages=[
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            # max_tokens, not max_completion_tokens: every compatible server understands it.
            max_tokens=max_tokens,
        )
        if not response.choices:
            raise EmptyResponseError("openai: no choices in the response")
        return response.choices[0].message.content or ""
