"""Template source checks for mistakes the template engine does not report but a user would see on the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_short_comments_close_on_their_line(path):
    """`{# ... #}` is single-line only: one spread over lines is printed on the page as text.
    Longer comments are written `{% comment %}...{% endcomment %}`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        opened = [m.start() for m in re.finditer(r"\{#", line)]
        for start in opened:
            assert "#}" in line[start:], f"{path.name}:{number}: `{{#` without `#}}` on the same line"
