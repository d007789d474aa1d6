"""Records as the law asks, on one page (Finance and Admins): what is kept, for how long, from when and on which
rule; how corrections are prevented; the search by date, amount and customer; and the tax officer's export
(a ZIP of the PDFs as issued, their index and the written rules for preventing corrections), made in the
worker with its progress polled, kept in the documents' store and downloaded checked against its SHA-256."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from invoicing import selectors, services
from invoicing.forms import RecordsExportForm
from invoicing.models import InvoiceLanguage
from invoicing.permissions import VIEW_INVOICING
from portal.core.access import require
from portal.core.htmx import partial_for
from portal.core.shortcuts import found_or_404

#: What the search's address may carry into the export's form (its filters, as the search page links them).
CARRIED = ("q", "issued_from", "issued_to", "total_min", "total_max")


def _reader_language() -> str:
    return InvoiceLanguage.EN if (get_language() or "").startswith("en") else InvoiceLanguage.JA


@require(VIEW_INVOICING)
@require_http_methods(["GET", "POST"])
def records(request: HttpRequest) -> HttpResponse:
    """The Records page; its form asks for an export (in the background) and goes to the export's page."""
    if request.method == "POST":
        form = RecordsExportForm(request.POST)
        if form.is_valid():
            export = services.records_export_request(
                user=request.user, filters=form.filters(), language=form.cleaned_data["language"]
            )
            messages.success(request, _("The export is being made; its progress shows below."))
            return redirect("invoicing:records_export", export_id=export.pk)
        status = 400
    else:
        carried = {key: request.GET[key] for key in CARRIED if request.GET.get(key)}
        form = RecordsExportForm(initial={"language": _reader_language(), **carried})
        status = 200
    context = {
        **selectors.records_rules(user=request.user),
        "exports": selectors.records_exports(user=request.user),
        "form": form,
    }
    return render(request, "invoicing/records.html", context, status=status)


@require(VIEW_INVOICING)
@require_GET
def records_export(request: HttpRequest, export_id: int) -> HttpResponse:
    """One export: its selection, who asked and when, its progress (polled while it is made), then its ZIP's
    SHA-256, size and download."""
    export = found_or_404(selectors.records_export_get(user=request.user, export_id=export_id))
    template = "invoicing/records_export.html#run" if partial_for(request, "export-run") else None
    return render(request, template or "invoicing/records_export.html", {"export": export})


@require(VIEW_INVOICING)
@require_GET
def records_download(request: HttpRequest, export_id: int) -> HttpResponseBase:
    """An export's ZIP, read back checked against its SHA-256 first (audited); one not made yet, removed by its
    rule or not as made is a page saying so (409), never other bytes."""
    try:
        export, file = services.records_export_open(user=request.user, export_id=export_id)
    except services.ExportUnavailable:
        found = found_or_404(selectors.records_export_get(user=request.user, export_id=export_id))
        return render(request, "invoicing/records_unavailable.html", {"export": found}, status=409)
    return FileResponse(
        file, as_attachment=True, filename=export.download_name, content_type="application/zip"
    )
