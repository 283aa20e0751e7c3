"""Importing the shards of a source side by side, in worker processes.

A whole Mozilla instance spends most of its time in Python (parsing bodies, checking images,
building rows), which one process runs on one core. The source is imported part after part
(accounts, then additional addresses, then badges and groups); within a part, shards depend
on nothing of each other's. So each worker process takes one shard with a pipeline and a
report of its own, and the main process shows their progress and adds their reports to its
own. The next part begins when every shard of this one is done.

Workers are forked from the main process, so they share its app and configuration; they
open their own database connections. Each commits its own batches, so a crash of any of
them loses at most its uncommitted batch, and running the import again resumes all of them.
A worker dies with the main process, so an interrupted import leaves nothing running.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection, wait
from pathlib import Path

from backpack.database.planner_statistics import StatisticsKeeper
from backpack.extensions import db
from importers.pipeline import ImporterError, Pipeline, SourceFailure, Unit
from importers.report import ImportReport

log = logging.getLogger(__name__)

# The units of one shard, given the worker's own pipeline, the shard's index and the count.
ShardUnits = Callable[[Pipeline, int, int], Iterable[Unit | SourceFailure]]
_PR_SET_PDEATHSIG = 1
# Each worker holds a connection to each database; past this many, the source and the
# target database, not the cores, set the pace.
DEFAULT_MOST_WORKERS = 8


def usable_workers(requested: int | None) -> int:
    """How many worker processes an import may use: as asked, else one per usable core (at
    most DEFAULT_MOST_WORKERS); one when processes cannot be forked or the database is not
    PostgreSQL (SQLite allows one writer at a time, so workers would wait for each other)."""
    forks = "fork" in multiprocessing.get_all_start_methods()
    if db.engine.dialect.name != "postgresql" or not forks:
        return 1
    if requested is not None:
        return requested
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, DEFAULT_MOST_WORKERS))


def run_shards(
    pipeline: Pipeline, count: int, units: ShardUnits, disconnect: Callable[[], None]
) -> None:
    """Import `count` shards in as many worker processes, and add their reports to the
    pipeline's. `disconnect` closes the source's connections, which workers must not share.

    Raises ImporterError when a worker fails; what every worker committed stays imported,
    and the failures it listed stay in the failures file.
    """
    db.session.close()
    db.engine.dispose()  # no connection of the main process is inherited
    disconnect()
    # Objects that exist now are left out of the workers' garbage collections, which would
    # otherwise touch, and so copy, every page of memory they share with this process.
    gc.freeze()
    context = multiprocessing.get_context("fork")
    # A pipe of its own for each worker: one that dies mid-message harms no other, and
    # its end of the pipe closing is how its death is noticed.
    workers: dict[Connection, int] = {}
    processes = []
    for index in range(count):
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(
            target=_work,
            args=(pipeline, index, count, units, writer, disconnect, os.getpid()),
            name=f"import-shard-{index}",
        )
        process.start()
        writer.close()  # the worker holds the only writing end
        workers[reader] = index
        processes.append(process)
    reported: dict[int, ImportReport] = {}
    problems: dict[int, str] = {}
    try:
        while workers:
            for ready in wait(list(workers)):
                assert isinstance(ready, Connection)
                index = workers[ready]
                try:
                    kind, value = ready.recv()
                except (EOFError, OSError):
                    del workers[ready]
                    processes[index].join()
                    if index not in reported and index not in problems:
                        code = processes[index].exitcode
                        problems[index] = f"it stopped with exit code {code}"
                    continue
                if kind == "progress":
                    if pipeline.progress is not None:
                        pipeline.progress(value)
                elif kind == "report":
                    reported[index] = value
                else:
                    problems[index] = value
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join()
        gc.unfreeze()
        for index in range(count):
            if index in reported:
                pipeline.report.absorb(reported[index])
            elif pipeline.report.failures_path is not None:
                # A worker that failed or was stopped: its listed failures are kept.
                failures = part_path(pipeline.report.failures_path, index)
                pipeline.report.absorb_failures(failures, count=True)
    if problems:
        index, problem = min(problems.items())
        raise ImporterError(
            f"Import worker {index + 1} of {count} failed: {problem}. What was written is "
            "kept; run the import again to finish it."
        )


def _work(
    main: Pipeline,
    index: int,
    count: int,
    units: ShardUnits,
    messages: Connection,
    disconnect: Callable[[], None],
    parent: int,
) -> None:
    """A worker process: import one shard and send its report to the main process."""
    _die_with(parent)
    # Ctrl-C reaches the whole process group: the main process stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    failures = main.report.failures_path
    report = ImportReport(dry_run=main.report.dry_run)
    if failures is not None:
        report.open_failures(part_path(failures, index))
    pipeline = Pipeline(
        main.scope,
        report,
        batch=main.batch,
        progress=lambda steps: messages.send(("progress", steps)),
    )
    # The first worker refreshes the planner statistics for all: the shards grow alike.
    pipeline.statistics = StatisticsKeeper(parts=count) if index == 0 else None
    pipeline.queues_checks = False  # the main process queues them once every part is done
    try:
        pipeline.run(units(pipeline, index, count))
    except ImporterError as exc:
        messages.send(("problem", exc.message))
    except Exception as exc:
        log.exception("Import worker %d failed", index + 1)
        messages.send(("problem", f"{type(exc).__name__}: {exc}"))
    else:
        messages.send(("report", report))
    finally:
        report.close()  # also when the units could not even be read
        messages.close()
        db.session.remove()
        db.engine.dispose()
        disconnect()


def _die_with(parent: int) -> None:
    """Have the kernel kill this process when the main one dies (Linux), so a `kill -9` of
    an import leaves no worker writing behind the next run's back."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)


def part_path(failures: Path, index: int) -> Path:
    """Where worker `index` lists its failures until the main process takes them over."""
    return failures.with_name(f"{failures.name}.worker-{index}")
