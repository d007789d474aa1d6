"""Cache tables of the subscriptions domain of the Partner API (tags subscriptions, pre-orders, reservations,
renewals).

Every row is a copy of what the API last said, keyed by its remote id and stamped with when it was read
(`synced_at`). The renewal settings come inside `listSubscriptions` and are kept on the subscription row; the
reservation (at most one per subscription) is read per subscription. A subscription, pre-order or reservation
the API no longer returns is gone for good (cancelled, applied or deleted), so its row is deleted; the audit
trail keeps the history of the portal's own writes.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from customers.models import live_and_by_manager
from portal.core.models import CarriesCustomer
from portal.core.vocabulary import (
    LICENSE_PLANS,
    PAID_PLANS,
    Plan,
    Product,
    RenewalType,
    ReservationType,
    SubscriptionStatus,
    label,
)

# The API's words are declared once, in portal.core.vocabulary; imported here for the models' displays.
Status = SubscriptionStatus

#: The order of the home page's dated sections (subscriptions/worklist.py): by end date, then by customer
#: (domainId), then by subscription: the order of the partial indexes below, whose first entries are a
#: section's first items and which a count reads alone.
DATED_ORDER = ("plan_end_date", "customer_id", "subscription_id")
#: A paid subscription with renewal settings (the renewal decisions).
RENEWAL_DECISION = Q(plan__in=PAID_PLANS) & ~Q(renewal_type="")
#: A trial (the trials ending and in their grace period).
TRIAL = Q(plan=Plan.TRIAL)
#: A renewal that changes something (the Scheduled changes page's renewals, subscriptions/schedule.py).
RENEWAL_CHANGES = Q(renewal_type__in=(RenewalType.CHANGE, RenewalType.CANCEL))


class Subscription(CarriesCustomer):
    """One subscription in use (listSubscriptions), with its renewal settings (paid plans only)."""

    subscription_id = models.BigIntegerField(_("subscriptionId"), primary_key=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="subscriptions",
        db_column="domain_id",
        verbose_name=_("customer"),
    )
    product_id = models.CharField(_("product"), max_length=16, db_index=True)
    plan = models.CharField(_("plan"), max_length=32, db_index=True)
    plan_start_date = models.DateField(_("start date"))
    plan_end_date = models.DateField(_("end date"), null=True, blank=True, db_index=True)
    license_assign_type = models.CharField(_("licence assignment"), max_length=16, blank=True)
    license_count = models.PositiveIntegerField(_("licences"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=32, db_index=True)
    # Renewal settings (blank when the subscription has none: Free and Trial).
    renewal_type = models.CharField(_("renewal"), max_length=16, blank=True, db_index=True)
    renewal_product_id = models.CharField(_("product at renewal"), max_length=16, blank=True)
    renewal_plan = models.CharField(_("plan at renewal"), max_length=32, blank=True)
    renewal_license_count = models.PositiveIntegerField(_("licences at renewal"), null=True, blank=True)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["customer_id", "subscription_id"]
        indexes = [
            # The worklist's sections and the Scheduled changes page's renewals, each in DATED_ORDER over the
            # rows it lists of the customers still in the API (partial, by the removal the rows carry:
            # `CarriesCustomer`): the first items and a count by the index alone, however many subscriptions
            # there are (`python -m bench scale`, Home and Calendar); and each one's twin led by the Account
            # manager, for theirs alone.
            *live_and_by_manager(
                ["plan_end_date", "customer", "subscription_id"],
                RENEWAL_DECISION,
                "subscription_renewal_decision",
                "subscription_decision_by_mgr",
            ),
            *live_and_by_manager(
                ["plan_end_date", "customer", "subscription_id"],
                TRIAL,
                "subscription_trial_by_end",
                "subscription_trial_by_mgr",
            ),
            *live_and_by_manager(
                ["plan_end_date", "customer", "subscription_id"],
                RENEWAL_CHANGES,
                "subscription_renewal_change",
                "subscription_change_by_mgr",
            ),
            # An Account manager's subscriptions in the list's own order: the bulk page from "every row matching"
            # counts theirs up to one past what a bulk change takes along this index alone, never by scanning
            # everyone's subscriptions for theirs.
            models.Index(
                fields=["customer_manager", "customer", "subscription_id"],
                condition=models.Q(customer_removed=False, customer_manager__isnull=False),
                name="subscription_live_by_mgr",
            ),
        ]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.product_id} {self.plan}"

    @property
    def is_trial(self) -> bool:
        return self.plan == Plan.TRIAL

    @property
    def is_license_based(self) -> bool:
        return self.plan in LICENSE_PLANS

    @property
    def renewal_changes(self) -> bool:
        return self.renewal_type in (RenewalType.CHANGE, RenewalType.CANCEL)

    @property
    def renewal_date(self) -> dt.date | None:
        """The day a renewal takes effect: the day after the term ends (paid plans only)."""
        if not self.renewal_type or self.plan_end_date is None:
            return None
        return self.plan_end_date + dt.timedelta(days=1)

    @property
    def renewal_when(self) -> str:
        """What the renewal setting does and when, as a sentence: the day a subscription that is not renewed ends
        ("Ends on 2027-10-08."), or the day the next term starts, with its terms when they change ("The next
        term starts on 2027-10-09 as Advanced, Monthly."); "" when the term has no end date."""
        if not self.renewal_type or self.plan_end_date is None:
            return ""
        if self.renewal_type == RenewalType.CANCEL:
            return gettext("Ends on %(day)s.") % {"day": self.plan_end_date.isoformat()}
        day = self.renewal_date.isoformat()
        terms = [
            self.get_renewal_product_display() if self.renewal_product_id else "",
            self.get_renewal_plan_display() if self.renewal_plan else "",
            ngettext("%(n)s licence", "%(n)s licences", self.renewal_license_count or 0)
            % {"n": self.renewal_license_count}
            if self.renewal_license_count is not None
            else "",
        ]
        if self.renewal_type == RenewalType.CHANGE and any(terms):
            joined = pgettext("between the items of a list", ", ").join(t for t in terms if t)
            return gettext("The next term starts on %(day)s as %(terms)s.") % {"day": day, "terms": joined}
        return gettext("The next term starts on %(day)s.") % {"day": day}

    def get_product_display(self) -> str:
        return label(Product, self.product_id)

    def get_plan_display(self) -> str:
        return label(Plan, self.plan)

    def get_status_display(self) -> str:
        return label(Status, self.status)

    def get_renewal_type_display(self) -> str:
        return label(RenewalType, self.renewal_type)

    def get_renewal_product_display(self) -> str:
        return label(Product, self.renewal_product_id)

    def get_renewal_plan_display(self) -> str:
        return label(Plan, self.renewal_plan)


class Reservation(CarriesCustomer):
    """The scheduled change of a subscription (getSubscriptionReservation): at most one per subscription."""

    subscription = models.OneToOneField(
        Subscription,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="reservation",
        verbose_name=_("subscription"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="subscription_reservations",
        db_column="domain_id",
        verbose_name=_("customer"),
    )
    type = models.CharField(_("type"), max_length=32)
    apply_date = models.DateField(_("date"), db_index=True)
    product_id = models.CharField(_("product"), max_length=16, blank=True)
    plan = models.CharField(_("plan"), max_length=32, blank=True)
    license_count = models.PositiveIntegerField(_("licences"), null=True, blank=True)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["apply_date", "subscription_id"]
        indexes = [
            # The Scheduled changes page's first items and counts of each day (schedule/sources.py
            # `first_in_order`), from the index alone.
            *live_and_by_manager(["apply_date", "customer", "subscription"], Q(), "reservation_by_day"),
            # Its exports' range of dates for everyone's customers, by the dates alone (as `PreOrder`'s).
            models.Index(fields=["apply_date"], condition=Q(customer_removed=False), name="reservation_days"),
            # The trials whose paid start is scheduled (decided: off the worklist), read apart.
            models.Index(
                fields=["subscription"],
                condition=Q(type=ReservationType.START_PAID_SERVICE),
                name="reservation_paid_start",
            ),
        ]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")

    def __str__(self) -> str:
        return f"{self.type} {self.apply_date}"

    def get_type_display(self) -> str:
        return label(ReservationType, self.type)

    def get_product_display(self) -> str:
        return label(Product, self.product_id)

    def get_plan_display(self) -> str:
        return label(Plan, self.plan)


class PreOrder(CarriesCustomer):
    """A scheduled order of a new paid subscription (listSubscriptionPreOrders)."""

    pre_order_id = models.BigIntegerField(_("preOrderId"), primary_key=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="subscription_pre_orders",
        db_column="domain_id",
        verbose_name=_("customer"),
    )
    product_id = models.CharField(_("product"), max_length=16, blank=True)
    plan = models.CharField(_("plan"), max_length=32, blank=True)
    license_count = models.PositiveIntegerField(_("licences"), null=True, blank=True)
    apply_date = models.DateField(_("date"), db_index=True)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["apply_date", "pre_order_id"]
        indexes = [
            # The Scheduled changes page's first items and counts of each day (schedule/sources.py
            # `first_in_order`), from the index alone.
            *live_and_by_manager(["apply_date", "customer", "pre_order_id"], Q(), "pre_order_by_day"),
            # Its exports' range of dates for everyone's customers (Support and Admin): the dates alone, equal
            # dates sharing one entry, so a month of a large partner's changes is a few pages.
            models.Index(fields=["apply_date"], condition=Q(customer_removed=False), name="pre_order_days"),
        ]
        verbose_name = _("pre-order")
        verbose_name_plural = _("pre-orders")

    def __str__(self) -> str:
        return f"{self.pre_order_id} {self.product_id} {self.apply_date}"

    def get_product_display(self) -> str:
        return label(Product, self.product_id)

    def get_plan_display(self) -> str:
        return label(Plan, self.plan)
