"""A customer read again from the API: now ("Refresh from API"), in the background when its page opens on an old
copy, or after a write (skipping what the reply already gave). The reads themselves are the resync engine's
(`portal.core.sync`)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from customers.models import Customer
from portal.core import sync
from portal.core.models import SyncRun


def customer_refresh(*, domain_id: int, user=None) -> SyncRun:
    """Read one customer and its per-customer data from the API now ("Refresh from API")."""
    return sync.resync_customer(domain_id=domain_id, user=user)


def customer_refresh_if_old(*, customer: Customer) -> bool:
    """Opening a customer page: refresh the customer in the background when its copy is older than
    REFRESH_ON_OPEN_MINUTES (one queued refresh however many people open it), and mark it opened (the continuous
    refresh keeps its copy fresher for a while). True when a refresh is on its way."""
    from django.conf import settings

    if customer.removed_at is not None:
        return False
    sync.refresh_mark_opened(customer.domain_id)
    minutes = settings.REFRESH_ON_OPEN_MINUTES
    if not minutes:
        return False
    if customer.synced_at is not None and timezone.now() - customer.synced_at < dt.timedelta(minutes=minutes):
        return False
    sync.resync_customer_request(domain_id=customer.domain_id)
    return True


def customer_refresh_later(*, domain_id: int, skip: tuple[str, ...] = ()) -> None:
    """After a write: refresh the touched customer in the background, skipping what the reply already gave."""
    sync.resync_customer_request(domain_id=domain_id, skip=skip)
