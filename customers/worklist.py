"""Customers' sections of the home page's worklist (home/worklist.py): customers at or near their
maximum users, customers whose cached data is stale or whose calls failed at the last full sync, and (for
Admins) customers nobody looks after yet."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from customers.permissions import ASSIGN_OWNERS, CHANGE_CUSTOMERS, VIEW_CUSTOMERS
from customers.selectors import Owner, owned_by
from home.worklist import WorkContext, WorkItem, WorkList, WorkSection, last_full_sync
from portal.core import constant_urls
from portal.core.access import Role

#: The full lists' sort by company (`WorkContext.first_and_count(sorts=)`).
_BY_NAME = {"customer": ("sort_name", "domain_id")}


def _live():
    return Customer.objects.filter(removed_at=None)


def _theirs(ctx: WorkContext):
    """Customers still in the API whose work this is (the context's Owner choice)."""
    return ctx.narrow(_live(), key="domain_id")


def near_max_users(ctx: WorkContext) -> WorkList:
    """Customers with a user limit whose members reach customers.models.NEAR_MAX_PERCENT
    of it, the fewest seats left first (the
    derived columns' partial index holds them in this order): the page's keys from that index alone (an Account
    manager's customers kept from it in a hash), then those customers' rows."""
    qs = _theirs(ctx).filter(near_max_users=True).order_by("max_users_left", "sort_name", "domain_id")
    read, change = constant_urls.pattern("customers:detail"), constant_urls.pattern("customers:usage")
    items = []
    rows, count = ctx.first_and_count(
        qs,
        "domain_id",
        "company_name",
        "member_count",
        "max_member_count",
        "max_users_left",
        count_apart=True,
        keys_first=True,
        sorts=_BY_NAME,
        bulk_key="domain_id",
    )
    for domain_id, company, members, maximum, left in rows:
        text = gettext("%(members)s members of %(maximum)s maximum users") % {
            "members": members,
            "maximum": maximum,
        }
        items.append(
            WorkItem(
                customer=company,
                text=text,
                url=read.format(domain_id),
                change_url=change.format(domain_id),
                figure=f"{round(100 * members / maximum)}%",
                badge=gettext("At the maximum") if left <= 0 else "",
                uid=f"max-users-{domain_id}",
                bulk_key=str(domain_id),
            )
        )
    return WorkList(count, items)


def _failed_at_last_sync(ctx: WorkContext) -> set[int]:
    run = last_full_sync(ctx)
    return {e["domain_id"] for e in (run.errors if run else []) if e.get("domain_id") is not None}


def stale_or_failed(ctx: WorkContext) -> WorkList:
    """Customers whose calls failed at the last full sync, then those not synced for STALE_AFTER_MINUTES,
    the oldest first."""
    stale_before = ctx.now - dt.timedelta(minutes=settings.STALE_AFTER_MINUTES)
    failed = _failed_at_last_sync(ctx)
    # Without failures, synced_at's index serves the filter alone.
    where = (
        Q(synced_at__lt=stale_before) | Q(domain_id__in=failed) if failed else Q(synced_at__lt=stale_before)
    )
    qs = _theirs(ctx).filter(where)
    read = constant_urls.pattern("customers:detail")
    words = {"failed": gettext("Failed at the last sync"), "stale": gettext("Stale")}
    if failed:
        # The failed ones first, then the oldest: a CASE in the order, so the first rows are the right ones.
        # Without failures the CASE would be the constant 1, which PostgreSQL reads as "by the first column".
        qs = qs.annotate(
            failed_first=Case(
                When(domain_id__in=failed, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        ).order_by("failed_first", "synced_at", "domain_id")
    else:
        qs = qs.order_by("synced_at", "domain_id")
    # The first rows' keys along the live customers' sync index alone, then those rows, and a count apart from
    # it (a window count made the database read every stale customer to return five; read whole, an Account
    # manager's first rows read every stale customer's row before keeping theirs).
    rows, count = ctx.first_and_count(
        qs, "domain_id", "company_name", "synced_at", count_apart=True, keys_first=True, sorts=_BY_NAME
    )
    items = [
        WorkItem(
            customer=company,
            text=gettext("Last synced %(when)s (Japan time)")
            % {"when": synced.astimezone(ctx.now.tzinfo).strftime("%Y-%m-%d %H:%M")},
            url=read.format(domain_id),
            badge=words["failed"] if domain_id in failed else words["stale"],
            uid=f"stale-{domain_id}",
        )
        for domain_id, company, synced in rows
    ]
    return WorkList(count, items)


def unassigned(ctx: WorkContext) -> WorkList:
    """Customers still in the API without an Account manager (the Owner filter's "Unassigned"), in name order:
    the first keys along the name index, then those customers (a later page skips the earlier ones in the
    index without visiting them), and a count apart, so the database does not read every unassigned customer
    to return five."""
    qs = owned_by(_live(), owner=Owner.UNASSIGNED, user=ctx.user, key="domain_id")
    rows, count = ctx.first_and_count(
        qs.order_by("sort_name", "domain_id"),
        "domain_id",
        "company_name",
        "domain",
        count_apart=True,
        sorts=_BY_NAME,
        keys_first=True,
        bulk_key="domain_id",
    )
    read, change = constant_urls.pattern("customers:detail"), constant_urls.pattern("customers:owner")
    items = [
        WorkItem(
            customer=company,
            text=domain,
            url=read.format(domain_id),
            change_url=change.format(domain_id),
            uid=f"unassigned-{domain_id}",
            bulk_key=str(domain_id),
        )
        for domain_id, company, domain in rows
    ]
    return WorkList(count, items)


SECTIONS = [
    WorkSection(
        key="max-users",
        title=_("At or near maximum users"),
        help=_("Customers using 90% or more of their maximum users."),
        read=near_max_users,
        change_perm=CHANGE_CUSTOMERS,
        action=_("Change maximum users"),
        perm=VIEW_CUSTOMERS,
        order=50,
        bulk="customers",
    ),
    WorkSection(
        key="stale",
        title=_("Data stale or failed at the last sync"),
        help=_("Customers whose copy in the portal may be out of date: open one to refresh it."),
        read=stale_or_failed,
        perm=VIEW_CUSTOMERS,
        order=80,
    ),
    WorkSection(
        key="unassigned",
        title=_("Customers without an owner"),
        help=_("Customers no Account manager looks after yet: give each one an owner."),
        read=unassigned,
        roles=frozenset({Role.ADMIN}),
        perm=ASSIGN_OWNERS,
        change_perm=ASSIGN_OWNERS,
        action=_("Assign an owner"),
        order=90,
        bulk="customers",
    ),
]
