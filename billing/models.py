"""Cache tables of the billing domain of the Partner API (tag billing), and finance's own records.

Copies of the API (stamped `synced_at`):

* `Invoice`: one per usage month (listInvoices), replaced with the year's list;
* `InvoiceItem`: one settlement item of one customer in one month (listInvoiceDetails), with the customer's
  name, domain and code as the invoice detail gave them. A month is stored as a whole: the walk's items
  replace the month's rows in one transaction, only once the walk completed (the engine's PartnerWide);
* `UsageSnapshot`: one daily usage snapshot of a customer (listCustomerUsages).

Finance's own records (not from the API):

* `PriceEntry`: the partner's price book (cost from the vendor, price to the customer) by item and plan, from
  a date; with a customer, an override for that customer only;
* `Finding`: a result of the variance check of a month, which finance may mark explained with a note.

Learned from the cache when a month's details are stored (`billing.costs`):

* `InvoiceCost`: what the month's invoice details say each product or option costs a month per unit, and the
  lines that cannot be a price, with why; Finance accepts them into the price book.

Derived from the cache, kept so the pages read rows (`billing.estimate.kept_estimate`):

* `EstimateMonth` and `EstimateCopy`: a month's estimate per customer, with what it was worked out from.

Amounts are integer yen (tax excluded, as the API gives them).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models.functions import NullIf
from django.utils.translation import gettext_lazy as _

from portal.core.vocabulary import ItemType, PaymentStatus, Plan, billed_item_name, item_name, label

#: Settlement item types in the order a customer's items are grouped (the vocabulary lists them so).
ITEM_TYPE_ORDER = {value: position for position, value in enumerate(ItemType.values)}


class Invoice(models.Model):
    """The partner's invoice of one usage month (listInvoices), issued on the 1st of the next month."""

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    invoice_no = models.BigIntegerField(_("invoice number"), null=True, blank=True)
    partner_name = models.CharField(_("partner name"), max_length=200, blank=True)
    used_amount = models.BigIntegerField(_("used"), default=0)
    option_plus_amount = models.BigIntegerField(_("Option Plus"), default=0)
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, default=10)
    used_tax_amount = models.BigIntegerField(_("tax on used"), default=0)
    option_plus_tax_amount = models.BigIntegerField(_("tax on Option Plus"), default=0)
    penalty_amount = models.BigIntegerField(_("penalty"), default=0)
    total_amount = models.BigIntegerField(_("total"), default=0)
    payment_status = models.CharField(_("payment"), max_length=16, blank=True)
    paid_time = models.DateTimeField(_("paid"), null=True, blank=True)
    issued_time = models.DateTimeField(_("issued"), null=True, blank=True)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["-year", "-month"]
        constraints = [models.UniqueConstraint(fields=["year", "month"], name="billing_one_invoice_a_month")]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def computed_total(self) -> int:
        """The total by the invoice's own arithmetic (listInvoices: total = used + used tax + option plus +
        option plus tax + penalty)."""
        return (
            self.used_amount
            + self.used_tax_amount
            + self.option_plus_amount
            + self.option_plus_tax_amount
            + self.penalty_amount
        )

    @property
    def total_difference(self) -> int:
        """The stated total minus the computed one (0 when the invoice adds up)."""
        return self.total_amount - self.computed_total

    def get_payment_status_display(self) -> str:
        return label(PaymentStatus, self.payment_status)


