"""Who is sending a change, and whether they still are.

Each process that sends changes (a Celery worker's process, a web process for a change sent in the request) is a
`Sender` with an id of its own (host:pid:random). While it lives, a daemon thread keeps its heartbeat in the
shared cache (Redis in production; Django's cache API, so the file cache of a machine without Redis works too):
the key `portal:changes:alive:<sender id>`, holding the operations it is sending now, written again every
`heartbeat_every` with a life of `heartbeat_ttl` (timing.py). It is also written at once when the sender takes or
lets go of an operation, so the heartbeat never lags behind what the sender holds.

A RUNNING operation names its sender (`Operation.worker`), as any run names its worker (`portal.core.runs`). It
is lost when that sender's heartbeat is gone (the process died: kill -9, a lost machine) or no longer holds it
(the sending thread gave it up without settling it: an unexpected error), and still so at a second look at least
`lost_grace` later: a live sender writes its heartbeat again within that (after a cache restart or an eviction),
so it is never taken for a dead one, however slow its call. A process forked after its parent sent a change (a prefork pool) is a sender of its own.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache import cache

from portal.core.changes.timing import timing

logger = logging.getLogger(__name__)

ALIVE_KEY = "portal:changes:alive:{sender}"
#: When a RUNNING operation was first found without its sender (the reaper's first look).
SUSPECT_KEY = "portal:changes:suspect:{operation}"
#: A first look is forgotten after this long (a sender found alive again clears it at once).
SUSPECT_MEMORY_SECONDS = 3600


def alive_key(sender: str) -> str:
    return ALIVE_KEY.format(sender=sender)


class Sender:
    """This process as a sender of changes: its id, the operations it holds, and the thread that beats."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.id = f"{socket.gethostname()}:{self.pid}:{secrets.token_hex(4)}"
        #: How many of this process's threads hold each operation (two copies of one task in a thread pool).
        self._holding: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.beat()
        self._thread = threading.Thread(target=self._run, name="changes-heartbeat", daemon=True)
        self._thread.start()

    def beat(self) -> None:
        """Write the heartbeat now: the operations held, for `heartbeat_ttl`. A cache that cannot be reached is
        logged and tried again at the next beat (the reaper cannot read it either, so it presumes nothing)."""
        with self._lock:
            try:
                cache.set(alive_key(self.id), sorted(+self._holding), math.ceil(timing().heartbeat_ttl))
            except Exception:
                logger.warning("changes heartbeat of %s not written", self.id, exc_info=True)

    def _run(self) -> None:
        while not self._stop.wait(timing().heartbeat_every):
            self.beat()

    def stop(self) -> None:
        """Stop beating without a word, as a killed process does (tests): the heartbeat lapses."""
        self._stop.set()
        self._thread.join(timeout=5)

    @contextmanager
    def holding(self, operation: Any) -> Iterator[None]:
        """This sender holds `operation` (its pk) while in the block; the heartbeat says so at once."""
        pk = str(operation)
        with self._lock:
            self._holding[pk] += 1
        self.beat()
        try:
            yield
        finally:
            with self._lock:
                self._holding[pk] -= 1
            self.beat()


_sender: Sender | None = None
_guard = threading.Lock()


def this_sender() -> Sender:
    """This process's sender, started on its first change (again in a forked child: threads do not survive a
    fork, and the child is another process)."""
    global _sender
    with _guard:
        if _sender is None or _sender.pid != os.getpid():
            _sender = Sender()
        return _sender


def holds(sender: str, operation: Any) -> bool:
    """Whether `sender`'s heartbeat lives and holds `operation`."""
    return str(operation) in (cache.get(alive_key(sender)) or ())


def lost(operations: Iterable[Any]) -> list[Any]:
    """Of these RUNNING operations (each naming its sender, `worker`), those whose sender is lost: its heartbeat
    gone or not holding the operation at this look and at an earlier one at least `lost_grace` ago. The first look is
    remembered in the cache; a sender found holding it again forgets it."""
    ops = [op for op in operations if op.worker]
    if not ops:
        return []
    beats = cache.get_many({alive_key(op.worker) for op in ops})
    now, grace = time.time(), timing().lost_grace
    found, cleared = [], []
    for op in ops:
        mark = SUSPECT_KEY.format(operation=op.pk)
        if str(op.pk) in (beats.get(alive_key(op.worker)) or ()):
            cleared.append(mark)
            continue
        cache.add(mark, now, SUSPECT_MEMORY_SECONDS)
        first = cache.get(mark, now)
        if now - float(first) >= grace:
            found.append(op)
    if cleared:
        cache.delete_many(cleared)
    return found
