"""Cache tables of the options domain of the Partner API (tags options, option-orders).

Paths are keyed on optionProductId, so a customer has at most one option in use and one scheduled order per
option: rows are keyed by (customer, optionProductId). Every row is a copy of what the API last said, stamped
`synced_at`; a row the API no longer returns is deleted.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from customers.models import live_and_by_manager
from options import rules
from portal.core.models import CarriesCustomer
from portal.core.vocabulary import OptionOrderType, OptionRenewalType, Plan, label


class _OptionNames:
    def get_option_display(self) -> str:
        return rules.option_label(self.option_product_id)

    def get_sub_option_display(self) -> str:
        return rules.sub_option_label(self.sub_option_id)

    def get_plan_display(self) -> str:
        return label(Plan, self.plan) if self.plan else ""


class Option(_OptionNames, CarriesCustomer):
    """One option in use (listOptionProducts), with its renewal settings (getOptionProductRenewal; paid only)."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="options",
        db_column="domain_id",
        verbose_name=_("customer"),
    )
    # Neither the option nor trial has an index of its own: a column of a handful of values, each value shared
    # by a large part of the rows, gets none. Given one, the database filters the Options list through it and
    # sorts every row it found by customer name before the first page; without it, it walks the customers in
    # name order and probes (customer, option) through the unique constraint's index, stopping after one page
    # (`python -m bench.options list` times the list filtered by option). Lookups by customer and option use
    # that index too.
    option_product_id = models.CharField(_("option"), max_length=16)
    sub_option_id = models.CharField(_("sub option"), max_length=16, db_index=True)
    subscription_id = models.BigIntegerField(_("subscriptionId"), null=True, blank=True)
    applied_time = models.DateTimeField(_("added"), null=True, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    plan = models.CharField(_("plan"), max_length=32, db_index=True)
    plan_start_date = models.DateField(_("start date"))
    plan_end_date = models.DateField(_("end date"), db_index=True)
    trial = models.BooleanField(_("trial"), default=False)
    renewal_type = models.CharField(_("renewal"), max_length=16, blank=True, db_index=True)
    renewal_sub_option_id = models.CharField(_("sub option at renewal"), max_length=16, blank=True)
    renewal_quantity = models.PositiveIntegerField(_("quantity at renewal"), null=True, blank=True)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["customer_id", "option_product_id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "option_product_id"], name="option_one_per_customer")
        ]
        indexes = [
            # The home page's option trials ending (options/worklist.py), in its order over the trials alone
            # (partial): the first items and a count by the index alone, however many options there are.
            *live_and_by_manager(
                ["plan_end_date", "customer", "option_product_id"],
                models.Q(trial=True),
                "option_trial_by_end",
            ),
        ]
        verbose_name = _("option")
        verbose_name_plural = _("options")

    def __str__(self) -> str:
        return f"{self.option_product_id} {self.sub_option_id}"

    def get_kind_display(self) -> str:
        """Trial or paid, in words (the paid badge: 有償, not 支払済み as for an invoice)."""
        return str(_("Trial")) if self.trial else pgettext("an option not on Trial", "Paid")

    def get_renewal_type_display(self) -> str:
        return label(OptionRenewalType, self.renewal_type) if self.renewal_type else ""

    def get_renewal_sub_option_display(self) -> str:
        return rules.sub_option_label(self.renewal_sub_option_id) if self.renewal_sub_option_id else ""

    @property
    def upgradable(self) -> bool:
        """There is a larger sub option to upgrade to now (Archive and the top tiers have none)."""
        return bool(rules.upgrade_targets(sub_option_id=self.sub_option_id))


class OptionOrder(_OptionNames, CarriesCustomer):
    """A scheduled option change (listOptionProductOrders): at most one per option of a customer."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="option_orders",
        db_column="domain_id",
        verbose_name=_("customer"),
    )
    option_product_id = models.CharField(_("option"), max_length=16)
    sub_option_id = models.CharField(_("sub option"), max_length=16)
    subscription_id = models.BigIntegerField(_("subscriptionId"), null=True, blank=True)
    type = models.CharField(_("type"), max_length=32)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    apply_date = models.DateField(_("date"), db_index=True)
    synced_at = models.DateTimeField(_("last synced"))
    plan = ""

    class Meta:
        ordering = ["apply_date", "customer_id", "option_product_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "option_product_id"], name="option_order_one_per_option"
            )
        ]
        indexes = [
            # The Scheduled changes page's first items and counts of each day (schedule/sources.py
            # `first_in_order`), from the index alone.
            *live_and_by_manager(["apply_date", "customer", "id"], models.Q(), "option_order_by_day"),
            # Its exports' range of dates for everyone's customers (Support and Admin): the dates alone, equal
            # dates sharing one entry, so a month of a large partner's orders is a few pages.
            models.Index(
                fields=["apply_date"], condition=models.Q(customer_removed=False), name="option_order_days"
            ),
        ]
        verbose_name = _("option order")
        verbose_name_plural = _("option orders")

    def __str__(self) -> str:
        return f"{self.type} {self.option_product_id} {self.apply_date}"

    def get_type_display(self) -> str:
        return label(OptionOrderType, self.type)


class OptionUsage(_OptionNames, models.Model):
    """One day of one option's usage (listOptionProductUsages)."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="option_usages",
        db_column="domain_id",
        verbose_name=_("customer"),
    )
    option_product_id = models.CharField(_("option"), max_length=16)
    sub_option_id = models.CharField(_("sub option"), max_length=16)
    product_group_id = models.CharField(_("product group"), max_length=16, blank=True)
    used_date = models.DateField(_("date"))
    plan = models.CharField(_("plan"), max_length=32, blank=True)
    member_count = models.PositiveIntegerField(_("members"), null=True, blank=True)
    license_count = models.PositiveIntegerField(_("licences"), null=True, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    usage_count = models.BigIntegerField(_("usage"), null=True, blank=True)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["customer_id", "used_date", "option_product_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "option_product_id", "sub_option_id", "used_date"],
                name="option_usage_one_per_day",
            )
        ]
        indexes = [
            models.Index(fields=["customer", "used_date"], name="option_usage_month"),
            # Housekeeping's oldest rows first (`used_date` < its cutoff, in date order), the billing estimate's
            # and the month's check's reads of one month of every customer: none of the indexes above leads
            # with the day, so each walked the whole table (45 M rows after a year at 50,000 customers).
            models.Index(fields=["used_date"], name="option_usage_day"),
        ]
        verbose_name = _("option usage")
        verbose_name_plural = _("option usages")

    def __str__(self) -> str:
        return f"{self.option_product_id} {self.used_date}"


class OptionUsageMonth(_OptionNames, models.Model):
    """One month of one option's usage by a customer, kept after the month's daily rows (`OptionUsage`) are
    removed (options/retention.py): "how much did this customer use this option in March last year". Summed
    from the daily rows as they leave, in the same transaction."""

    domain_id = models.BigIntegerField(_("domainId"))
    #: The first day of the month.
    month = models.DateField(_("month"))
    option_product_id = models.CharField(_("option"), max_length=16)
    sub_option_id = models.CharField(_("sub option"), max_length=16)
    plan = models.CharField(_("plan"), max_length=32, blank=True)
    #: The days the month's daily usage had a row for.
    days = models.PositiveSmallIntegerField(_("days"), default=0)
    #: The month's usage (Option Plus: the sum of its daily usage counts); None when counted by quantity.
    usage_total = models.BigIntegerField(_("usage"), null=True, blank=True)
    quantity_peak = models.PositiveIntegerField(_("highest quantity"), null=True, blank=True)
    license_peak = models.PositiveIntegerField(_("most licences"), null=True, blank=True)
    member_peak = models.PositiveIntegerField(_("most members"), null=True, blank=True)

    class Meta:
        ordering = ["domain_id", "month", "option_product_id"]
        constraints = [
            # Also the customer's month read (the usage page), and the fold's read of a batch's rows.
            models.UniqueConstraint(
                fields=["domain_id", "month", "option_product_id", "sub_option_id", "plan"],
                name="option_usage_month_one",
            )
        ]
        indexes = [models.Index(fields=["month"], name="option_usage_month_by_month")]
        verbose_name = _("monthly option usage")
        verbose_name_plural = _("monthly option usages")

    def __str__(self) -> str:
        return f"{self.domain_id} {self.option_product_id} {self.month:%Y-%m}"
