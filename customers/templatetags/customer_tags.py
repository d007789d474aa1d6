"""Template helpers of the customers pages (also used by other apps' list pages)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def sort_toggle(key: str, current: str) -> str:
    """The sort value a column header links to: ascending first, descending when already ascending."""
    return f"-{key}" if current == key else key
