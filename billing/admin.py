"""Read-only admin of the invoice items (Admins; also the reference the billing benchmark compares with)."""

from django.contrib import admin

from billing.models import InvoiceItem


@admin.register(InvoiceItem)
class InvoiceItemAdmin(admin.ModelAdmin):
    list_display = ("year", "month", "customer_name", "domain_id", "item_type", "item_id", "plan", "amount")
    list_filter = ("item_type", "flagged")
    search_fields = ("customer_name", "domain", "customer_code")
    list_per_page = 100

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
