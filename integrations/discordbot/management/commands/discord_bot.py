from __future__ import annotations

import asyncio
import signal
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.management.base import BaseCommand

from integrations.discordbot.gateway import run_gateway


class Command(BaseCommand):
    help = "Run the Discord gateway bot (answers mentions and all-messages mode; moderation)."

    def handle(self, *args: Any, **options: Any) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        loop = asyncio.get_running_loop()
        # Database work runs in threads; the default pool (cores + 4) would serialize a
        # burst of messages behind a handful of threads.
        loop.set_default_executor(ThreadPoolExecutor(max_workers=32, thread_name_prefix="gateway-db"))
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_gateway(stop)
        self.stdout.write("gateway stopped")
