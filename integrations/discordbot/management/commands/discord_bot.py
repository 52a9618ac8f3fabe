from __future__ import annotations

import asyncio
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from integrations.discordbot.supervisor import run_gateway
from knowledge.embedding import warm_up


class Command(BaseCommand):
    help = "Run the Discord gateway bot (answers mentions and all-messages mode; moderation)."

    def handle(self, *args: Any, **options: Any) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        loop = asyncio.get_running_loop()
        # Database work runs in a few threads. They share the GIL with the event loop, so
        # more threads only add switching (measured: 4 beat 32 on a 200-message burst),
        # and a short switch interval keeps the loop from waiting 5 ms behind a thread.
        loop.set_default_executor(
            ThreadPoolExecutor(max_workers=settings.GATEWAY_DB_THREADS, thread_name_prefix="gateway-db")
        )
        sys.setswitchinterval(0.0005)
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # The embedding model loads while the gateway connects, not on the first question.
        warming = loop.run_in_executor(None, warm_up)
        await run_gateway(stop)
        await warming
        self.stdout.write("gateway stopped")
