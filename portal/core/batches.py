"""`batched`: an iterable's items a list of `size` at a time, as they are asked for (Python 3.12's
`itertools.batched`, which this project's Python 3.11 lacks). A download or a housekeeping step that walks many
rows with `iterator()` holds one batch, whatever the rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` `size` at a time (the last batch may be shorter; none when there are no items)."""
    if size < 1:
        raise ValueError("a batch holds at least one item")
    walked = iter(items)
    while batch := list(islice(walked, size)):
        yield batch
