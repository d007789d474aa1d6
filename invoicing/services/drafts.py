"""The drafts kept by the worker (`DraftMonth`, `DraftCopy`): brought up to what the selectors work out
(`drafts_keep`), and `DRAFTS_KEEPER`, as `portal.core.kept` runs them."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from invoicing import drafts, selectors
from invoicing.models import DraftCopy, DraftMonth, DraftState
from portal.core import kept
from portal.core.copies import copies_changed_since

#: More customers than this to work out again: the month is worked out whole (one read of its items), not
#: customer by customer (a few reads each).
DRAFTS_ONE_BY_ONE = 50


#: Kept drafts written in one transaction.
DRAFTS_BATCH = 500


def drafts_keep(*, year: int, month: int, whole: bool = False) -> None:
    """Bring the month's kept drafts (`DraftMonth`, `DraftCopy`) up to what `selectors.month_drafts_worked_out`
    works out (the worker's, never a reader's): the customers whose copy or billing data was written since
    (`portal.core.copies`: the engines' stores, billing details, price edits, invoices issued) are worked out
    again, each from its own rows, or the whole month when more than `DRAFTS_ONE_BY_ONE` are, or when what
    every draft is worked out from differs (`selectors.drafts_basis`), or with `whole`. Stored in batches of
    `DRAFTS_BATCH`, each its own transaction."""
    # The worker works out for every reader: as an Admin would read them.
    user = SimpleNamespace(is_authenticated=True, is_active=True, is_superuser=True)
    started = timezone.now()
    basis = selectors.drafts_basis(year, month)
    row = DraftMonth.objects.filter(year=year, month=month).first()
    todo: set[int] | None = None
    if not whole and row is not None and row.basis == basis:
        todo = copies_changed_since(row.worked_at - kept.KEPT_MARGIN, own=True)
        if not todo:
            return
        if len(todo) > DRAFTS_ONE_BY_ONE:
            todo = None
    if todo is None:
        found = selectors.month_drafts_worked_out(user=user, year=year, month=month)
    else:
        found = [
            d
            for domain_id in sorted(todo)
            for d in selectors.month_drafts_worked_out(user=user, year=year, month=month, domain_id=domain_id)
        ]
    issuer = selectors.issuer_mapping()
    common = {}  # the partner's own details' problems, the same for every draft, in each language
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            common[language] = drafts.issuer_problems(issuer)
    rows = [_draft_copy(year, month, d, _reasons(d, common)) for d in found]
    gone = (
        set(DraftCopy.objects.filter(year=year, month=month).values_list("domain_id", flat=True))
        if todo is None
        else set(todo)
    ) - {r.domain_id for r in rows}
    for index in range(0, len(rows), DRAFTS_BATCH):
        batch = rows[index : index + DRAFTS_BATCH]
        with transaction.atomic():
            DraftCopy.objects.filter(
                year=year, month=month, domain_id__in=[r.domain_id for r in batch]
            ).delete()
            DraftCopy.objects.bulk_create(batch)
    gone_ids = sorted(gone)
    with transaction.atomic():
        for index in range(0, len(gone_ids), DRAFTS_BATCH):
            DraftCopy.objects.filter(
                year=year, month=month, domain_id__in=gone_ids[index : index + DRAFTS_BATCH]
            ).delete()
        DraftMonth.objects.update_or_create(
            year=year,
            month=month,
            defaults={"worked_at": started, "basis": basis, "totals": drafts_totals(year, month)},
        )


def drafts_totals(year: int, month: int) -> dict[str, int]:
    """The month's kept drafts counted and totalled by state (`selectors.DRAFT_FIGURES`), in one aggregate: the
    worker's, once it has kept the month, so the pages read them from the month's row."""
    summed = DraftCopy.objects.filter(year=year, month=month).aggregate(
        all_count=Count("pk"),
        all_ready_count=Count("pk", filter=Q(state=DraftState.READY)),
        all_blocked_count=Count("pk", filter=Q(state=DraftState.BLOCKED)),
        all_issued_count=Count("pk", filter=Q(state=DraftState.ISSUED)),
        all_total=Coalesce(Sum("total", filter=~Q(state=DraftState.BLOCKED)), 0),
        all_previous_total=Coalesce(Sum("previous_total"), 0),
        all_ready_total=Coalesce(Sum("total", filter=Q(state=DraftState.READY)), 0),
    )
    return {name: summed[f"all_{name}"] for name in selectors.DRAFT_FIGURES}


def _reasons(draft: drafts.Draft, common: dict[str, list[str]]) -> dict[str, list[str]]:
    """Why the draft cannot be issued, in each language the portal speaks (none when it can): `common`, the
    partner's own details' problems by language, and the draft's own."""
    if not draft.blocked:
        return {}
    out = {}
    for language, reasons in common.items():
        with translation.override(language):
            out[language] = drafts.blocked_reasons(draft, reasons)
    return out


def _draft_copy(year: int, month: int, draft: drafts.Draft, reasons: dict[str, list[str]]) -> DraftCopy:
    if draft.issued_number is not None:
        state = DraftState.ISSUED
    elif draft.blocked:
        state = DraftState.BLOCKED
    else:
        state = DraftState.READY
    return DraftCopy(
        year=year,
        month=month,
        domain_id=draft.domain_id,
        customer_name=draft.customer_name,
        state=state,
        subtotal=draft.subtotal,
        tax=draft.tax,
        total=draft.total,
        previous_total=draft.previous_total,
        issued_number=draft.issued_number,
        edited=draft.edited,
        stale_edits=bool(draft.stale_edits),
        reasons=reasons if state == DraftState.BLOCKED else {},
    )


def drafts_months(today: dt.date) -> list[tuple[int, int]]:
    """The months whose drafts are kept ahead: the one whose invoices are made now (`selectors.default_month`)."""
    return [selectors.default_month()]


#: The kept drafts, as `portal.core.kept` runs them.
DRAFTS_KEEPER = kept.Keeper(
    name=selectors.DRAFTS_KEPT,
    months=drafts_months,
    state=selectors.drafts_state,
    keep=lambda year, month, whole: drafts_keep(year=year, month=month, whole=whole),
)
