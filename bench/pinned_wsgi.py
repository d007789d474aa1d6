"""The portal's own WSGI application (portal.wsgi's) with the clock at BENCH_CLOCK_AT (ISO 8601: the instant the
database was seeded at, `bench.pinned`) when it is set, ticking on from it: what `python -m bench load` serves, so
that a page reading "today" reads the same day's worth as the scale guard measured, whenever the run starts.
Each server process imports it, so each moves its own clock."""

import datetime as dt
import os

import time_machine

_AT = os.environ.get("BENCH_CLOCK_AT", "")
if _AT:
    time_machine.travel(dt.datetime.fromisoformat(_AT), tick=True).start()

from portal.wsgi import application  # noqa: E402

__all__ = ["application"]
