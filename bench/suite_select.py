"""A pytest plugin for `python -m bench suite`: run only the tests a file names (`-p bench.suite_select`).

`BENCH_SUITE_TESTS` names a file of `file_name.py::test_function` lines (bench/suite.py writes it from a reference
commit's tests). A collected test is kept when its file's name and its function's name are on a line, whatever
its folder (a module may have moved since) and with every parameter it has today; the others are deselected,
as `-k` would, so the summary counts them apart. Without the variable the plugin changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

VARIABLE = "BENCH_SUITE_TESTS"


def listed_key(item: pytest.Item) -> str:
    """`file_name.py::function`: the parameters and the folder left out."""
    function = getattr(item, "originalname", None) or item.name.split("[")[0]
    return f"{item.path.name}::{function}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    listed = os.environ.get(VARIABLE)
    if not listed:
        return
    wanted = set(Path(listed).read_text(encoding="utf-8").split())
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (kept if listed_key(item) in wanted else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept
