"""Small helpers every app's views share."""

from __future__ import annotations

from typing import TypeVar

from django.http import Http404

T = TypeVar("T")


def found_or_404(value: T | None) -> T:
    """What a selector found, or the portal's 404 page when it found nothing (missing, or not the user's to see)."""
    if value is None:
        raise Http404
    return value
