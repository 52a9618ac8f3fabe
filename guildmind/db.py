"""Database helpers shared by the apps."""

from __future__ import annotations

import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import connection, migrations, transaction

P = ParamSpec("P")
R = TypeVar("R")

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


def moved_models(old_label: str, new_label: str, *model_names: str) -> migrations.RunPython:
    """The migration step that follows a model to another app (whose migration moved its
    state with ``SeparateDatabaseAndState`` and kept its table): its content type is
    relabelled, so admin history and permissions stay attached. On a fresh database there
    is nothing to relabel yet; reversible."""

    def relabel(source: str, target: str) -> Callable[[Any, Any], None]:
        def run(apps: Any, schema_editor: Any) -> None:
            types = apps.get_model("contenttypes", "ContentType").objects.using(
                schema_editor.connection.alias
            )
            for name in model_names:
                if not types.filter(app_label=target, model=name).exists():
                    types.filter(app_label=source, model=name).update(app_label=target)

        return run

    return migrations.RunPython(relabel(old_label, new_label), relabel(new_label, old_label))


def async_db(func: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Run a sync ORM function from async code without serializing on one thread."""
    return sync_to_async(func, thread_sensitive=False)
