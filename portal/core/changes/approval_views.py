"""Four eyes on bulk changes: the Admins' Approvals page, over how many rows each bulk action needs a second
person's approval (approving and rejecting a request are on the batch's own page: bulk_views.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from portal.core.access import require
from portal.core.changes import approvals, bulk
from portal.core.changes.forms import RulesForm
from portal.core.permissions import MANAGE_APPROVALS


@require(MANAGE_APPROVALS)
@require_http_methods(["GET", "POST"])
def approval_rules(request: HttpRequest) -> HttpResponse:
    """Over how many rows each bulk action needs a second person's approval."""
    actions = sorted(bulk.all_actions(), key=lambda a: str(a.label))
    initial = RulesForm.initial_for(
        approvals.rules(), approvals.change_rules(), ticked=approvals.CHANGE_KINDS
    )
    form = RulesForm(
        request.POST if request.method == "POST" else None,
        actions=actions,
        change_kinds=approvals.CHANGE_KINDS,
        counted_kinds=approvals.COUNTED_KINDS,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        changed = approvals.rules_set(user=request.user, wanted=form.bulk_rules())
        changed += approvals.change_rules_set(user=request.user, wanted=form.change_rules())
        if changed:
            messages.success(
                request, gettext("Saved: the new rules apply to dry runs confirmed from now on.")
            )
        else:
            messages.info(request, gettext("Nothing changed."))
        return redirect("core:approvals")
    return render(
        request,
        "core/approvals.html",
        {"form": form, "approval_hours": settings.APPROVAL_HOURS},
        status=400 if form.is_bound else 200,
    )
