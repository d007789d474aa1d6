"""What the search box finds of the subscriptions (contributed as `finders` from `SubscriptionsConfig.ready()`):
a subscription by its subscriptionId, read by its key as its page reads it (`selectors.subscription_get`)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.core.finders import Finder, Found, Result, whole_number
from subscriptions.permissions import VIEW_SUBSCRIPTIONS
from subscriptions.selectors import subscription_get


def subscriptions_find(q: str, *, user, limit: int) -> Found:
    """The subscription whose id is exactly `q`, if `user` may read its customer: one row by its key."""
    number = whole_number(q)
    if number is None:
        return Found()
    found = subscription_get(user=user, subscription_id=number)
    if found is None:
        return Found()
    result = Result(
        label=str(found.subscription_id),
        detail=found.customer.company_name,
        url=reverse("subscriptions:detail", args=[found.subscription_id]),
        exact=True,
    )
    return Found(results=(result,))


FINDERS = [
    Finder(
        key="subscriptions",
        label=_("Subscriptions"),
        perm=VIEW_SUBSCRIPTIONS,
        find=subscriptions_find,
        order=20,
    )
]
