"""The portal's stylesheets: what their media queries may change.

A width changes how things are laid out, never whether they are shown: no media query may hide, show or clip
anything, so what a page offers at 1366 px it offers at 640 px (the browser sweep checks both by every
accessibility rule, tests/e2e/test_every_page_browser.py)."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static"
#: Properties that decide whether something is shown (or read by a screen reader), not where.
SHOWING = re.compile(r"(?<![-\w])(display|visibility|opacity|content|clip|clip-path|overflow(-x|-y)?)\s*:")


def media_blocks(css: str) -> list[tuple[str, str]]:
    """(condition, body) of each `@media` rule of `css`, its nested braces included."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    blocks = []
    for match in re.finditer(r"@media([^{]*)\{", css):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(css[end], 0)
            end += 1
        blocks.append((match.group(1).strip(), css[match.end() : end - 1]))
    return blocks


def test_the_media_queries_change_the_layout_only():
    sheets = sorted(STATIC.glob("css/*.css"))
    assert sheets
    blocks = [(sheet.name, *block) for sheet in sheets for block in media_blocks(sheet.read_text("utf-8"))]
    assert blocks, "the portal's stylesheet has media queries (the narrow layout)"
    showing = [
        (name, condition, hit.group(0)) for name, condition, body in blocks for hit in SHOWING.finditer(body)
    ]
    assert showing == []


def test_a_media_query_that_hides_something_is_found():
    css = (
        "a { color: red; } @media (max-width: 760px) { .nav { flex-wrap: wrap; } .extra { display: none; } }"
    )
    [(condition, body)] = media_blocks(css)
    assert condition == "(max-width: 760px)"
    assert [hit.group(1) for hit in SHOWING.finditer(body)] == ["display"]
    assert not SHOWING.search("@media print { .nav { flex-display-order: 1; grid-template-columns: 1fr; } }")
