"""The pages of a bulk change: choose the action's values for the rows chosen on a list, the dry run (row by row,
before -> after or why refused; rows can be unticked; Confirm sends), and the batch page (progress polled live,
Stop, Resume, send the failed rows again as a new dry run, the result CSV). Every page is for those who may make
bulk changes (core.run_batches) and the action's own permission."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.core.access import require
from portal.core.changes import approvals, bulk
from portal.core.changes.forms import ApprovalNoteForm, RejectForm
from portal.core.downloads import Table, table_response
from portal.core.htmx import partial_for
from portal.core.models import Batch
from portal.core.permissions import RUN_BATCHES


def _action(key: str | None, user) -> bulk.BulkAction:
    action = bulk.bulk_action(key or "")
    if action is None:
        raise Http404
    bulk.may_start(user, action)
    return action


def _source(query) -> tuple[bulk.BulkSource, str] | None:
    """The page other than the list the rows were chosen on (a worklist section's full list), if any."""
    given = query.get("source") or ""
    if not given:
        return None
    found = bulk.bulk_source(given[:200])
    if found is None:
        raise Http404
    return found


def _chosen_keys(request: HttpRequest, action: bulk.BulkAction, query) -> tuple[list[str], int]:
    """The keys the list page chose (ticked rows, or every row matching its filter, or every row of the other
    page it was chosen on) and how many that is: for every row, counted up to one more than a bulk change takes
    (BULK_MAX_ROWS + 1 means "more"), so the database reads no more rows than that however many match."""
    source = _source(query)
    most = settings.BULK_MAX_ROWS
    # "first": the user chose the first BULK_MAX_ROWS of more rows matching, in the list's order (offered with
    # the refusal of too many): the same step again takes the next ones once these have changed.
    first = query.get("first") == "1"
    if query.get("all") == "1" and source is not None:
        found, name = source
        if not first and found.count is not None:
            counted = found.count(request, name, action)
            if counted > most:  # too many: refused on the page's count, its rows never read
                return [], counted
        keys = list(dict.fromkeys(found.keys(request, name, action)))
        if first:
            return keys[:most], min(len(keys), most)
        return (keys if len(keys) <= most else []), len(keys)
    if query.get("all") == "1":
        qs = action.select(request)
        if first:
            keys = [action.key_of(row) for row in qs[:most]]
            return keys, len(keys)
        # Counted up to one past the most, along the keys alone: too many is refused without reading a row.
        count = qs.order_by().values("pk")[: most + 1].count()
        if count > most:
            return [], count
        return [action.key_of(row) for row in qs], count
    keys = list(dict.fromkeys(k for k in query.getlist("keys") if k and len(k) <= 60))
    return keys, len(keys)


@require(RUN_BATCHES)
@require_http_methods(["GET", "POST"])
def bulk_new(request: HttpRequest) -> HttpResponse:
    """The action's values for the chosen rows; posting them makes the dry run (nothing is sent)."""
    query = request.POST if request.method == "POST" else request.GET
    action = _action(query.get("action"), request.user)
    keys, count = _chosen_keys(request, action, query)
    source = _source(query)
    refusal = ""
    first_url = ""
    if count > settings.BULK_MAX_ROWS:
        refusal = gettext(
            "More than %(max)d rows are chosen; a bulk change takes at most %(max)d. Narrow the filter, or "
            "choose fewer rows."
        ) % {"max": settings.BULK_MAX_ROWS}
        if query.get("all") == "1" and request.method == "GET":
            first = request.GET.copy()
            first["first"] = "1"
            first_url = f"{request.path}?{first.urlencode()}"
    elif not keys:
        refusal = gettext("Choose at least one row on the list first.")
    form = action.form(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            batch = bulk.batch_check(user=request.user, action=action, values=form.cleaned_data, keys=keys)
        except bulk.BatchRefused as exc:
            refusal = exc.message
        else:
            return redirect("core:batch", batch.pk)
    return render(
        request,
        "core/bulk_new.html",
        {
            "action": action,
            "form": form,
            "keys": keys,
            "count": count,
            "refusal": refusal,
            "first_url": first_url,
            "most": settings.BULK_MAX_ROWS,
            "source": query.get("source", "") if source else "",
            "back_url": source[0].back(source[1]) if source else reverse(action.list_url),
        },
        status=400 if refusal and request.method == "POST" else 200,
    )


def _batch(request: HttpRequest, batch_id) -> tuple[Batch, bulk.BulkAction | None]:
    batch = Batch.objects.select_related("requested_by").filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    action = bulk.bulk_action(batch.action)
    if action is not None:
        bulk.may_start(request.user, action)
    return batch, action


def _page(request: HttpRequest, batch: Batch, action, *, changed=(), refusal: str = "", status: int = 200):
    bulk.batch_settle(batch)
    template = "core/batch.html"
    if partial_for(request, "progress"):
        template += "#progress"
    # The counts before the rows: a row the worker settles between the two reads then shows settled beside
    # counts that still wait for it (the page asks again), never "Running" beside counts that stop the polling.
    counts = bulk.batch_counts(batch)
    rows = _readable(batch.rows.select_related("operation"), bulk.unreadable_rows(batch, user=request.user))
    for row in rows:
        row.result, row.details = bulk.row_result(row), _details(row)  # for the page
    return render(
        request,
        template,
        {
            "batch": batch,
            "action": action,
            "rows": rows,
            "counts": counts,
            "words": bulk.state_words(),
            "changed": {r.key for r in changed},
            "refusal": refusal,
            "refused_rows": sum(1 for r in rows if r.found.get("refusal")),
            "resumable": bulk.resumable(batch),
            # The rows `bulk.failed_rows` sends again (ticked, sent and not applied): the count's "failed".
            "failed": counts["failed"] if batch.state != Batch.State.CHECKED else 0,
            "destroys": action is not None and action.destroys(batch.values),
            "approval": {
                "expired": approvals.expired(batch),
                "expires_at": approvals.expires_at(batch),
                "may_approve": approvals.may_approve(request.user, batch),
                "mine": batch.requested_by_id == request.user.pk,
                "over": approvals.rule_for(batch.action) if batch.state == Batch.State.CHECKED else None,
                "row_rule": approvals.row_rule(action)
                if action and batch.state == Batch.State.CHECKED
                else None,
            },
        },
        status=status,
    )


@require(RUN_BATCHES)
@require_GET
def batch(request: HttpRequest, batch_id) -> HttpResponse:
    """The dry run (a batch not sent yet) or the batch's progress."""
    found, action = _batch(request, batch_id)
    return _page(request, found, action)


@require(RUN_BATCHES)
@require_POST
def batch_send(request: HttpRequest, batch_id) -> HttpResponse:
    """Confirm the dry run with the rows still ticked: checked again, then sent (or nothing, saying why)."""
    found, action = _batch(request, batch_id)
    try:
        sent = bulk.batch_send(user=request.user, batch=found, ticked=request.POST.getlist("row"))
    except bulk.BatchRefused as exc:
        found.refresh_from_db()
        return _page(request, found, action, changed=exc.rows, refusal=exc.message, status=409)
    if sent.approval == Batch.Approval.WAITING:
        messages.info(request, gettext("Asked for approval: nothing is sent until someone else approves it."))
    return redirect("core:batch", found.pk)


@require(RUN_BATCHES)
@require_POST
def batch_stop(request: HttpRequest, batch_id) -> HttpResponse:
    """Stop a running batch (confirmed on its page): the rows not sent yet are never sent."""
    found, _action_ = _batch(request, batch_id)
    stopped = bulk.batch_stop(user=request.user, batch=found)
    messages.success(request, gettext("Stopped: %(n)d rows were not sent.") % {"n": stopped})
    return redirect("core:batch", found.pk)


@require(RUN_BATCHES)
@require_POST
def batch_resume(request: HttpRequest, batch_id) -> HttpResponse:
    """Resume a stopped batch (confirmed on its page): the rows never sent are checked again and sent."""
    found, action = _batch(request, batch_id)
    try:
        bulk.batch_resume(user=request.user, batch=found)
    except bulk.BatchRefused as exc:
        found.refresh_from_db()
        return _page(request, found, action, changed=exc.rows, refusal=exc.message, status=409)
    messages.success(request, gettext("Resumed: the rows not sent before are being sent."))
    return redirect("core:batch", found.pk)


@require(RUN_BATCHES)
@require_POST
def batch_retry(request: HttpRequest, batch_id) -> HttpResponse:
    """Send the failed rows again: a new bulk change of just those rows, opened on its own dry run."""
    found, action = _batch(request, batch_id)
    try:
        again = bulk.batch_retry(user=request.user, batch=found)
    except bulk.BatchRefused as exc:
        return _page(request, found, action, changed=exc.rows, refusal=exc.message, status=409)
    return redirect("core:batch", again.pk)


@require(RUN_BATCHES)
@require_POST
def batch_approve(request: HttpRequest, batch_id) -> HttpResponse:
    """Approve a request: the rows its requester ticked are checked again and sent, as at any confirmation."""
    return _decide(request, batch_id, approve=True)


@require(RUN_BATCHES)
@require_POST
def batch_reject(request: HttpRequest, batch_id) -> HttpResponse:
    """Reject a request with a reason: nothing is sent."""
    return _decide(request, batch_id, approve=False)


def _decide(request: HttpRequest, batch_id, *, approve: bool) -> HttpResponse:
    found, action = _batch(request, batch_id)
    form = (ApprovalNoteForm if approve else RejectForm)(request.POST)
    if not form.is_valid():
        return _page(request, found, action, refusal=form.refusal(), status=400)
    note = form.cleaned_data["note"]
    try:
        if approve:
            bulk.batch_send(user=request.user, batch=found, approving=True, note=note)
        else:
            approvals.batch_reject(user=request.user, batch=found, note=note)
    except bulk.BatchRefused as exc:
        found.refresh_from_db()
        return _page(request, found, action, changed=exc.rows, refusal=exc.message, status=409)
    if approve:
        messages.success(request, gettext("Approved: the bulk change is being sent."))
    else:
        messages.success(request, gettext("Rejected: nothing was sent."))
    return redirect("core:batch", found.pk)


RESULT_HEADER = (_("Row"), _("Domain ID"), _("Result"), _("Details"))


@require(RUN_BATCHES)
@require_GET
def batch_results(request: HttpRequest, batch_id) -> HttpResponseBase:
    """Each row of the batch and what became of it, as a file (downloads.py: CSV, Shift_JIS or workbook)."""
    found, _action_ = _batch(request, batch_id)
    unreadable = bulk.unreadable_rows(found, user=request.user)
    rows = [
        (row.label, row.domain_id, bulk.row_result(row), _details(row))
        for row in _readable(found.rows.select_related("operation"), unreadable)
    ]
    return table_response(request, Table(header=RESULT_HEADER, rows=rows), name=f"bulk-change-{found.pk}")


def _readable(rows, unreadable: set[int]) -> list:
    """The rows in the reader's words (`bulk.in_readers_words`), those of customers the reader may not read
    (`bulk.unreadable_rows`) told without their name, domain ID, key, operation or details."""
    found = [bulk.in_readers_words(row) for row in rows]
    for row in found:
        if row.pk in unreadable:
            row.label, row.domain_id, row.key, row.note = (
                gettext("A customer you do not look after"),
                None,
                "",
                "",
            )
            row.found = {"changes": [], "side_effects": [], "refusal": ""}
            row.hidden = True  # type: ignore[attr-defined]  # for the page
            if row.operation is not None:
                row.operation.error = ""
    return found


def _details(row) -> str:
    if row.found.get("refusal"):
        return str(row.found["refusal"])
    if row.operation is not None:
        return row.operation.error_words
    if row.outcome == "unchanged":
        return gettext("Already so")
    return row.note
