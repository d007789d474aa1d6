"""The month's check as its page reads it: the findings (`finding_list`, `finding_get`) and how many
customers it could not check (`customers_unchecked`). The check itself is billing/findings.py."""

from __future__ import annotations

from billing.findings import customers_without_usage
from billing.models import DetailMonth, Finding
from billing.permissions import VIEW_BILLING
from portal.core.access import check


def finding_list(*, user, year: int, month: int, open_only: bool = False) -> list[Finding]:
    check(user, VIEW_BILLING)
    qs = Finding.objects.filter(year=year, month=month).select_related("explained_by")
    if open_only:
        qs = qs.filter(explained=False)
    return list(qs)


def customers_unchecked(*, user, year: int, month: int) -> int:
    """How many customers billed in the month have no usage snapshot of it: the check could not compare their
    licences or periods with what was sold (what the portal cannot know, said on the findings page). As the
    month's last check found it (kept on its `DetailMonth`), else counted now."""
    check(user, VIEW_BILLING)
    stored = DetailMonth.objects.filter(year=year, month=month).values_list("unchecked", flat=True).first()
    if stored is not None:
        return stored
    return customers_without_usage(year=year, month=month)


def finding_get(*, user, finding_id: int) -> Finding | None:
    check(user, VIEW_BILLING)
    return Finding.objects.filter(pk=finding_id).first()
