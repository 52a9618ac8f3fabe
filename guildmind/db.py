"""Database helpers shared by the apps."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

# SQLite has one writer at a time. Threads of one process that collide on its lock are
# put to sleep by SQLite's busy handler in growing steps (up to 100 ms), which turns a
# burst of writes into idle gaps; queueing them on a process lock instead hands the
# database from one writer to the next at once.
_sqlite_writer = threading.Lock()


@contextmanager
def write_transaction() -> Iterator[None]:
    """``transaction.atomic()`` for a short write; on SQLite, writers of this process
    queue in-process instead of polling SQLite's lock. Inside a transaction it joins it
    (no savepoint: a failure fails the whole of it)."""
    if connection.in_atomic_block:
        with transaction.atomic(savepoint=False):
            yield
        return
    if connection.vendor != "sqlite":
        with transaction.atomic():
            yield
        return
    with _sqlite_writer, transaction.atomic():
        yield
