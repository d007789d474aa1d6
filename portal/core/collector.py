"""Python's cyclic garbage collector paused while a read builds tens of thousands of objects that all live until
it ends (billing's month check, the kept estimate): the collector would walk them again and again as they are
made, and none of them is a cycle to collect."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block; resume it, as it was, at the end."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
