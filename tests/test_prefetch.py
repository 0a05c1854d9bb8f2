"""The page prefetcher: same items, same order, errors where they happened, clean stop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harvesters.prefetch import prefetched


def test_yields_everything_in_order() -> None:
    assert list(prefetched(iter(range(100)))) == list(range(100))


def test_error_arrives_after_the_items_before_it() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("server died")

    seen = []
    with pytest.raises(RuntimeError, match="server died"):
        for item in prefetched(items()):
            seen.append(item)
    assert seen == [1, 2]


def test_runs_at_most_depth_items_ahead_and_stops_when_the_consumer_stops() -> None:
    produced = []

    def items() -> Iterator[int]:
        for number in range(1000):
            produced.append(number)
            yield number

    stream = prefetched(items(), depth=1)
    assert next(stream) == 0
    stream.close()  # the consumer gives up (a crash, Ctrl-C, an error downstream)
    # item 0 consumed, item 1 queued, item 2 possibly produced and waiting to be queued
    assert len(produced) <= 3
