"""Cache tables of the customers domain of the Partner API (tags customers, domains, usage-status).

The portal never owns this data: every row is a copy of what the API last said, keyed by the remote
`domainId`, stamped with when it was read. A customer gone from the API is marked removed, never deleted.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.core import vocabulary


def normalise_search(text: str) -> str:
    """The form both the search column and a search term take: NFKC, case-folded, without spaces.

    NFKC turns full-width Latin letters and digits into ASCII and half-width katakana into full-width, so
    "ＡＢＣ", "abc" and "ABC" all match; Japanese text has no case and is kept as it is.
    """
    return "".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def search_text_for(*, company_name: str, domain: str, customer_code: str, domain_id: int) -> str:
    """The normalised text the list searches: company name, domain, customer code and domainId."""
    return "\n".join(normalise_search(part) for part in (company_name, domain, customer_code, str(domain_id)))


def usage_schedules_something(*, renewal_apply_date, withdrawal_date, usage_status: str) -> bool:
    """Whether the usage status holds a scheduled change (max users, or a cancellation not yet pending)."""
    return bool(renewal_apply_date or (withdrawal_date and usage_status != "SUSPENDED_WITHDRAWAL"))


class Customer(models.Model):
    """One customer tenant of the partner, with its usage status, as last read from the Partner API."""

    # The API's words, declared once (portal.core.vocabulary).
    DomainType = vocabulary.DomainType
    UsageState = vocabulary.UsageState

    # --- Customer (getCustomer / listCustomers) ---------------------------------------------------------
    domain_id = models.BigIntegerField(_("domainId"), primary_key=True)
    tenant_id = models.BigIntegerField(_("tenantId"), null=True, blank=True)
    domain = models.CharField(_("domain"), max_length=255, db_index=True)
    domain_type = models.CharField(_("domain type"), max_length=16, blank=True)
    company_name = models.CharField(_("company name"), max_length=200, db_index=True)
    phone_number = models.CharField(_("phone number"), max_length=64, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    locale = models.CharField(_("locale"), max_length=16, blank=True)
    enable_active_mxrecord = models.BooleanField(_("MX records active"), default=False)
    enable_active_domain = models.BooleanField(_("domain active"), default=False)
    admin_last_name = models.CharField(_("administrator last name"), max_length=80, blank=True)
    admin_first_name = models.CharField(_("administrator first name"), max_length=80, blank=True)
    admin_user_id = models.CharField(_("administrator user ID"), max_length=80, blank=True)
    admin_email = models.CharField(_("administrator e-mail"), max_length=254, blank=True)
    admin_cellphone = models.CharField(_("administrator mobile phone"), max_length=64, blank=True)
    admin_country_code = models.CharField(_("administrator country code"), max_length=16, blank=True)
    partnership_status = models.CharField(_("partnership status"), max_length=40, blank=True)
    customer_code = models.CharField(_("customer code"), max_length=200, blank=True, db_index=True)
    enable_partner_profile_display = models.BooleanField(_("partner profile shown"), null=True, blank=True)
    memo = models.TextField(_("memo"), blank=True)
    # The customer's LINE WORKS product (deprecated productId on the customer, else the main subscription's).
    product_id = models.CharField(_("product"), max_length=16, blank=True, db_index=True)

    # --- Usage status (getUsageStatus) ------------------------------------------------------------------
    usage_status = models.CharField(_("status"), max_length=32, blank=True, db_index=True)
    member_count = models.PositiveIntegerField(_("members"), null=True, blank=True)
    max_member_count = models.PositiveIntegerField(_("maximum users"), null=True, blank=True)
    max_member_unlimited = models.BooleanField(_("no user limit"), default=False)
    withdrawal_date = models.DateField(_("cancellation date"), null=True, blank=True)
    renewal_apply_date = models.DateField(_("scheduled max-users change on"), null=True, blank=True)
    renewal_max_member_count = models.PositiveIntegerField(
        _("scheduled maximum users"), null=True, blank=True
    )
    usage_synced_at = models.DateTimeField(_("usage status synced"), null=True, blank=True)

    # --- Summary filled by the subscriptions resync (listSubscriptions) ---------------------------------
    # The main subscription's plan (the contract term: Free, Trial, Monthly, annual licence...).
    plan = models.CharField(_("plan"), max_length=32, blank=True, db_index=True)
    trial_ends_on = models.DateField(_("trial ends"), null=True, blank=True, db_index=True)
    subscription_changes_scheduled = models.BooleanField(_("subscription changes scheduled"), default=False)

    # --- Bookkeeping ------------------------------------------------------------------------------------
    has_scheduled_changes = models.BooleanField(_("has scheduled changes"), default=False, db_index=True)
    search_text = models.TextField(editable=False, default="")
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    synced_at = models.DateTimeField(_("last synced"), db_index=True)
    removed_at = models.DateTimeField(_("removed from the API"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["company_name", "domain_id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"{self.company_name} ({self.domain})"

    def save(self, *args, **kwargs):
        self.refresh_derived()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text", "has_scheduled_changes"}
        super().save(*args, **kwargs)

    def refresh_derived(self) -> None:
        """Recompute the columns derived from others (search text, the scheduled-changes flag)."""
        self.search_text = search_text_for(
            company_name=self.company_name,
            domain=self.domain,
            customer_code=self.customer_code,
            domain_id=self.domain_id,
        )
        self.has_scheduled_changes = (
            usage_schedules_something(
                renewal_apply_date=self.renewal_apply_date,
                withdrawal_date=self.withdrawal_date,
                usage_status=self.usage_status,
            )
            or self.subscription_changes_scheduled
        )

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    @property
    def is_stale(self) -> bool:
        limit = dt.timedelta(minutes=settings.STALE_AFTER_MINUTES)
        return self.synced_at is None or timezone.now() - self.synced_at > limit

    @property
    def admin_name(self) -> str:
        return " ".join(part for part in (self.admin_last_name, self.admin_first_name) if part)

    @property
    def is_group_name(self) -> bool:
        return self.domain_type == self.DomainType.GROUP

    def get_usage_status_display(self) -> str:
        return vocabulary.label(vocabulary.UsageState, self.usage_status)

    def get_product_display(self) -> str:
        return vocabulary.label(vocabulary.Product, self.product_id)

    def get_plan_display(self) -> str:
        return vocabulary.label(vocabulary.Plan, self.plan)
