from django.contrib import admin

from portal.core.models import AuditEntry, Operation, SyncRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by services only: the admin can look, never change."""

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
    list_display = ("created_at", "kind", "domain_id", "status", "progress", "requested_by")
    list_filter = ("status", "kind")
    search_fields = ("idempotency_key", "=domain_id", "sender")


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "kind", "scope", "status", "done", "total", "finished_at")
    list_filter = ("status", "kind")
