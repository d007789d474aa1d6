"""The search box's answers: as one types, the panel under the box (an htmx swap of `#find-panel`); submitted,
the full results page at a stable address (`/search/?q=...`), or straight the page of the one exact match; the
results page's own box refines its results in place (`#results`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from portal.core.access import require
from portal.core.finders import cleaned
from portal.core.htmx import partial_for
from portal.core.permissions import USE_PORTAL
from search import selectors

#: The htmx target of the panel under the box (templates/base.html).
PANEL = "find-panel"


@require(USE_PORTAL)
@require_GET
def results(request: HttpRequest) -> HttpResponse:
    """What the reader may see of each kind that matches `q`, grouped by kind. The full page jumps to the page
    of the one exact match (a domain, a domainId, a subscription id, an invoice or credit note number), unless
    `all` asks for the list."""
    q = cleaned(request.GET.get("q", ""))
    panel = partial_for(request, PANEL)
    limit = selectors.PANEL_LIMIT if panel else selectors.PAGE_LIMIT
    groups = selectors.search_groups(q=q, user=request.user, limit=limit)
    if not panel and "all" not in request.GET and not partial_for(request):
        jump = selectors.search_jump(groups)
        if jump:
            return redirect(jump)
    context = {"q": q, "groups": groups, "total": selectors.found_count(groups), "find_q": q}
    template = "search/results.html"
    if panel:
        template += "#panel"
    elif partial_for(request, "results"):
        template += "#results"
    return render(request, template, context)
