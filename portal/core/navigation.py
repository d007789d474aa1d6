"""The main navigation, declared once: which section needs which permission."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.core.access import Perm, can


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Promise
    url_name: str
    perm: Perm


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("customers", _("Customers"), "customers:list", Perm.VIEW_CUSTOMERS),
    NavItem("subscriptions", _("Subscriptions"), "subscriptions:list", Perm.VIEW_SUBSCRIPTIONS),
    NavItem("scheduled", _("Scheduled changes"), "subscriptions:scheduled", Perm.VIEW_SUBSCRIPTIONS),
    NavItem("billing", _("Billing"), "billing:invoices", Perm.VIEW_BILLING),
    NavItem("activity", _("Activity"), "core:activity", Perm.VIEW_ACTIVITY),
    NavItem("sync", _("Sync"), "core:sync", Perm.VIEW_SYNC),
)


def nav_for(user, current_path: str) -> list[dict]:
    items = []
    for item in NAVIGATION:
        if not can(user, item.perm):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append(
            {"key": item.key, "label": item.label, "url": url, "active": current_path.startswith(url)}
        )
    # The longest matching prefix wins, so /subscriptions/scheduled/ does not also light up /subscriptions/.
    active = [i for i in items if i["active"]]
    if len(active) > 1:
        best = max(active, key=lambda i: len(i["url"]))
        for i in active:
            i["active"] = i is best
    return items