class InvoiceItem(models.Model):
    """One settlement item of one customer in one usage month (listInvoiceDetails)."""

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    domain_id = models.BigIntegerField(_("domainId"))
    domain = models.CharField(_("domain"), max_length=255, blank=True)
    customer_name = models.CharField(_("company name"), max_length=200, blank=True)
    customer_code = models.CharField(_("customer code"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    #: The item's place in its month, customers by name then their items by type: the list's default order,
    #: served by an index (computed when the month is stored).
    row_order = models.PositiveIntegerField(default=0)
    subscription_id = models.BigIntegerField(_("subscriptionId"), null=True, blank=True)
    item_type = models.CharField(_("item type"), max_length=20)
    type_order = models.PositiveSmallIntegerField(default=99)
    item_id = models.CharField(_("item"), max_length=40, blank=True)
    sub_item_id = models.CharField(_("sub-item"), max_length=40, blank=True)
    plan = models.CharField(_("plan"), max_length=32, blank=True)
    start_date = models.DateField(_("from"), null=True, blank=True)
    end_date = models.DateField(_("until"), null=True, blank=True)
    license_count = models.PositiveIntegerField(_("licences"), null=True, blank=True)
    member_count = models.PositiveIntegerField(_("members"), null=True, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=32, blank=True)
    amount = models.BigIntegerField(_("amount (¥)"), null=True, blank=True)
    #: Whether the variance check found something about this item (or its customer) in this month.
    flagged = models.BooleanField(_("flagged"), default=False)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["year", "month", "domain_id", "type_order", "position"]
        indexes = [
            models.Index(fields=["year", "month", "row_order"]),
            models.Index(fields=["year", "month", "amount"]),
            models.Index(fields=["domain_id", "year", "month"]),
            # Counts the details page's type filter (with the customer search) from the index alone.
            models.Index(fields=["year", "month", "item_type", "domain_id"], name="billing_item_month_type"),
            # A searched month counts its items up to the cap along their customer (`page_by_customer`): the
            # month's items in customer order beside the search's customers, both indexes walked together,
            # not a probe of each customer found.
            models.Index(fields=["year", "month", "domain_id"], name="billing_item_month_customer"),
            # The items the month's check flagged (it writes only those whose flag changes).
            models.Index(
                fields=["year", "month"], condition=models.Q(flagged=True), name="billing_item_flagged"
            ),
        ]
        verbose_name = _("invoice item")
        verbose_name_plural = _("invoice items")

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.domain_id} {self.item_type} {self.item_id}"

    @property
    def split(self) -> bool:
        """Whether the item covers only part of its month (a change split the month)."""
        if self.start_date is None or self.end_date is None:
            return False
        month_end = (dt.date(self.year, self.month, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
            days=1
        )
        return self.start_date > dt.date(self.year, self.month, 1) or self.end_date < month_end

    def get_item_type_display(self) -> str:
        return label(ItemType, self.item_type)

    @property
    def item_label(self) -> str:
        """What was billed, by name (`vocabulary.billed_item_name`)."""
        return billed_item_name(self.item_type, self.item_id, self.sub_item_id)


class DetailMonth(models.Model):
    """The figures of a stored month of invoice details, computed when it is stored (the details page reads
    them instead of aggregating the month's items on every request)."""

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    customers = models.PositiveIntegerField(_("customers billed"), default=0)
    items = models.PositiveIntegerField(_("items"), default=0)
    #: Sum of the amounts by item type: {"PRODUCT": 123, ...}.
    totals = models.JSONField(default=dict)
    #: The products and options billed in the month (the list's filter choices).
    item_ids = models.JSONField(default=list)
    #: How many customers billed in the month had no usage snapshot of it when the month was last checked
    #: (`billing.services.finding_month_check`): the findings page says so without reading every customer's
    #: usage. None: not checked since the portal kept it (the page counts then).
    unchecked = models.PositiveIntegerField(_("customers not checked"), null=True, blank=True)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["-year", "-month"]
        constraints = [models.UniqueConstraint(fields=["year", "month"], name="billing_one_detail_month")]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


class UsageSnapshot(models.Model):
    """One daily usage snapshot of a customer (listCustomerUsages), taken at 00:00 of `used_date`."""

    domain_id = models.BigIntegerField(_("domainId"))
    used_date = models.DateField(_("date"))
    product_group_id = models.CharField(_("product group"), max_length=16, default="WORKS")
    product_id = models.CharField(_("product"), max_length=16, blank=True)
    plan = models.CharField(_("plan"), max_length=32, blank=True)
    license_count = models.PositiveIntegerField(_("licences"), null=True, blank=True)
    member_count = models.PositiveIntegerField(_("members"), null=True, blank=True)
    max_member_count = models.PositiveIntegerField(_("maximum users"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=32, blank=True)
    synced_at = models.DateTimeField(_("last synced"))
    #: Its terms differ from the customer's snapshot before it (or there is none). True until worked out
    #: (`billing.usage.usage_marks`): a row nobody marked is read as a change, never skipped.
    changed = models.BooleanField(_("terms changed"), default=True)
    #: The customer's first or last snapshot of its calendar month. True until worked out, likewise.
    edge = models.BooleanField(_("first or last of its month"), default=True)

    class Meta:
        ordering = ["domain_id", "used_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain_id", "used_date", "product_group_id"], name="billing_one_snapshot_a_day"
            )
        ]
        indexes = [
            # The month's terms read from the index alone (the variance check's and the estimate's grouped
            # reads of a month's snapshots: `billing.usage.usage_turns`), not a table row a
            # customer a day.
            models.Index(
                fields=[
                    "domain_id",
                    "used_date",
                    "product_group_id",
                    "product_id",
                    "plan",
                    "license_count",
                    "member_count",
                ],
                name="billing_usage_terms",
            ),
            # The month's read (`billing.usage.usage_turns`): the customers whose terms changed in it, and the
            # first and last snapshot of the month of every other customer, each from a small partial index.
            models.Index(
                fields=["used_date", "domain_id"],
                condition=models.Q(changed=True),
                name="billing_usage_changes",
            ),
            models.Index(
                fields=[
                    "used_date",
                    "domain_id",
                    "product_group_id",
                    "product_id",
                    "plan",
                    "license_count",
                    "member_count",
                ],
                condition=models.Q(edge=True),
                name="billing_usage_edges",
            ),
        ]
        verbose_name = _("usage snapshot")
        verbose_name_plural = _("usage snapshots")

    def __str__(self) -> str:
        return f"{self.domain_id} {self.used_date}"


class PriceEntry(models.Model):
    """A price of the partner's price book, in force from `effective_from` until the next entry of the same
    item, plan and customer. An entry with a customer overrides the general one for that customer only."""

    item_id = models.CharField(
        _("item"), max_length=40, help_text=_("The product or option this price is for.")
    )
    #: The option's tier (subItemId) this price is for: "" for every tier (and for a product). LINE WORKS
    #: bills an option's tiers at different unit amounts (Shared Storage 1 TB and 5 TB).
    sub_item_id = models.CharField(_("sub option"), max_length=40, blank=True, default="")
    plan = models.CharField(_("plan"), max_length=32, blank=True, help_text=_("Empty for every plan."))
    domain_id = models.BigIntegerField(
        _("customer"), null=True, blank=True, help_text=_("Empty for every customer.")
    )
    cost = models.BigIntegerField(_("cost (¥ a month per unit)"))
    #: None: not set yet (a cost learned from LINE WORKS' invoice for an item the book had no price for): the
    #: cost is passed on where a price is needed, and a customer invoice waits for it.
    price = models.BigIntegerField(_("price to the customer (¥ a month per unit)"), null=True, blank=True)
    effective_from = models.DateField(_("effective from"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["item_id", "sub_item_id", "plan", "domain_id", "-effective_from"]
        verbose_name = _("price")
        verbose_name_plural = _("price book")

    def __str__(self) -> str:
        return (
            f"{self.item_id} {self.sub_item_id} {self.plan} {self.domain_id or ''} from {self.effective_from}"
        )

    @property
    def item_label(self) -> str:
        """The product, the option, or the option's tier (which names its option)."""
        return item_name(self.sub_item_id or self.item_id)

    @property
    def plan_label(self) -> str:
        return label(Plan, self.plan) if self.plan else ""


class InvoiceCost(models.Model):
    """What a month's invoice details say a product or option costs the partner a month per unit, learned
    when the month is stored (`billing.costs`, `services.invoice_month_store`): one row per product or option,
    tier, plan and unit amount (`reason` ""), or per kind of line that cannot be a price and why (`reason`).
    Finance accepts the prices into the price book on the month's "Costs from LINE WORKS" page."""

    class Reason(models.TextChoices):
        PRICE = "", _("A month's price per unit")
        SUBTOTAL = "subtotal", _("A customer's subtotal, not a product or option.")
        ADJUSTMENT = "adjustment", _("An adjustment: a one-off amount, not a price a month.")
        PENALTY = "penalty", _("A penalty for ending a contract early: a one-off charge.")
        OPTION_PLUS = (
            "option_plus",
            _("Option Plus: apps LINE WORKS bills by their own prices, passed on as billed."),
        )
        NOT_BILLED = "not_billed", _("Free, Trial or billed ¥0: there is no price to learn.")
        PART_OF_MONTH = (
            "part_of_month",
            _("It covers part of the month: its amount is for its days (rounded), not a month's."),
        )
        NO_UNITS = "no_units", _("No licences, members or quantity to divide its amount by.")
        NO_AMOUNT = "no_amount", _("The invoice gives no amount for it.")
        UNEVEN = (
            "uneven",
            _("Its amount is not a whole number of yen per unit: a discount or an adjustment may be in it."),
        )
        DIFFERS = (
            "differs",
            _("Billed at another unit amount than most customers: a discount of that customer's, perhaps."),
        )
        SEVERAL = (
            "several",
            _("Billed at several unit amounts, none to most customers: type its price in the price book."),
        )
        UNKNOWN = "unknown", _("A kind of line the portal does not know.")

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    item_type = models.CharField(_("item type"), max_length=20)
    item_id = models.CharField(_("item"), max_length=40, blank=True)
    sub_item_id = models.CharField(_("sub option"), max_length=40, blank=True)
    plan = models.CharField(_("plan"), max_length=32, blank=True)
    #: The unit amount a month (None for a line that cannot be a price, unless it divides: `DIFFERS`).
    unit_cost = models.BigIntegerField(_("cost a month per unit (¥)"), null=True, blank=True)
    reason = models.CharField(_("why not a price"), max_length=16, choices=Reason.choices, blank=True)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    #: One customer billed so (the first by domainId): who a `DIFFERS` row is about; and its company name as
    #: the invoice names it, which the costs page shows ("" when the invoice gives none: the page looks it up).
    example_domain_id = models.BigIntegerField(null=True, blank=True)
    example_name = models.CharField(max_length=200, blank=True, default="")
    learned_at = models.DateTimeField(_("learned at"))

    class Meta:
        ordering = ["year", "month", "reason", "item_type", "item_id", "sub_item_id", "plan", "unit_cost"]
        indexes = [models.Index(fields=["year", "month", "reason"], name="billing_invoice_cost_month")]
        verbose_name = _("cost learned from an invoice")
        verbose_name_plural = _("costs learned from invoices")

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.item_id} {self.sub_item_id} {self.plan} {self.unit_cost}"

    @property
    def item_label(self) -> str:
        return billed_item_name(self.item_type, self.item_id, self.sub_item_id)

    @property
    def plan_label(self) -> str:
        return label(Plan, self.plan) if self.plan else ""


class Finding(models.Model):
    """A difference the variance check found in a month: what was expected, what was billed."""

    class Kind(models.TextChoices):
        BILLED_NOT_ACTIVE = "billed_not_active", _("Billed but not active")
        ACTIVE_NOT_BILLED = "active_not_billed", _("Active but not billed")
        LICENCES = "licences", _("Licence count differs")
        QUANTITY = "quantity", _("Quantity differs")
        PERIOD = "period", _("Period without a known change")
        COST = "cost", _("Cost differs from the price book")
        ARITHMETIC = "arithmetic", _("Invoice does not add up")

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    #: 0 for a finding about the invoice itself.
    domain_id = models.BigIntegerField(_("domainId"), default=0)
    customer_name = models.CharField(_("company name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    #: What the finding is about within the customer (item, subscription): keeps a finding's identity
    #: across re-checks, so an explanation stays with it.
    subject = models.CharField(_("item"), max_length=80, blank=True)
    expected = models.CharField(_("expected"), max_length=300, blank=True)
    billed = models.CharField(_("billed"), max_length=300, blank=True)
    still_found = models.BooleanField(default=True)
    explained = models.BooleanField(_("explained"), default=False)
    note = models.TextField(_("note"), blank=True)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    explained_at = models.DateTimeField(_("explained at"), null=True, blank=True)
    checked_at = models.DateTimeField(_("checked at"))

    class Meta:
        ordering = ["year", "month", "customer_name", "domain_id", "kind", "subject"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "month", "domain_id", "kind", "subject"], name="billing_one_finding"
            )
        ]
        indexes = [
            # The home page's "Findings to explain" (billing/worklist.py): the first few in its order and their
            # count, read from this index alone, however many findings were explained or are no longer found.
            # It holds every column the section shows (the key and the subject too), so a page of it is read
            # without visiting the table: a month's findings in the section's order lie on as many table pages
            # as they are rows (`python -m bench scale`, the findings worklist).
            models.Index(
                fields=["-year", "-month", "customer_name", "domain_id", "kind"],
                condition=models.Q(still_found=True, explained=False),
                include=["id", "subject"],
                name="billing_finding_to_explain",
            ),
            # Their count: the same rows in a narrow index (three small columns a row), counted from it alone,
            # searched too: the month's findings page counts apart the findings of the customers a search finds
            # (`billing.selectors.finding_page`), each row's customer looked up in their hash.
            models.Index(
                fields=["year", "month", "domain_id"],
                condition=models.Q(still_found=True, explained=False),
                name="billing_finding_to_explain_n",
            ),
            # The customer page's billing section: the customer's unexplained findings, newest month first, read
            # by its key (`billing.selectors.customer_billing_section`), not the whole table.
            models.Index(
                fields=["domain_id", "-year", "-month"],
                condition=models.Q(explained=False),
                name="billing_finding_of_customer",
            ),
            # The month's findings page (`billing.selectors.finding_page`): those to explain, or those explained, in
            # the list's order as it opens (`FINDING_SORTS`: by customer, an empty name or item last, so the
            # expressions the sort orders by), read from here and stopped after one page, however many findings
            # the month has. The list of every finding reads those to explain first, then those explained, so
            # the same index serves it. It holds the columns a page shows (`finding_page`'s PAGE_FIELDS, the
            # expressions' own columns among them, which PostgreSQL needs to read them from the index), so a page
            # is read from the index alone: rows in the list's order lie on as many table pages as they are rows
            # (`python -m bench scale`, billing:findings; bench/results/scale-2026-11-27-findings-list-*). The
            # columns are short (the check writes dates, counts and codes; a name is at most 200 characters).
            models.Index(
                models.F("year"),
                models.F("month"),
                models.F("explained"),
                NullIf("customer_name", models.Value("")),
                models.F("domain_id"),
                models.F("kind"),
                NullIf("subject", models.Value("")),
                include=["id", "customer_name", "subject", "expected", "billed", "still_found"],
                name="billing_finding_list",
            ),
        ]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.domain_id} {self.kind} {self.subject}"


class MonthClosing(models.Model):
    """Finance closed a usage month: its findings, explanations and the prices in force in it are read-only
    until an Admin reopens it (with a reason). A closing is never deleted: reopening stamps it, so the month's
    page shows every close and reopen; a month is closed while it has a closing not reopened."""

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    closed_at = models.DateTimeField(_("closed at"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reopen_reason = models.TextField(_("reason for reopening"), blank=True)

    class Meta:
        ordering = ["year", "month", "closed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "month"],
                condition=models.Q(reopened_at__isnull=True),
                name="billing_one_open_closing_a_month",
            )
        ]
        verbose_name = _("month closing")
        verbose_name_plural = _("month closings")

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} closed {self.closed_at:%Y-%m-%d}"


class EstimateMonth(models.Model):
    """A month's kept estimate: what all its customers' copies were worked out from (the price book, the
    business date, the estimate's rules) and when (`worked_at`: a customer whose cache copy was written since,
    `portal.core.copies`, is worked out again before it is read). Any of the three differing, the month is
    worked out again whole."""

    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    worked_at = models.DateTimeField()
    #: {"book": the price book's stamp (`prices.book_stamp`), "today": the business date, "invoice": when the
    #: month's invoice and its details were stored ("" before the invoice is), "rules": the estimate's version}.
    basis = models.JSONField(default=dict)
    #: The estimate against the month's invoice in figures, summed by the worker over the copies' comparisons
    #: (`estimate.COMPARED_FIGURES`; empty before the month's invoice is stored): what the page shows
    #: above its rows, read without summing every customer.
    compared = models.JSONField(default=dict)
    #: The month's totals over its customers with an estimate, summed by the worker when it keeps the month
    #: (`estimate.ESTIMATE_FIGURES`): what the Invoices page shows beside its customers of the largest cost.
    totals = models.JSONField(default=dict)
    #: The month's customers of the largest billed cost with their margin (`billing.margins.month_margins`, the
    #: first `estimate.MARGINS_KEPT`), worked out by the worker from the invoice's items when the month is worked
    #: out whole (its items and the price book are in `basis`): the findings page reads them, never the items.
    margins = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "month"], name="billing_one_estimate_month")]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


