"""Database helpers shared by the apps."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, migrations, models, transaction

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=models.Model)

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


def async_db(func: Callable[P, R], executor: Executor | None = None) -> Callable[P, Coroutine[Any, Any, R]]:
    """Run a sync ORM function from async code without serializing on one thread: in
    ``executor``, else the loop's default one (the gateway's database threads), in a copy
    of the caller's context. What ``sync_to_async(func, thread_sensitive=False)`` does, at a fraction of
    its cost per call (the gateway makes a few per answered message)."""

    @functools.wraps(func)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        call = functools.partial(contextvars.copy_context().run, func, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(executor, call)

    return run


# --- the hot path's statements ---------------------------------------------------------------
# Building a query through the ORM (filter, compile, Model.save) costs far more CPU than
# SQLite or Postgres take to run it: most of a gateway's time per answered message went
# there. The few statements every answered message runs are written out instead, from the
# model's own metadata, with every value prepared and every column converted by its field
# as the ORM does, so they mean the same on SQLite and on Postgres.


def quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column  # a concrete column
    return field


# The statements' text, fields and converters, built once per model, columns and backend.
_statements: dict[tuple[Any, ...], Any] = {}


def _statement(key: tuple[Any, ...], build: Callable[[], R]) -> R:
    key = (connection.vendor, *key)
    found = _statements.get(key)
    if found is None:
        found = _statements[key] = build()
    return found  # type: ignore[no-any-return]


def select_models(model: type[M], where: str, params: Sequence[Any], *, tail: str = "") -> list[M]:
    """``SELECT`` every column of ``model``'s table ``WHERE where`` (``%s`` placeholders for
    ``params``), then ``tail`` (ORDER BY, LIMIT, FOR UPDATE…): instances like the ORM's,
    each column converted as the ORM's compiler converts it. ``where`` and ``tail`` are
    constant text (the statement is built once for them)."""

    def build() -> tuple[str, list[str], list[tuple[int, Any, list[Any]]]]:
        fields = model._meta.concrete_fields
        columns = ", ".join(quoted(str(f.column)) for f in fields)
        sql = f"SELECT {columns} FROM {quoted(model._meta.db_table)} WHERE {where} {tail}"  # noqa: S608
        converters = []
        for index, field in enumerate(fields):
            col = field.get_col(model._meta.db_table)
            functions = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if functions:
                converters.append((index, col, functions))
        return sql, [f.attname for f in fields], converters

    sql, attnames, converters = _statement(("select", model, where, tail), build)
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        values = list(row)
        for index, col, functions in converters:
            for convert in functions:
                values[index] = convert(values[index], col, db)
        found.append(model.from_db(db.alias, attnames, values))
    return found


def select_values(model: type[models.Model], pk: int, names: Sequence[str]) -> tuple[Any, ...] | None:
    """The columns ``names`` (attnames) of ``model``'s row with primary key ``pk``, converted
    as the ORM converts them; None when there is no such row."""

    def build() -> tuple[str, list[tuple[Any, list[Any]]]]:
        fields = [_field(model, name) for name in names]
        columns = ", ".join(quoted(str(f.column)) for f in fields)
        key = quoted(str(model._meta.pk.column))  # type: ignore[union-attr]
        sql = f"SELECT {columns} FROM {quoted(model._meta.db_table)} WHERE {key} = %s"  # noqa: S608
        cols = [f.get_col(model._meta.db_table) for f in fields]
        return sql, [(c, connection.ops.get_db_converters(c) + c.get_db_converters(connection)) for c in cols]

    sql, converters = _statement(("values", model, tuple(names)), build)
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, (col, functions) in enumerate(converters):
        for convert in functions:
            values[index] = convert(values[index], col, db)
    return tuple(values)


def _prepare(fields: list[models.Field[Any, Any]], values: Mapping[str, Any]) -> list[Any]:
    db = connections[DEFAULT_DB_ALIAS]
    return [f.get_db_prep_save(v, db) for f, v in zip(fields, values.values(), strict=True)]


def insert_row(
    model: type[models.Model], values: Mapping[str, Any], *, unless: Sequence[str] = ()
) -> int | None:
    """``INSERT`` one row of ``model`` (``values``: attnames to Python values, each prepared
    by its field; give every column without a default, ``auto_now_add`` ones too) and
    return its primary key. With ``unless`` (the fields of a unique constraint), nothing is
    inserted and None returned when a row with the same values exists (``ON CONFLICT DO
    NOTHING``: no savepoint, no IntegrityError)."""

    def build() -> tuple[str, list[models.Field[Any, Any]]]:
        fields = [_field(model, name) for name in values]
        columns = ", ".join(quoted(str(f.column)) for f in fields)
        table = quoted(model._meta.db_table)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
        if unless:
            targets = ", ".join(quoted(str(_field(model, name).column)) for name in unless)
            sql += f" ON CONFLICT ({targets}) DO NOTHING"
        return f"{sql} RETURNING {quoted(str(model._meta.pk.column))}", fields  # type: ignore[union-attr]

    sql, fields = _statement(("insert", model, tuple(values), tuple(unless)), build)
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, _prepare(fields, values))
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def update_row(model: type[models.Model], pk: int, values: Mapping[str, Any]) -> int:
    """``UPDATE`` the row of ``model`` with primary key ``pk`` (``values``: attnames to
    Python values, each prepared by its field); returns the number of rows changed."""

    def build() -> tuple[str, list[models.Field[Any, Any]]]:
        fields = [_field(model, name) for name in values]
        assignments = ", ".join(f"{quoted(str(f.column))} = %s" for f in fields)
        key = quoted(str(model._meta.pk.column))  # type: ignore[union-attr]
        return f"UPDATE {quoted(model._meta.db_table)} SET {assignments} WHERE {key} = %s", fields  # noqa: S608

    sql, fields = _statement(("update", model, tuple(values)), build)
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, [*_prepare(fields, values), pk])
        return int(cursor.rowcount)
