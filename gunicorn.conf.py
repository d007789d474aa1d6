"""gunicorn's settings for the portal, read by `gunicorn portal.wsgi -c gunicorn.conf.py` (the README's
deployment command, `make run`, the soak and `python -m bench load`).

How many processes and threads, from the machine unless the environment says otherwise:

* WEB_WORKERS (default: the cores this process may run on): one process per core, because a Python process runs
  one thread at a time, so a second process per core adds memory, not speed;
* WEB_THREADS (default 4): threads per process, because a request spends much of its time waiting for
  PostgreSQL or Redis, and another thread of the same process runs meanwhile.

`python -m bench load` measures the rule: the pages' latency and the customer list's throughput under 8 users.
"""

import os


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _whole(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    number = int(value)
    if number < 1:
        raise ValueError(f"{name} must be 1 or more (it is {value}).")
    return number


workers = _whole("WEB_WORKERS", _cores())
threads = _whole("WEB_THREADS", 4)
worker_class = "gthread"
