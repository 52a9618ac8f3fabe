"""Run text extraction in a child process that its deadline and resource limits can stop.

The checks in :mod:`knowledge.extract` run between pages and paragraphs; one library
call (pypdf on a hostile content stream, lxml building the tree of a huge page) can
still spend minutes and gigabytes of a worker thread the /ask answers need. So each
extraction runs in a child process, under ``RLIMIT_CPU`` and ``RLIMIT_AS``
(KNOWLEDGE_EXTRACT_MEMORY_BYTES), and is killed when its wall-clock time is up.

The children are forked from multiprocessing's fork server: a small single-threaded
process started once per worker process, with the parsers already imported. Forking
from it rather than from the worker keeps the worker's threads, locks and database
connections out of the child, and costs about 15 ms an extraction instead of the
~250 ms of starting Python and importing the parsers each time. The child gets bytes and
returns text as JSON: it never touches the database or Django's settings, so it behaves
the same under Huey's worker threads, pytest, SQLite and Postgres.
"""

from __future__ import annotations

import json
import logging
import math
import multiprocessing
import signal
import threading
import time
from dataclasses import asdict
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import Any

from knowledge.errors import KnowledgeError, SourceLimitError
from knowledge.extract import ExtractLimits, extract_file, too_slow
from knowledge.html import HtmlPage, extract_html

logger = logging.getLogger(__name__)

# The child stops itself at its deadline with a precise reason; the parent kills it only
# this much later, when it is stuck inside one call.
KILL_GRACE_SECONDS = 2.0
# Imported by the fork server once, so that each child starts with them loaded.
# "__main__" too: otherwise every child runs the main script again (multiprocessing's
# rule for fork servers), which must therefore be safe to import (manage.py is).
_PRELOAD = ["__main__", "knowledge.isolation", "pypdf", "docx", "bs4", "lxml.etree"]

_context_lock = threading.Lock()
_context: BaseContext | None = None


def extract_file_isolated(data: bytes, filename: str, limits: ExtractLimits) -> str:
    """:func:`knowledge.extract.extract_file` in a child process. Raises KnowledgeError
    (SourceLimitError when it took too long or needed too much memory)."""
    reply = _run("file", data, {"filename": filename}, limits, None, "this file")
    return str(reply)


def extract_html_isolated(
    data: bytes,
    *,
    encoding: str | None,
    limits: ExtractLimits,
    seconds: float | None = None,
    subject: str = "this page",
) -> HtmlPage:
    """:func:`knowledge.html.extract_html` in a child process; raises like
    :func:`extract_file_isolated`. ``seconds``: what is left of the source's time."""
    options = {"encoding": encoding, "subject": subject}
    reply = _run("html", data, options, limits, seconds, subject)
    assert isinstance(reply, dict)
    return HtmlPage(title=str(reply["title"]), text=str(reply["text"]))


def _run(
    job: str, data: bytes, options: dict[str, Any], limits: ExtractLimits, seconds: float | None, subject: str
) -> object:
    seconds = limits.timeout_seconds if seconds is None else seconds
    if seconds <= 0:
        raise too_slow(subject, limits.timeout_seconds)
    context = _get_context()
    ours, theirs = context.Pipe()
    process = context.Process(  # type: ignore[attr-defined]
        target=_child,
        args=(theirs, job, options, asdict(limits), seconds),
        name=f"guildmind-extract-{job}",
        daemon=True,
    )
    started = time.monotonic()
    process.start()
    theirs.close()
    try:
        try:
            ours.send_bytes(data)
        except OSError:
            pass  # the child died before reading; its exit code says why
        if not ours.poll(max(0.0, started + seconds + KILL_GRACE_SECONDS - time.monotonic())):
            logger.info("extraction child %s ran out of time; killing it", process.pid)
            raise too_slow(subject, limits.timeout_seconds)
        try:
            reply: dict[str, Any] = json.loads(ours.recv_bytes())
        except (EOFError, OSError):
            process.join(1.0)
            raise _death_reason(process.exitcode, subject, limits) from None
    finally:
        ours.close()
        if process.is_alive():
            process.kill()
        process.join()
        process.close()
    if "ok" in reply:
        return reply["ok"]
    if "limit" in reply:
        raise SourceLimitError(reply["limit"])
    if "refused" in reply:
        raise KnowledgeError(reply["refused"])
    if "memory" in reply:
        raise _out_of_memory(subject, limits.max_memory_bytes)
    logger.error("extraction child failed: %s", reply.get("error", reply))
    raise RuntimeError("the extraction child process failed")


def _death_reason(exitcode: int | None, subject: str, limits: ExtractLimits) -> Exception:
    logger.info("extraction child died with exit code %s", exitcode)
    if exitcode == -signal.SIGXCPU:  # past its CPU limit
        return too_slow(subject, limits.timeout_seconds)
    if exitcode == -signal.SIGKILL:  # the kernel's out-of-memory killer
        return _out_of_memory(subject, limits.max_memory_bytes)
    return RuntimeError(f"the extraction child process died with exit code {exitcode}")


def _out_of_memory(subject: str, memory_bytes: int) -> SourceLimitError:
    return SourceLimitError(
        f"Reading {subject} needed more memory than one source may ({memory_bytes / 2**20:,.0f} MB); "
        "split it into smaller parts."
    )


def _get_context() -> BaseContext:
    global _context
    with _context_lock:
        if _context is None:
            methods = multiprocessing.get_all_start_methods()
            # Without a fork server (Windows) each child starts Python afresh: slower, as safe.
            context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            if "forkserver" in methods:
                context.set_forkserver_preload(_PRELOAD)  # type: ignore[attr-defined]
            _context = context
        return _context


# --- In the child ---------------------------------------------------------------------------


def _child(
    connection: Connection,
    job: str,
    options: dict[str, Any],
    limits_fields: dict[str, Any],
    seconds: float,
) -> None:
    """The child's body: limit itself, read the bytes, extract, reply with JSON."""
    limits = ExtractLimits(**limits_fields)
    _limit_resources(cpu_seconds=math.ceil(seconds) + 1, memory_bytes=limits.max_memory_bytes)
    reply: dict[str, Any]
    try:
        data = connection.recv_bytes()
        if job == "file":
            reply = {"ok": extract_file(data, options["filename"], limits, seconds=seconds)}
        else:
            page = extract_html(
                data, encoding=options["encoding"], limits=limits, seconds=seconds, subject=options["subject"]
            )
            reply = {"ok": {"title": page.title, "text": page.text}}
    except SourceLimitError as error:
        reply = {"limit": str(error)}
    except KnowledgeError as error:
        reply = {"refused": str(error)}
    except MemoryError:
        reply = {"memory": True}
    except Exception as error:
        reply = {"error": f"{error.__class__.__name__}: {error}"}
    connection.send_bytes(json.dumps(reply).encode())
    connection.close()


def _limit_resources(*, cpu_seconds: int, memory_bytes: int) -> None:
    try:
        import resource
    except ImportError:  # not on Windows: the parent's deadline still applies
        return
    # The hard CPU limit one second later: SIGXCPU first (reported as "too slow"), then SIGKILL.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ValueError, OSError):  # a lower hard limit set by the operator stays
        logger.info("could not limit the extraction child's memory to %s bytes", memory_bytes)