class EstimateCopy(models.Model):
    """One customer's kept estimate of a month: its names and its priced lines (a customer with nothing
    billed has a row with no lines: worked out, nothing to bill)."""

    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    domain_id = models.BigIntegerField()
    company_name = models.CharField(max_length=255, blank=True)
    domain = models.CharField(max_length=255, blank=True)
    customer_code = models.CharField(max_length=255, blank=True)
    #: Its lines as a JSON array: [[item type, item, sub item, plan, units, start, end, subscription, cost, price],
    #: ...] (text: the month's rows are read and decoded at once, `billing.estimate.kept_estimate`).
    lines = models.TextField(default="[]")
    #: Its totals (the lines' with a price), how many lines have none and how many it has, read without them.
    cost = models.BigIntegerField(default=0)
    price = models.BigIntegerField(default=0)
    unknown = models.PositiveIntegerField(default=0)
    periods = models.PositiveIntegerField(default=0)
    #: Beside the month's invoice, once it is stored (`estimate.against_invoice`): what it billed for
    #: plans and options, and apart (Option Plus, adjustments, penalties), the verdict ("": nothing to compare)
    #: and whether a known rule explains it. A customer the invoice bills without an estimate has a row without
    #: lines, named as the invoice names it.
    invoiced = models.BigIntegerField(default=0)
    not_estimated = models.BigIntegerField(default=0)
    verdict = models.CharField(max_length=16, blank=True, default="")
    explained = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "month", "domain_id"], name="billing_one_estimate_copy")
        ]
        # The month's copies read in the estimate's order (by name) without a sort; the Invoices page's customers
        # of the largest cost read along their own index, not sorted from every copy.
        indexes = [
            models.Index(
                fields=["year", "month", "company_name", "domain_id"], name="billing_estimate_order"
            ),
            models.Index(
                fields=["year", "month", "-cost", "company_name", "domain_id"], name="billing_estimate_cost"
            ),
            # The estimate against the invoice: a page of the customers that differ, those to look at first,
            # read along this index (the many the same are not in it).
            models.Index(
                fields=["year", "month", "explained", "company_name", "domain_id"],
                condition=~models.Q(verdict__in=["", "same"]),
                name="billing_estimate_differs",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.domain_id}"
