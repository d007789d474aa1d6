"""Django's admin (emergencies only): issued invoices are read, never changed or deleted there."""

from django.contrib import admin

from invoicing.models import IssuedInvoice


@admin.register(IssuedInvoice)
class IssuedInvoiceAdmin(admin.ModelAdmin):
    list_display = ("number", "year", "month", "domain_id", "customer_name", "total", "issue_date")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
