"""The queue of writers on one SQLite file.

SQLite has one writer at a time. A writer that finds the lock taken waits in SQLite's busy
handler, which polls with sleeps of 1, 2, 5, 10 … 100 ms: it may sleep long after the lock
was released, and one process's writers can starve another's. Writers that pass through
`writer_queue(conn)` first wait their turn on a thread lock (the threads of a process) and
an exclusive flock of `<database>-bidqueue` (the processes on one database file), so each
takes SQLite's lock the moment the previous one has committed.

Only the order of waiting changes: SQLite's own lock still guards the data, and writers
that do not queue (the clock's closes, the back office) still take it in the busy handler.
The bid writers (bidding.engine) and the web heartbeat (core.liveness), the frequent
writers of a running platform, queue here. On PostgreSQL, and for an in-memory SQLite
database (one process), the queue is a no-op.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from typing import Any


class WriterQueue:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, tuple[int, int]] = {}  # lock file → (pid, fd): reopened after a fork

    @contextlib.contextmanager
    def __call__(self, conn: Any) -> Iterator[None]:
        if conn.vendor != "sqlite":
            yield
            return
        with self._lock:
            fd = self._fd(conn)
            if fd is None:
                yield
                return
            fcntl.flock(fd, fcntl.LOCK_EX)  # blocks without the GIL
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _fd(self, conn: Any) -> int | None:
        if conn.is_in_memory_db():
            return None
        # the name predates the heartbeat's use of the queue; kept so that running
        # processes of two versions during an upgrade still share one queue
        path = f"{conn.settings_dict['NAME']}-bidqueue"
        pid = os.getpid()
        known = self._files.get(path)
        if known is not None and known[0] == pid:
            return known[1]
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._files[path] = (pid, fd)
        return fd


writer_queue = WriterQueue()
