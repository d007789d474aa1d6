"""Core pages: home, activity, sync runs, health, errors."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.core import health, lists, metrics, selectors, services
from portal.core import sync as sync_engine
from portal.core.access import Role, can, reads_changes, require, role_of
from portal.core.forms import ActivityFilterForm
from portal.core.freshness import oldest_copy
from portal.core.htmx import partial_for
from portal.core.lists import Badge, Code, Column, Link, ListSpec, ListState
from portal.core.permissions import RUN_SYNC, VIEW_ACTIVITY, VIEW_RETENTION, VIEW_SYNC
from portal.core.templatetags.portal import business_dt, customer_url, operation

logger = logging.getLogger(__name__)


def _activity_customer(entry, page):
    if not entry.domain_id:
        return None
    return (
        Link(entry.company_name, customer_url(entry.domain_id))
        if entry.company_name
        else Code(entry.domain_id)
    )


def _activity_change(entry, page):
    name = operation(entry.operation_id)
    if entry.change_id and page.get("change_links"):
        return Link(name, reverse("core:operation", args=[entry.change_id]))
    return name


ACTIVITY_LIST = ListSpec(
    form=ActivityFilterForm,
    sorts=selectors.ACTIVITY_SORTS,
    columns=(
        Column(_lazy("Time"), sort="time", value=lambda entry, page: business_dt(entry.created_at)),
        Column(_lazy("User"), value="actor_name"),
        Column(_lazy("Customer"), value=_activity_customer),
        Column(_lazy("Change"), value=_activity_change),
        Column(
            _lazy("Outcome"),
            value=lambda entry, page: Badge(entry.get_shown_outcome_display(), entry.shown_outcome or ""),
        ),
        Column(_lazy("Status"), numeric=True, value="response_status"),
        Column(_lazy("Reason / ticket"), value="reason"),
    ),
    template="core/activity.html",
    page_sizes=(50,),
    customer_filters=True,
)


@require(VIEW_ACTIVITY)
def activity(request: HttpRequest) -> HttpResponse:
    state = ListState.from_request(request, ACTIVITY_LIST, operation_ids=selectors.audit_operation_ids())
    entries = selectors.audit_entry_list(filters=state.filters, user=request.user)
    # Counted apart, up to the cap (as an Account manager, their customers' entries along the customer index);
    # the page's keys from the time index alone (an Account manager's customers picked there too), then those
    # entries whole: a window count over a year of history read and sorted every entry (spilling to disk) to
    # show fifty.
    page = lists.paginate(
        entries,
        page=state.page,
        per_page=state.per_page,
        fields=("pk",),
        count=lambda: selectors.audit_entry_count(filters=state.filters, user=request.user),
    )
    page.object_list = selectors.audit_entries_of([row.pk for row in page.object_list])
    selectors.with_company_names(page.object_list)
    # A change's page, where its state is said, for those who may read it.
    return lists.respond(request, state, page, {"change_links": reads_changes(request.user)})


@require(VIEW_SYNC)
def sync(request: HttpRequest) -> HttpResponse:
    """Recent resyncs; the running one with a progress bar the page polls (HTMX swaps only #sync-runs)."""
    runs = selectors.sync_run_list()
    running = [run for run in runs if run.finished_at is None]
    oldest = oldest_copy()
    looked_at, looked_at_count = sync_engine.looked_at_oldest()
    template = "core/sync.html#runs" if partial_for(request, "sync-runs") else "core/sync.html"
    return render(
        request,
        template,
        {
            "runs": runs,
            "running": running,
            # Polled while a run is under way or a full resync holds its lock (its run not written yet).
            "polling": bool(running) or sync_engine.full_resync_running(),
            "can_run": can(request.user, RUN_SYNC),
            "can_see_retention": can(request.user, VIEW_RETENTION),
            "oldest_copy": oldest,
            # The largest unit only ("3 hours"): "3 hours, 1 minute" reads as a measurement, and Japanese has no
            # comma between the two.
            "oldest_age": timesince(oldest, depth=1) if oldest else "",
            # What people look at (a decision due within a week, a page opened today): the refresh's goal.
            "looked_at": looked_at,
            "looked_at_age": timesince(looked_at, depth=1) if looked_at else "",
            "looked_at_count": looked_at_count,
            # The runs no longer kept one by one, a line a month and kind (not on the polled partial).
            "history": [] if partial_for(request, "sync-runs") else selectors.sync_history_by_month(),
        },
    )


@require(VIEW_RETENTION)
@require_GET
def retention(request: HttpRequest) -> HttpResponse:
    """Data kept: each table's rule (what, for how long, why, the setting that changes it), its oldest row and the
    day that row may first be removed, and the housekeeping's last run."""
    return render(request, "core/retention.html", selectors.retention_rules())


@require(RUN_SYNC)
@require_POST
def sync_now(request: HttpRequest) -> HttpResponse:
    """Start a full resync now (or point at the one already queued or running)."""
    _run, started = sync_engine.resync_full_request(user=request.user)
    if started:
        messages.success(request, _("A full resync has been queued; its progress shows below."))
    else:
        messages.info(request, _("A full resync is already queued or running."))
    return redirect("core:sync")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive (no dependency is checked)."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Database, broker/cache and Partner API token: each check with its own status.

    Anyone (a load balancer, a probe) learns only ok/fail per check; the details (database vendor, error
    messages naming hosts and roles, timings) are for signed-in Admins only.
    """
    checks = health.run_checks()
    ok = all(c["status"] == "ok" for c in checks.values())
    if role_of(request.user) != Role.ADMIN:
        checks = {name: {"status": check["status"]} for name, check in checks.items()}
    return JsonResponse({"status": "ok" if ok else "fail", "checks": checks}, status=200 if ok else 503)


@require_GET
@never_cache
def metrics_page(request: HttpRequest) -> HttpResponse:
    """The figures for Prometheus (portal/core/metrics.py), for a scraper holding METRICS_TOKEN. Off, or asked
    without the token or with a wrong one, it is the same 404 as any address that does not exist."""
    if not settings.METRICS_ENABLED or not metrics.token_accepted(request):
        raise Http404
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)


def error_400(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "400.html", status=400)


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form whose CSRF token is missing or stale: the portal's own translated 403 (the body is not read again)."""
    return render(request, "403_csrf.html", status=403)


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    """The 500 page: static and bilingual (nothing that failed may be needed to draw it), with the request id
    under which the error was logged, for the person to quote when they report it."""
    from django.template import loader

    from portal import logs

    body = loader.get_template("500.html").render({"request_id": logs.request_id()})
    return HttpResponse(body, status=500)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (the cookie and the redirect back), which also remembers the choice of a signed-in
    user for what they read without a request: the calendar feed (portal.core.services.language_remember)."""
    response = i18n.set_language(request)
    if request.user.is_authenticated and response.status_code in (302, 204):
        services.language_remember(user=request.user, language=request.POST.get("language"))
    return response
