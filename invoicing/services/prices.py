"""Finance's price edits on a customer's draft of a month (`DraftPriceEdit`), audited."""

from __future__ import annotations

from django.db import transaction

from invoicing.models import DraftPriceEdit
from invoicing.permissions import CHANGE_INVOICING
from portal.core.access import check, person
from portal.core.copies import copies_changed
from portal.core.models import AuditEntry
from portal.core.services import audit_record


def draft_price_set(
    *,
    actor,
    year: int,
    month: int,
    domain_id: int,
    item_id: str,
    plan: str,
    unit_price: int | None,
    book_price: int,
) -> bool:
    """Set Finance's unit price for an item and plan on a customer's draft of a month (None, or the price book's
    own price, goes back to the book). False when nothing changes (nothing recorded); otherwise one audit entry
    (`portal.setDraftPrice`) for the customer with the item, the book's price and the price before and after."""
    check(actor, CHANGE_INVOICING)
    if unit_price == book_price:
        unit_price = None
    with transaction.atomic():
        row = (
            DraftPriceEdit.objects.select_for_update()
            .filter(year=year, month=month, domain_id=domain_id, item_id=item_id, plan=plan)
            .first()
        )
        before = None if row is None or row.book_price != book_price else row.unit_price
        if before == unit_price and (row is None) == (unit_price is None):
            return False
        if unit_price is None:
            DraftPriceEdit.objects.filter(pk=row.pk).delete()
        else:
            DraftPriceEdit.objects.update_or_create(
                year=year,
                month=month,
                domain_id=domain_id,
                item_id=item_id,
                plan=plan,
                defaults={
                    "unit_price": unit_price,
                    "book_price": book_price,
                    "edited_by": person(actor),
                },
            )
        copies_changed([domain_id], own=True)  # its kept draft is worked out again
        audit_record(
            actor=actor,
            operation_id="portal.setDraftPrice",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            domain_id=domain_id,
            sent={
                "month": f"{year}-{month:02d}",
                "item": item_id,
                "plan": plan,
                "book_price": book_price,
                "before": before,
                "after": unit_price,
            },
        )
    return True
