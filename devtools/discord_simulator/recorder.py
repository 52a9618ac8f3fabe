"""What tests observe and steer: the log of REST calls, injected failures, and change notifications."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")


class Call(NamedTuple):
    """One REST request as the simulator received it; ``path`` is relative to the API base."""

    method: str
    path: str
    json: Any
    bot_id: str | None
    # When it arrived (wall clock), so tests can count a token's requests per second.
    at: float = 0.0


@dataclass
class FailureRule:
    method: str
    path_pattern: re.Pattern[str]
    status: int
    retry_after: float
    times: int

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.method == method.upper() and self.path_pattern.search(path) is not None


class Recorder:
    """Holds the call log and failure rules, and wakes waiters whenever the world changes."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.injected_failures: list[Call] = []
        self.failure_rules: list[FailureRule] = []
        self._changed: asyncio.Event | None = None

    def record(self, call: Call) -> None:
        self.calls.append(call._replace(at=time.time()) if not call.at else call)
        self.notify()

    def busiest_second(self, bot_id: str) -> int:
        """The most REST requests one bot token made in one second of the clock (Discord's
        global limit is 50 a second)."""
        per_second = Counter(int(c.at) for c in self.calls if c.bot_id == bot_id)
        return max(per_second.values(), default=0)

    def requests_per_bot(self) -> Counter[str]:
        return Counter(c.bot_id for c in self.calls if c.bot_id)

    def add_failure(self, method: str, path_regex: str, status: int, retry_after: float, times: int) -> None:
        rule = FailureRule(method.upper(), re.compile(path_regex), status, retry_after, times)
        self.failure_rules.append(rule)

    def take_failure(self, call: Call) -> FailureRule | None:
        """The first rule matching ``call``, consuming one of its uses; None when the call may proceed."""
        for rule in self.failure_rules:
            if rule.matches(call.method, call.path):
                rule.times -= 1
                self.injected_failures.append(call)
                return rule
        return None

    def notify(self) -> None:
        """Wakes every waiter so it re-checks its condition."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def wait_until(self, check: Callable[[], T | None], within: float, what: str) -> T:
        """Returns ``check()`` once it is not None; raises TimeoutError naming ``what`` after ``within`` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {within}s waiting for {what}")
            if self._changed is None:
                self._changed = asyncio.Event()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass
