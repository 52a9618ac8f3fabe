"""A tiny OpenAI-compatible chat server with a fixed latency, for benchmarks and trials.

``python -m devtools.fake_llm --port 8791 --latency 1.0`` then set ``AI_PROVIDER=openai``,
``AI_BASE_URL=http://127.0.0.1:8791/v1`` and any ``AI_API_KEY``. It answers every chat
completion with the first passage it was given, cited as [1].
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time

from aiohttp import web

_FIRST_PASSAGE = re.compile(r"<passage>\n\[1\][^\n]*\n([^<]{1,300})")


class FakeLLM:
    def __init__(self, *, latency: float, host: str = "127.0.0.1", port: int = 0) -> None:
        self.latency = latency
        self.host, self.port = host, port
        self.requests = 0
        # perf_counter() when the latest completion was handed back (benchmarks read it).
        self.last_response_at = 0.0
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    async def _complete(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.json()
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        await asyncio.sleep(self.latency)
        match = _FIRST_PASSAGE.search(prompt)
        content = f"{match.group(1).strip()} [1]" if match else "NO_ANSWER"
        self.last_response_at = time.perf_counter()
        return web.json_response(
            {
                "id": f"chatcmpl-fake{self.requests}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.fake_llm")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--latency", type=float, default=1.0)
    args = parser.parse_args()

    async def serve() -> None:
        llm = FakeLLM(latency=args.latency, port=args.port)
        await llm.start()
        print(f"AI_PROVIDER=openai AI_BASE_URL={llm.base_url} AI_API_KEY=fake", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
