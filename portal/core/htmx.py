"""When a view answers with a fragment instead of its whole page.

A list's filters, sort and page links swap one element (`hx-target`) and push the URL; the same URL without
htmx is the whole page. Two things keep the browser from showing a bare fragment as a page:

- `partial_for(request, target)` is false for htmx's history-restore request (Back after the cached snapshot
  was evicted), which must get the whole page although it carries `HX-Request`;
- `portal.core.middleware.VaryOnHtmxMiddleware` sends `Vary: HX-Request` with every answer, so the browser's
  HTTP cache keeps the fragment and the page of one URL apart (without it, Back to a URL that htmx had pushed
  can be served the fragment from the cache).
"""

from __future__ import annotations

from django.http import HttpRequest


def partial_for(request: HttpRequest, target: str | None = None) -> bool:
    """Whether to answer with the fragment swapped into `#target` (any target when None)."""
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.history_restore_request:
        return False
    return target is None or htmx.target == target


#: The htmx targets of a list's count alone (`count-<anything>`): a saved view's count on the Views page and
#: home's panel is its list's own answer, the rows not drawn (`portal.core.lists.respond`).
COUNT_PREFIX = "count-"


def counting(request: HttpRequest) -> bool:
    """Whether the request asks for a list's count alone; such a request remembers none of the list's filters."""
    htmx = getattr(request, "htmx", None)
    if not htmx or getattr(htmx, "history_restore_request", False):
        return False
    return (getattr(htmx, "target", None) or "").startswith(COUNT_PREFIX)
