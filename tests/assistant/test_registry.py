"""Providers looked up by name."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from assistant.providers.local import LocalProvider
from assistant.providers.registry import PROVIDERS, UnknownProviderError, get_provider


def test_the_default_provider_comes_from_settings() -> None:
    assert isinstance(get_provider(), LocalProvider)


def test_each_name_gets_one_cached_instance() -> None:
    assert get_provider("local") is get_provider("local")


def test_an_unknown_name_is_refused() -> None:
    with pytest.raises(UnknownProviderError):
        get_provider("skynet")


@pytest.mark.usefixtures("fake_key")
@pytest.mark.parametrize("name", ["openai", "anthropic"])
def test_real_providers_build_without_touching_their_sdk(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK is imported only when the first request is made.
    sdk = "openai" if name == "openai" else "anthropic"
    monkeypatch.delitem(sys.modules, sdk, raising=False)

    provider = get_provider(name)

    assert provider.name == name and sdk not in sys.modules


def test_the_registry_names_the_three_providers() -> None:
    assert set(PROVIDERS) == {"local", "openai", "anthropic"}


@pytest.mark.usefixtures("fake_key")
def test_the_configured_model_overrides_the_default(settings: Any) -> None:
    settings.AI_MODEL = "gpt-4.1-nano"

    assert get_provider("openai").model == "gpt-4.1-nano"  # type: ignore[attr-defined]
