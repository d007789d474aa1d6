"""Audit entries are append-only; operations are unique per idempotency key."""

import pytest
from django.core.exceptions import PermissionDenied

from portal.core import services
from portal.core.models import AuditEntry, Operation


def _entry(user, **kw):
    return services.audit_record(
        actor=user,
        operation_id=kw.pop("operation_id", "patchCustomer"),
        outcome=kw.pop("outcome", AuditEntry.Outcome.SUCCEEDED),
        domain_id=kw.pop("domain_id", 10001),
        sent={"memo": "VIP"},
        response_status=200,
        response_body={"domainId": 10001},
        reason="TICKET-42",
        **kw,
    )


def test_audit_entry_records_who_what_and_why(account_manager):
    entry = _entry(account_manager)
    entry.refresh_from_db()
    assert entry.actor_name == account_manager.username
    assert entry.request_summary == {"memo": "VIP"}
    assert entry.response_body == {"domainId": 10001}
    assert entry.reason == "TICKET-42"


def test_audit_entry_cannot_be_changed_or_deleted(account_manager):
    entry = _entry(account_manager)
    entry.reason = "rewritten"
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="x")
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).reason == "TICKET-42"


def test_same_idempotency_key_returns_the_first_operation(account_manager):
    first, created = services.operation_start(
        idempotency_key="form-abc", kind="createCustomer", user=account_manager
    )
    again, created_again = services.operation_start(idempotency_key="form-abc", kind="createCustomer")
    assert created and not created_again
    assert again.pk == first.pk
    assert Operation.objects.count() == 1


def test_operation_finishing_counts_its_one_item_and_time(db):
    """A change is a run of one item: 0 % while open, done (100 %) once applied, failed once refused."""
    op, _ = services.operation_start(idempotency_key="k1", kind="activateCustomer")
    services.operation_update(op, status=Operation.Status.RUNNING)
    assert (op.total, op.done, op.failed, op.progress, op.is_finished) == (1, 0, 0, 0, False)
    services.operation_update(op, status=Operation.Status.SUCCEEDED, result={"ok": True})
    op.refresh_from_db()
    assert op.is_finished and (op.done, op.failed, op.progress) == (1, 0, 100) and op.finished_at is not None
    refused, _ = services.operation_start(idempotency_key="k2", kind="activateCustomer")
    services.operation_update(refused, status=Operation.Status.FAILED, error="no")
    assert (refused.done, refused.failed, refused.progress) == (0, 1, 100)


def test_admin_shows_audit_entries_read_only(client_as, account_manager):
    from portal.core.access import Role

    entry = _entry(account_manager)
    client = client_as(Role.ADMIN)
    assert client.get("/admin/core/auditentry/").status_code == 200
    change = client.get(f"/admin/core/auditentry/{entry.pk}/change/")
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
