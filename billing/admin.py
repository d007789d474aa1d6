"""Read-only admin of the invoice items (Admins; also the reference the billing benchmark compares with)."""

from django.contrib import admin

from billing.models import InvoiceItem
from portal.core.admin import ReadOnlyAdmin


@admin.register(InvoiceItem)
class InvoiceItemAdmin(ReadOnlyAdmin):
    list_display = ("year", "month", "customer_name", "domain_id", "item_type", "item_id", "plan", "amount")
    list_filter = ("item_type", "flagged")
    search_fields = ("customer_name", "domain", "customer_code")
    list_per_page = 100
