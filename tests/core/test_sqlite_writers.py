"""The queue of SQLite writers (core.sqlite_writers): one writer at a time per database file,
across threads and across processes (two queues stand for two processes: flock locks belong
to the open file, so two descriptors exclude each other even in one process)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from exchange.core.sqlite_writers import WriterQueue


def sqlite_file(path) -> SimpleNamespace:
    return SimpleNamespace(vendor="sqlite", settings_dict={"NAME": str(path)}, is_in_memory_db=lambda: False)


def test_a_writer_of_another_process_waits_until_the_first_is_done(tmp_path):
    conn = sqlite_file(tmp_path / "db.sqlite3")
    first, second = WriterQueue(), WriterQueue()
    order: list[str] = []
    entered = threading.Event()

    def other_process() -> None:
        with second(conn):
            order.append("second")

    with first(conn):
        waiting = threading.Thread(target=other_process)
        waiting.start()
        entered.wait(0.2)  # gives the other writer time to reach the queue
        order.append("first done")
    waiting.join(5)
    assert order == ["first done", "second"]
    assert (tmp_path / "db.sqlite3-bidqueue").exists()


def test_writers_of_one_process_take_turns(tmp_path):
    conn = sqlite_file(tmp_path / "db.sqlite3")
    queue = WriterQueue()
    inside = 0
    most = 0
    lock = threading.Lock()

    def writer() -> None:
        nonlocal inside, most
        with queue(conn):
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.01)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert most == 1


def test_postgresql_and_in_memory_databases_do_not_queue(tmp_path):
    queue = WriterQueue()
    with queue(SimpleNamespace(vendor="postgresql")), queue(SimpleNamespace(vendor="postgresql")):
        pass  # not exclusive: no lock taken
    memory = SimpleNamespace(vendor="sqlite", settings_dict={"NAME": ":memory:"}, is_in_memory_db=lambda: True)
    with queue(memory):
        pass
    assert not list(tmp_path.iterdir())
