from django.contrib import admin

from portal.core.models import AuditEntry, Operation, SyncRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by services only: the admin can look, never change. Every app's admin is one of these (the
    one admin idiom): Django's admin is for Admins to look at the tables in an emergency, never to write them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "actor_name",
        "domain_id",
        "operation_id",
        "outcome",
        "response_status",
        "reason",
    )
    list_filter = ("outcome", "operation_id")
    search_fields = ("actor_name", "=domain_id", "operation_id", "reason", "=request_id")
    date_hierarchy = "created_at"


@admin.register(Operation)
class OperationAdmin(ReadOnlyAdmin):
    list_display = ("requested_at", "kind", "domain_id", "status", "progress", "requested_by")
    list_filter = ("status", "kind")
    search_fields = ("idempotency_key", "=domain_id", "worker")


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ("requested_at", "kind", "scope", "status", "done", "total", "finished_at")
    list_filter = ("status", "kind")
