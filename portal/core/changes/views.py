"""The pages every change shares: the two-step change page (form → confirmation → send once), the delete
confirmed on its page, and the operation page that says what became of a change.

An app's change view builds its form and the change's arguments, then returns `change_page(...)`; it never
sends anything itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from portal.core import selectors as core_selectors
from portal.core.access import reads_changes, require
from portal.core.changes import approvals
from portal.core.changes.engine import ChangeRefused
from portal.core.changes.forms import ApprovalNoteForm, ChangeForm, RejectForm
from portal.core.changes.sending import How, change_send
from portal.core.changes.spec import change_for, stated_effects
from portal.core.htmx import partial_for
from portal.core.permissions import USE_PORTAL

CHANGE_TEMPLATE = "core/change.html"


def posted(request: HttpRequest):
    """The data to bind a change form to: the POST, or None (an unbound form) on GET."""
    return request.POST if request.method == "POST" else None


def send(
    request: HttpRequest,
    operation_id: str,
    *,
    args: Mapping[str, Any],
    key: str,
    reason: str,
    domain_id: int | None,
    done: str,
    success: str,
    shown: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """Send a declared change once and answer: `done` (with `success`) when it was applied; its operation's
    page when it is queued, when this submission was already received (double click, reload) or when its
    outcome is unknown. ChangeRefused (nothing changed) is the caller's to show."""
    sent = change_send(
        operation_id,
        user=request.user,
        key=key,
        reason=reason,
        domain_id=domain_id,
        args=args,
        next_url=done,
        shown=shown,
    )
    if sent.how is How.HELD:  # an Admin's rule: a second person approves it first
        messages.info(request, _("Asked for approval: nothing is sent until someone else approves it."))
    elif sent.how is How.ALREADY:
        messages.info(request, _("This form was already sent; here is what became of it."))
    elif sent.how is How.UNKNOWN:
        messages.warning(request, sent.message)
    if sent.how is not How.APPLIED:
        return redirect("core:operation", operation_id=sent.operation.pk)
    messages.success(request, success)
    return redirect(done)


def change_page(
    request: HttpRequest,
    form: ChangeForm,
    *,
    operation_id: str,
    args: Callable[[dict], Mapping[str, Any]],
    domain_id: int | None,
    done: str,
    success: str,
    context: dict,
    template: str = CHANGE_TEMPLATE,
) -> HttpResponse:
    """The two steps of every change: the form (checked against the contract), then a confirmation stating
    before → after and every side effect (the form's and the declared change's); its button sends the change
    once. The API's refusal comes back on the field it names, with the form as it was."""
    confirming = held = False
    side_effects: list[str] = []
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if request.POST.get("confirmed") == "1":
            try:
                return send(
                    request,
                    operation_id,
                    args=args(d),
                    key=d["idempotency_key"],
                    reason=d["reason"],
                    domain_id=domain_id,
                    done=done,
                    success=success,
                    shown={"preview": form.preview(), "consequences": form.consequences()},
                )
            except ChangeRefused as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        elif "edit" not in request.POST:
            confirming = True
            side_effects = [*form.consequences(), *stated_effects(operation_id, args(d))]
            held = approvals.change_needs_approval(change_for(operation_id), args(d))
    return render(
        request,
        template,
        {
            **context,
            "form": form,
            "confirming": confirming,
            "side_effects": side_effects,
            "held": held,
            "done": done,
        },
    )


def delete_page(
    request: HttpRequest,
    *,
    operation_id: str,
    args: Mapping[str, Any],
    domain_id: int | None,
    back: str,
    done: str,
    success: str,
) -> HttpResponse:
    """A delete confirmed on its page (components/_confirm.html posts the submission's key and stated the
    consequence): send it once."""
    form = ChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form expired; open it again."))
        return redirect(back)
    try:
        return send(
            request,
            operation_id,
            args=args,
            key=form.cleaned_data["idempotency_key"],
            reason=form.cleaned_data["reason"],
            domain_id=domain_id,
            done=done,
            success=success,
        )
    except ChangeRefused as exc:
        messages.error(request, exc.message)
        return redirect(back)


@require(USE_PORTAL)
@require_GET
def operation_status(request: HttpRequest, operation_id) -> HttpResponse:
    """What became of a change: queued, being sent, applied, refused, or unknown until the read-back knows.
    The page polls while the outcome is open. Only those who may make changes see operations."""
    if not reads_changes(request.user):
        raise PermissionDenied
    operation = core_selectors.operation_get(operation_id=operation_id, user=request.user)
    if operation is None:
        raise Http404
    return _operation_page(request, operation)


def _operation_page(request: HttpRequest, operation, *, refusal: str = "", status: int = 200) -> HttpResponse:
    template = "core/operation.html"
    if partial_for(request, "operation"):
        template += "#status"
    context = {
        "operation": operation,
        "refusal": refusal,
        "approval": {
            "expires_at": approvals.operation_expires_at(operation),
            "may_approve": approvals.operation_may_approve(request.user, operation),
            "mine": operation.requested_by_id == request.user.pk,
            # The approve button is red when the change removes something (a cancellation, a deletion).
            "destroys": _removes(operation.kind),
        },
    }
    return render(request, template, context, status=status)


def _removes(kind: str) -> bool:
    try:
        return change_for(kind).deletes
    except KeyError:  # a kind no app declares any more: said as the graver one
        return True


@require(USE_PORTAL)
@require_POST
def operation_approve(request: HttpRequest, operation_id) -> HttpResponse:
    """Approve a change held for approval: it is queued and sent once, as any queued change."""
    return _decide(request, operation_id, approve=True)


@require(USE_PORTAL)
@require_POST
def operation_reject(request: HttpRequest, operation_id) -> HttpResponse:
    """Reject a change held for approval, with a reason: nothing is sent."""
    return _decide(request, operation_id, approve=False)


def _decide(request: HttpRequest, operation_id, *, approve: bool) -> HttpResponse:
    from portal.core.changes.bulk import BatchRefused

    if not reads_changes(request.user):
        raise PermissionDenied
    operation = core_selectors.operation_get(operation_id=operation_id, user=request.user)
    if operation is None:
        raise Http404
    form = (ApprovalNoteForm if approve else RejectForm)(request.POST)
    if not form.is_valid():
        return _operation_page(request, operation, refusal=form.refusal(), status=400)
    decide = approvals.operation_approve if approve else approvals.operation_reject
    try:
        decide(user=request.user, operation=operation, note=form.cleaned_data["note"])
    except BatchRefused as exc:
        operation.refresh_from_db()
        return _operation_page(request, operation, refusal=exc.message, status=409)
    if approve:
        messages.success(request, _("Approved: the change is being sent."))
    else:
        messages.success(request, _("Rejected: nothing was sent."))
    return redirect("core:operation", operation_id=operation.pk)
