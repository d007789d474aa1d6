"""The price book as its page and form read it: a page of entries (`price_entry_page`), the entry from a
day and the day the next one takes over (`price_entry_on`, `price_entry_next`). The book itself and pricing are
billing/prices.py."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Page
from django.db.models import F, Window
from django.db.models.functions import Lag

from billing import rules
from billing.models import PriceEntry
from billing.permissions import VIEW_BILLING
from billing.selectors.closing import closed_months
from customers.selectors import customer_names
from portal.core.access import check
from portal.core.lists import capped_count, paginate


def price_entry_next(
    *, item_id: str, plan: str, domain_id: int | None, after: dt.date, sub_item_id: str = ""
) -> dt.date | None:
    """The day the next entry of the same item, tier, plan and customer takes over after `after` (None: none)."""
    return (
        PriceEntry.objects.filter(
            item_id=item_id, sub_item_id=sub_item_id, plan=plan, domain_id=domain_id, effective_from__gt=after
        )
        .order_by("effective_from")
        .values_list("effective_from", flat=True)
        .first()
    )


def price_entry_on(
    *, item_id: str, plan: str, domain_id: int | None, day: dt.date, sub_item_id: str = ""
) -> PriceEntry | None:
    """The entry of the same item, tier, plan and customer from that very day, if the book has one (the newest)."""
    return (
        PriceEntry.objects.filter(
            item_id=item_id, sub_item_id=sub_item_id, plan=plan, domain_id=domain_id, effective_from=day
        )
        .order_by("-pk")
        .first()
    )


def price_entry_page(*, user, page, per_page: int) -> Page:
    """One page of the price book (by item, plan and customer, the latest first), each entry with its customer's
    company name (`customer_name`, for an override) and whether it is in force in a month Finance closed
    (`fixed`: kept as the month was checked). The book grows with the customers given a price of their own:
    counted up to the cap, and only the page's customers' names read. Each entry's successor (the next entry of
    the same item, plan and customer, which ends it) is read beside it by the database (a window over the
    narrow book), so a page needs no other page's entries."""
    check(user, VIEW_BILLING)
    following = Window(
        Lag("effective_from"),
        partition_by=[F("item_id"), F("sub_item_id"), F("plan"), F("domain_id")],
        order_by=[F("effective_from").desc(), F("pk").desc()],
    )
    entries = PriceEntry.objects.select_related("created_by").annotate(next_from=following)
    result = paginate(
        entries.order_by(*PriceEntry._meta.ordering, "pk"),
        page=page,
        per_page=per_page,
        count=lambda: capped_count(PriceEntry.objects.all()),
    )
    names = customer_names({e.domain_id for e in result.object_list if e.domain_id})
    closed = closed_months()
    for entry in result.object_list:
        entry.customer_name = names.get(entry.domain_id, "") if entry.domain_id else ""
        entry.fixed = bool(closed) and (
            rules.closed_month_touched(entry.effective_from, entry.next_from, closed) is not None
        )
    return result


def _newest_by_key(entries) -> dict[tuple, PriceEntry]:
    """Each item, tier, plan, customer and day's newest entry (a second entry of a day takes over the first)."""
    newest: dict[tuple, PriceEntry] = {}
    for entry in entries:
        key = (entry.item_id, entry.sub_item_id, entry.plan, entry.domain_id, entry.effective_from)
        if key not in newest or entry.pk > newest[key].pk:
            newest[key] = entry
    return newest


def price_book_rows(*, user) -> list[dict]:
    """The price book as its download writes it: each item, tier, plan, customer and day's entry in force (the
    newest of a day), in the page's order, with its customer's company name."""
    check(user, VIEW_BILLING)
    entries = _newest_by_key(PriceEntry.objects.order_by(*PriceEntry._meta.ordering, "pk")).values()
    names = customer_names({e.domain_id for e in entries if e.domain_id})
    return [
        {
            "item_id": e.item_id,
            "sub_item_id": e.sub_item_id,
            "plan": e.plan,
            "domain_id": e.domain_id,
            "customer": names.get(e.domain_id, "") if e.domain_id else "",
            "effective_from": e.effective_from,
            "cost": e.cost,
            "price": e.price,
        }
        for e in entries
    ]


def price_entries_of(*, user, keys: list[tuple], lock: bool = False) -> dict[tuple, dict]:
    """The cost and price of the entries of these keys (item, tier, plan, customer, day; the newest of a day),
    locked in the caller's transaction when `lock`."""
    check(user, VIEW_BILLING)
    qs = PriceEntry.objects.filter(item_id__in={key[0] for key in keys}).order_by("pk")
    if lock:
        qs = qs.select_for_update()
    wanted = set(keys)
    return {
        key: {"cost": entry.cost, "price": entry.price}
        for key, entry in _newest_by_key(qs).items()
        if key in wanted
    }
