"""AI providers, looked up by name (settings.AI_PROVIDER) — see registry.py."""
