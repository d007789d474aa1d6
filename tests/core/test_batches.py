"""`portal.core.batches.batched`: an iterable's items a batch at a time, read only as far as the batches asked
for (a download walking a query's rows holds one batch)."""

from __future__ import annotations

import pytest

from portal.core.batches import batched


def test_items_come_a_batch_at_a_time_the_last_one_shorter_and_none_for_no_items():
    assert list(batched(range(5), 2)) == [[0, 1], [2, 3], [4]]
    assert list(batched([], 3)) == []
    with pytest.raises(ValueError):
        next(batched(range(3), 0))


def test_only_the_items_of_the_batches_asked_for_are_read():
    read: list[int] = []

    def rows():
        for n in range(10):
            read.append(n)
            yield n

    batches = batched(rows(), 3)
    assert next(batches) == [0, 1, 2] and read == [0, 1, 2]
