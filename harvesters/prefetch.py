"""Fetch the next page while the current one is processed.

Against a remote repository most of a harvest's wall time is waiting for the next
page; running the page iterator one step ahead in a thread overlaps that wait with
crosswalking and writing. Still one request in flight per source, so politeness is
unchanged, and a crash loses only uncommitted pages (the harvest state is not advanced).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_ITEM, _DONE, _ERROR = "item", "done", "error"


def prefetched(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Yield what ``items`` yields, produced up to ``depth`` items ahead in a worker thread.

    An exception raised by ``items`` is re-raised here, in the consumer, at the point the
    failed item would have arrived.
    """
    channel: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def send(message: tuple[str, object]) -> bool:
        while not stop.is_set():
            try:
                channel.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not send((_ITEM, item)):
                    return
            send((_DONE, None))
        except BaseException as error:  # handed to the consumer, which decides
            send((_ERROR, error))

    worker = threading.Thread(target=produce, name="page-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = channel.get()
            if kind == _ITEM:
                yield value  # type: ignore[misc]
            elif kind == _DONE:
                return
            else:
                raise value  # type: ignore[misc]
    finally:
        stop.set()
        worker.join(timeout=5)
