from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.core.access import Perm, require


@require(Perm.VIEW_CUSTOMERS)
def list(request: HttpRequest) -> HttpResponse:
    return render(request, "customers/customer_list.html", {})
