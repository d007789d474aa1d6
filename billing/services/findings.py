"""The variance check's run and storage: every declared kind of finding run on a month's facts and what they
found stored (`finding_month_check`), and a finding explained (`finding_explain`, audited). The facts and the
kinds of finding are billing/findings.py."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing import findings
from billing.models import DetailMonth, Finding, InvoiceItem
from billing.services.closing import refuse_if_closed
from portal.core.collector import collector_paused
from portal.core.models import AuditEntry
from portal.core.services import audit_record


class FindingNotFound(Exception):
    """The finding to explain does not exist (any more)."""


def finding_month_check(*, year: int, month: int) -> dict[str, int]:
    """Run every declared kind of finding (`billing.findings.KINDS`) on the month's facts, loaded once, and
    store what they found. A finding keeps its explanation when the check runs again; a finding that is not
    found any more is kept, marked as no longer found, only if it was explained. The items a finding is about
    are flagged. Returns the count of findings by kind. A closed month is not checked again (`MonthClosed`)."""
    refuse_if_closed(year, month)
    now = timezone.now()
    found: dict[tuple[int, str, str], dict[str, Any]] = {}
    flagged_items: set[int] = set()
    with collector_paused():
        found_now = findings.findings_of(findings.month_facts(year=year, month=month))
    for finding in found_now:
        found[(finding.domain_id, finding.kind, finding.subject)] = {
            "customer_name": finding.customer_name,
            "expected": finding.expected,
            "billed": finding.billed,
        }
        flagged_items.update(finding.items)
    _findings_replace(year=year, month=month, found=found, now=now)
    DetailMonth.objects.filter(year=year, month=month).update(
        unchecked=findings.customers_without_usage(year=year, month=month)
    )
    # Only the items whose flag changes are written (most checks flag the same few items again).
    was = set(InvoiceItem.objects.filter(year=year, month=month, flagged=True).values_list("pk", flat=True))
    for pks, flagged in ((sorted(was - flagged_items), False), (sorted(flagged_items - was), True)):
        for index in range(0, len(pks), 500):
            InvoiceItem.objects.filter(pk__in=pks[index : index + 500]).update(flagged=flagged)
    counts: dict[str, int] = defaultdict(int)
    for _domain, kind, _subject in found:
        counts[kind] += 1
    return dict(counts)


def _findings_replace(*, year: int, month: int, found: dict, now: dt.datetime) -> None:
    existing = {(f.domain_id, f.kind, f.subject): f for f in Finding.objects.filter(year=year, month=month)}
    create, update, gone = [], [], []
    for key, values in found.items():
        finding = existing.pop(key, None)
        if finding is None:
            create.append(
                Finding(
                    year=year,
                    month=month,
                    domain_id=key[0],
                    kind=key[1],
                    subject=key[2],
                    checked_at=now,
                    still_found=True,
                    **values,
                )
            )
        else:
            for name, value in values.items():
                setattr(finding, name, value)
            finding.still_found, finding.checked_at = True, now
            update.append(finding)
    for finding in existing.values():
        if finding.explained:
            finding.still_found, finding.checked_at = False, now
            update.append(finding)
        else:
            gone.append(finding.pk)
    Finding.objects.filter(pk__in=gone).delete()
    Finding.objects.bulk_create(create, batch_size=2000)
    Finding.objects.bulk_update(
        update, ["customer_name", "expected", "billed", "still_found", "checked_at"], batch_size=2000
    )


def finding_explain(*, user, finding_id: int, note: str) -> Finding:
    """Mark a finding explained with a note; recorded in the audit trail (who, when, which customer)."""
    with transaction.atomic():
        finding = Finding.objects.select_for_update().filter(pk=finding_id).first()
        if finding is None:
            raise FindingNotFound("This finding no longer exists; run the check again.")
        refuse_if_closed(finding.year, finding.month)
        finding.explained, finding.note = True, note
        finding.explained_by, finding.explained_at = user, timezone.now()
        finding.save(update_fields=["explained", "note", "explained_by", "explained_at"])
        audit_record(
            actor=user,
            domain_id=finding.domain_id or None,
            operation_id="billing.explainFinding",
            sent={
                "month": f"{finding.year}-{finding.month:02d}",
                "kind": finding.kind,
                "subject": finding.subject,
                "note": note,
            },
            outcome=AuditEntry.Outcome.SUCCEEDED,
            reason=note,
        )
    return finding
