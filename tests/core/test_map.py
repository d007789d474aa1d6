"""ARCHITECTURE.md stays a map: it names every room on disk and every contribution kind, every path and page it
points to exists, and it stays small. How a mechanism works goes on its page under docs/, not here."""

from __future__ import annotations

import re
from pathlib import Path

from portal.core.contrib import KINDS

ROOT = Path(__file__).resolve().parents[2]
MAP = ROOT / "ARCHITECTURE.md"
#: The map's size budget in bytes. A mechanism's how and why belongs on its page under docs/.
MAP_BUDGET = 15_000


def _map() -> str:
    return MAP.read_text(encoding="utf-8")


def _rooms_on_disk() -> set[str]:
    """Every top-level Python package and every package directly under portal/core, as `name/` paths."""
    top = {f"{path.parent.name}/" for path in ROOT.glob("*/__init__.py")}
    core = {f"portal/core/{path.parent.name}/" for path in (ROOT / "portal" / "core").glob("*/__init__.py")}
    return top | core


def _rooms_in_map(text: str) -> set[str]:
    """The rooms the layout block names: a line's first word, a sub-room's path read under its parent."""
    block = text.split("```", 2)[1]
    named, parent = set(), ""
    for line in block.splitlines():
        word = line.split(maxsplit=1)[0] if line.strip() else ""
        if not word.endswith("/"):
            continue
        if line.startswith(" "):
            named.add(parent + word)
        else:
            named.add(word)
            parent = word
    return named


def _backticked_paths(text: str) -> set[str]:
    """Backticked words that look like repository paths: with a slash or a file's extension, no spaces."""
    return {
        word
        for word in re.findall(r"`([^`\s]+)`", text)
        if ("/" in word or re.search(r"\.(py|md|html|toml|yaml|txt|po|sh)$", word))
        and not word.startswith(("http", "/"))
        and "*" not in word
    }


def test_the_map_names_every_room_on_disk():
    missing = _rooms_on_disk() - _rooms_in_map(_map())
    assert not missing, f"give each room its line in ARCHITECTURE.md's Rooms: {sorted(missing)}"


def test_the_map_names_every_contribution_kind():
    table = _map().split("## Contribution kinds", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\| `(\w+)` \|", table, re.M))
    assert set(KINDS) - named == set(), (
        "give each kind in portal.core.contrib.KINDS its row in the map's table"
    )
    assert named - set(KINDS) == set(), "the map's table names a kind contrib.KINDS does not know"


def test_every_path_the_map_names_exists():
    """A path in backticks exists; `<app>` and the like stand for any one name, and a bare file name (an app's
    `rules.py`, core's `contrib.py`) is a file of that name in a room."""
    missing = []
    for path in sorted(_backticked_paths(_map())):
        pattern = re.sub(r"<[^>]+>", "*", path).rstrip("/")
        patterns = [pattern] if "/" in path else [pattern, f"*/{pattern}", f"*/*/{pattern}"]
        if not any(any(ROOT.glob(each)) for each in patterns):
            missing.append(path)
    assert not missing, f"ARCHITECTURE.md names paths that are not there: {missing}"


def test_every_page_the_map_links_exists_and_every_page_is_linked():
    pages = re.findall(r"\]\((docs/[\w-]+\.md)\)", _map())
    assert pages
    assert [page for page in pages if not (ROOT / page).is_file()] == []
    on_disk = {f"docs/{path.name}" for path in (ROOT / "docs").glob("*.md")}
    unlisted = sorted(on_disk - set(pages))
    assert not unlisted, f"link each page under docs/ from the map's Mechanisms: {unlisted}"


def test_the_map_stays_a_map():
    size = len(_map().encode("utf-8"))
    assert size < MAP_BUDGET, f"ARCHITECTURE.md is {size} bytes: move how-and-why to its page under docs/"


def test_benchmark_results_are_named_by_what_and_when():
    """bench/results/ keeps runs by what was measured and when (`scale-2026-11-26-after-300-3000x12.txt`), never
    by who ran them: a file's name tells a newcomer which bench made it and how old its figures are."""
    named = re.compile(r"^[a-z]+(-[a-z]+)*-\d{4}-\d{2}-\d{2}(-[a-z0-9]+)*\.txt$")
    wrong = sorted(p.name for p in (ROOT / "bench" / "results").iterdir() if not named.match(p.name))
    assert not wrong, f"name these <what>-<YYYY-MM-DD>[-<detail>].txt: {wrong}"
