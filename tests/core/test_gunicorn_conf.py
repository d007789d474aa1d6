"""gunicorn's processes and threads (gunicorn.conf.py): one process per core and 4 threads each unless the
environment says otherwise; a nonsense value stops the start-up with the setting's name."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def _read(monkeypatch, **env) -> dict:
    for name in ("WEB_WORKERS", "WEB_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_one_process_per_core_and_four_threads_by_default(monkeypatch):
    conf = _read(monkeypatch)
    assert conf["workers"] == len(os.sched_getaffinity(0))
    assert (conf["threads"], conf["worker_class"]) == (4, "gthread")


def test_the_environment_sizes_it(monkeypatch):
    conf = _read(monkeypatch, WEB_WORKERS="3", WEB_THREADS="8")
    assert (conf["workers"], conf["threads"]) == (3, 8)


@pytest.mark.parametrize("value", ["0", "-2"])
def test_less_than_one_is_refused_by_name(monkeypatch, value):
    with pytest.raises(ValueError, match="WEB_THREADS must be 1 or more"):
        _read(monkeypatch, WEB_THREADS=value)
