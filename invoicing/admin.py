"""Django's admin (emergencies only): issued invoices are read, never changed or deleted there."""

from django.contrib import admin

from invoicing.models import IssuedInvoice
from portal.core.admin import ReadOnlyAdmin


@admin.register(IssuedInvoice)
class IssuedInvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "year", "month", "domain_id", "customer_name", "total", "issue_date")
