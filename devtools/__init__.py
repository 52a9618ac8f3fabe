"""Developer tools that never run in production (the local Discord simulator)."""
