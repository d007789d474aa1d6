from django.contrib import admin

from customers.models import Customer
from portal.core.admin import ReadOnlyAdmin


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    """The cache, for Admins to look at; it is written only by the resync and the services."""

    list_display = (
        "company_name",
        "domain",
        "domain_id",
        "customer_code",
        "product_id",
        "plan",
        "usage_status",
        "synced_at",
    )
    list_filter = ("product_id", "plan", "usage_status", "has_scheduled_changes")
    search_fields = ("company_name", "domain", "customer_code", "domain_id")
    list_per_page = 25
