"""What the customers room sends the partner's own systems (portal/core/events/): a customer added (first seen,
once the portal has made a first full resync: the first one finds every customer) or removed from the API."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.core.events.outbox import emit, wanted
from portal.core.events.types import EventType

TYPES = [
    EventType(
        "customer.added",
        _("A customer was added"),
        _("A customer tenant appeared under the partner (added through the portal or elsewhere)."),
        data=("customer", "url"),
        order=40,
    ),
    EventType(
        "customer.removed",
        _("A customer was removed"),
        _("A customer tenant is no longer in LINE WORKS' list of the partner's customers."),
        data=("customer", "removed_at", "url"),
        order=41,
    ),
]


def customer_added(domain_id: int) -> None:
    from portal.core.selectors import last_full_sync_at

    if not wanted("customer.added") or last_full_sync_at() is None:  # the first full resync finds everyone
        return
    emit(
        "customer.added",
        {"customer": domain_id, "url": reverse("customers:detail", args=[domain_id])},
        key=str(domain_id),
    )


def customers_removed(domain_ids: list[int], *, removed_at: dt.datetime) -> None:
    for domain_id in domain_ids:
        emit(
            "customer.removed",
            {
                "customer": domain_id,
                "removed_at": removed_at.isoformat(),
                "url": reverse("customers:detail", args=[domain_id]),
            },
            key=f"{domain_id}:{removed_at:%Y-%m-%d}",
        )
