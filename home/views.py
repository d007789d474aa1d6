"""The home page: what needs doing today for the user's role, the figures and the last sync."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from home.dashboard import figures_for
from home.worklist import context_for, last_full_sync, worklist_for
from portal.core import selectors
from portal.core.access import require
from portal.core.navigation import links_for
from portal.core.permissions import USE_PORTAL


@require(USE_PORTAL)
def home(request: HttpRequest) -> HttpResponse:
    """What needs doing today for the user's role (home/worklist.py), each section read once."""
    ctx = context_for(request.user)
    return render(
        request,
        "home/home.html",
        {
            "worklist": worklist_for(request.user, ctx=ctx),
            "today": ctx.today,
            "figures": figures_for(request.user),
            "last_sync": last_full_sync(ctx) or selectors.sync_run_latest_finished(),
            "links": links_for(request.user, "home_links"),
        },
    )
