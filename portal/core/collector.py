"""Python's cyclic garbage collector paused while a read builds tens of thousands of objects that all live until
it ends (billing's month check, the kept estimate): the collector would walk them again and again as they are
made, and none of them is a cycle to collect; and what a process loaded at start frozen out of its reach
(`freeze_loaded`)."""

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


def freeze_loaded() -> None:
    """Move every object the process holds now (the modules, settings, URL patterns and templates loaded at
    start) out of the cyclic collector's reach for good: they live as long as the process, and a full
    collection would otherwise walk them all again on whichever request crosses its threshold. Called once, when
    the application is loaded (portal/wsgi.py)."""
    gc.collect()
    gc.freeze()
