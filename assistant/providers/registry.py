"""AI providers looked up by name, like healthchecks' TRANSPORTS map.

Adding a provider is a new module and a line in ``PROVIDERS`` (and its name in the
``AI_PROVIDER`` choices in settings).
"""

from __future__ import annotations

from functools import cache
from typing import cast

from django.conf import settings
from django.utils.module_loading import import_string

from assistant.providers.base import Provider

PROVIDERS: dict[str, str] = {
    "local": "assistant.providers.local.LocalProvider",
    "openai": "assistant.providers.openai_provider.OpenAIProvider",
    "anthropic": "assistant.providers.anthropic_provider.AnthropicProvider",
}


class UnknownProviderError(LookupError):
    pass


def get_provider(name: str | None = None) -> Provider:
    """The provider called ``name`` (default: ``settings.AI_PROVIDER``), one instance per name.

    Raises UnknownProviderError for a name not in ``PROVIDERS``.
    """
    return _provider(name or settings.AI_PROVIDER)


@cache
def _provider(name: str) -> Provider:
    try:
        path = name if "." in name else PROVIDERS[name]
    except KeyError:
        raise UnknownProviderError(f"unknown AI provider {name!r}; known: {', '.join(PROVIDERS)}") from None
    return cast(Provider, import_string(path)())


def reset_providers() -> None:
    """Forget the cached instances (tests that change AI settings call this)."""
    _provider.cache_clear()
