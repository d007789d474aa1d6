"""The partner's billing details (the issuer of its invoices) and each customer's (how it is billed): set by
Finance, audited as the portal's own data is, one entry with what changed, before and after."""

from __future__ import annotations

from django.db import transaction

from invoicing import selectors
from invoicing.models import CustomerBilling, IssuerDetails
from invoicing.permissions import CHANGE_INVOICING
from portal.core.access import check
from portal.core.copies import copies_changed
from portal.core.models import AuditEntry
from portal.core.services import audit_record


def _changed(before: dict, after: dict) -> dict:
    return {
        key: {"before": before.get(key), "after": value}
        for key, value in after.items()
        if before.get(key) != value
    }


def issuer_details_set(*, actor, **values) -> bool:
    """Set the partner's billing details (the issuer of its invoices, and how it bills: `BillingBasis`). False
    when nothing changes (nothing is recorded); otherwise one audit entry (`portal.setIssuerDetails`) with what
    changed, before and after."""
    check(actor, CHANGE_INVOICING)
    with transaction.atomic():
        issuer = IssuerDetails.objects.select_for_update().filter(pk=1).first()
        before = selectors.details_mapping() or {}
        after = {
            key: values[key]
            if key in values
            else before.get(key, IssuerDetails._meta.get_field(key).get_default())
            for key in selectors.DETAILS_FIELDS
        }
        changed = _changed(before, after)
        if issuer is not None and not changed:
            return False
        IssuerDetails.objects.update_or_create(pk=1, defaults=after)
        audit_record(
            actor=actor,
            operation_id="portal.setIssuerDetails",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            sent={"changed": changed},
        )
    return True


def customer_billing_set(*, actor, domain_id: int, **values) -> bool:
    """Set how a customer is billed. False when nothing changes; otherwise one audit entry
    (`portal.setCustomerBilling`) for the customer, with what changed, before and after."""
    check(actor, CHANGE_INVOICING)
    with transaction.atomic():
        row = CustomerBilling.objects.select_for_update().filter(domain_id=domain_id).first()
        before = {key: getattr(row, key) for key in selectors.RECIPIENT_FIELDS} if row else {}
        after = {key: values[key] for key in selectors.RECIPIENT_FIELDS}
        changed = _changed(before, after)
        if row is not None and not changed:
            return False
        CustomerBilling.objects.update_or_create(domain_id=domain_id, defaults=after)
        copies_changed([domain_id], own=True)  # its kept drafts are worked out again
        audit_record(
            actor=actor,
            operation_id="portal.setCustomerBilling",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            domain_id=domain_id,
            sent={"changed": changed},
        )
    return True
