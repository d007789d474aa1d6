"""The home page: what needs doing today for the user's role, the figures and the last sync; and the morning
digest's page, where a user turns their digest off or on (linked from each digest)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from home import digest, worklist
from home.dashboard import figures_for
from home.lists import export_table, work_list_spec
from home.permissions import GET_DIGEST
from home.worklist import context_for, last_full_sync, remembered_whose_work, whose_views, worklist_for
from portal.core import selectors
from portal.core.access import Role, require, role_of
from portal.core.downloads import table_response
from portal.core.lists import ListState, respond
from portal.core.navigation import links_for
from portal.core.permissions import USE_PORTAL


@require(USE_PORTAL)
def home(request: HttpRequest) -> HttpResponse:
    """What needs doing today for the user's role (home/worklist.py), each section read once: an Account
    manager's own customers' work, an Admin's or a Support user's choice (`?owner=`: unassigned, mine,
    everyone's; remembered)."""
    ctx = context_for(request.user, customers=remembered_whose_work(request))
    return render(
        request,
        "home/home.html",
        {
            "worklist": worklist_for(request.user, ctx=ctx),
            "today": ctx.today,
            "whose": whose_views(request.user, ctx.customers),
            "figures": figures_for(request.user, narrow=ctx.narrow),
            "last_sync": last_full_sync(ctx) or selectors.sync_run_latest_finished(),
            "links": links_for(request.user, "home_links"),
            "panels": links_for(request.user, "home_panels"),
        },
    )


@require(GET_DIGEST)
def digest_settings(request: HttpRequest) -> HttpResponse:
    """Whether the user gets the morning digest, and the button that turns it off or on (POST `on`: "1" or
    "0"). The digests' List-Unsubscribe header and their last line lead here."""
    if request.method == "POST":
        choice = request.POST.get("on", "")
        if choice not in ("0", "1"):
            return HttpResponseBadRequest(_("Choose to turn the digest on or off."))
        digest.digest_turn(user=request.user, on=choice == "1")
        if choice == "1":
            messages.success(request, _("The morning digest is on: it comes on mornings with decisions due."))
        else:
            messages.success(request, _("The morning digest is off: no more digest e-mails."))
        return redirect("digest")
    return render(
        request,
        "home/digest_settings.html",
        {
            "is_on": digest.digest_is_on(user=request.user),
            "by_line_works": digest.digest_way(user=request.user) == "line_works",
            "receives": role_of(request.user) is Role.ACCOUNT_MANAGER,
            "days": digest.DIGEST_DAYS,
            "hour": settings.DIGEST_HOUR,
        },
    )


def _section_state(request: HttpRequest, key: str):
    section = worklist.section_for(request.user, key)
    state = ListState.from_request(request, work_list_spec(section), defaults=worklist.list_defaults(request))
    return section, state


@require(USE_PORTAL)
def work_list(request: HttpRequest, key: str) -> HttpResponse:
    """Every item of one worklist section (its "N in all" on the home page), each with its form's link as
    there: the Owner filter, sort by customer or date, pages (one page read, counted up to the lists' cap),
    and the downloads."""
    section, state = _section_state(request, key)
    page = worklist.section_page(
        section,
        request.user,
        customers=state.filters,
        sort=state.sort,
        page=state.page,
        per_page=state.per_page,
    )
    return respond(request, state, page, {"section": section, "bulk_source": f"work:{section.key}"})


@require(USE_PORTAL)
def work_export(request: HttpRequest, key: str):
    """A section's full list as the file the request asks for (the CSVs or the workbook), as filtered and
    sorted."""
    section, state = _section_state(request, key)
    items = worklist.section_items(section, request.user, customers=state.filters, sort=state.sort)
    return table_response(
        request, export_table(section, items, absolute=request.build_absolute_uri), name=section.key
    )
