"""The suite's order under pytest-xdist (tests/conftest.py, `heavy_first_in_each_share`): every worker's share of
the collected tests begins with its part of the heavy ones, and no test is lost or run twice."""

from __future__ import annotations

import pytest

from tests.conftest import heavy_first_in_each_share


class Item:
    def __init__(self, name: str, *marks: str, module: str = "") -> None:
        self.name, self.marks = name, set(marks)
        self.nodeid = f"tests/{module or name}.py::{name}"

    def get_closest_marker(self, name: str):
        return name if name in self.marks else None

    def __repr__(self) -> str:
        return self.name


def xdist_shares(items: list, workers: int) -> list[list]:
    """The contiguous shares pytest-xdist's work stealing first sends its workers."""
    shares, left = [], list(items)
    for n in range(workers):
        size = len(left) // (workers - n)
        shares.append(left[:size])
        left = left[size:]
    return shares


def test_each_workers_share_starts_with_its_part_of_the_heavy_modules():
    light = [Item(f"unit-{n}", module="units") for n in range(90)]
    items = [
        *light[:40],
        Item("sweep", "long", "e2e"),
        *light[40:70],
        Item("browser-1", "e2e", module="browser"),
        Item("browser-2", "e2e", module="browser"),
        Item("sandbox-1", "integration", module="sandbox"),
        Item("sandbox-2", "integration", module="sandbox"),
        Item("sandbox-3", "integration", module="sandbox"),
        Item("other-browser", "e2e"),
        *light[70:],
        Item("words", "long", "integration"),
    ]
    ordered = heavy_first_in_each_share(items, 4)
    assert sorted(map(repr, ordered)) == sorted(map(repr, items))
    shares = xdist_shares(ordered, 4)
    assert [repr(share[0]) for share in shares] == ["sweep", "words", "browser-1", "other-browser"]
    # A module's heavy tests stay together and in order (its module-scoped sandbox is set up once).
    assert [repr(t) for t in shares[2][:2]] == ["browser-1", "browser-2"]
    assert [repr(t) for t in shares[0][:4]] == ["sweep", "sandbox-1", "sandbox-2", "sandbox-3"]
    # The light tests keep their order, each share a run of them.
    assert [t for t in ordered if not t.marks] == light


@pytest.mark.parametrize("workers", [0, 1])
def test_one_process_keeps_the_collected_order(workers):
    items = [Item("a"), Item("b", "e2e")]
    assert heavy_first_in_each_share(items, workers) == items
