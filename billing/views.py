from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.core.access import Perm, require


@require(Perm.VIEW_BILLING)
def invoices(request: HttpRequest) -> HttpResponse:
    return render(request, "billing/invoice_list.html", {})
