"""Cache tables of the customers domain of the Partner API (tags customers, domains, usage-status).

The portal never owns this data: every row is a copy of what the API last said, keyed by the remote
`domainId`, stamped with when it was read. A customer gone from the API is marked removed, never deleted.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import jaconv
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.core import vocabulary
from portal.core.models import CarriesCustomer

#: Dropped from names and search terms alike: long vowel marks and the dashes people type for them (after NFKC:
#: ー, and the half-width ｰ becomes ー), and control characters (never part of a name; PostgreSQL refuses a NUL
#: in any text).
_DROPPED = str.maketrans("", "", "".join(chr(c) for c in range(32)) + "\x7f" + "ー―─ｰ")


def normalise_search(text: str) -> str:
    """The form both the search column and a search term take, so that what a person types finds what the API
    wrote whichever way either was typed: NFKC (full-width Latin letters and digits become ASCII, half-width
    katakana become full-width), case-folded, katakana folded to hiragana (jaconv), long vowel marks dropped
    (サーバー, サーバ and さーば all match), without spaces or control characters.
    """
    folded = jaconv.kata2hira(unicodedata.normalize("NFKC", text or "").casefold())
    return "".join(folded.translate(_DROPPED).split())


#: Words of a company's legal form, ignored when names are sorted (the name shown keeps them): Japanese forms
#: written out, in brackets or as one enclosed character, and the usual English ones at the end of a name.
_LEGAL_FORMS_JA = (
    "特定非営利活動法人",
    "社会福祉法人",
    "一般社団法人",
    "一般財団法人",
    "公益社団法人",
    "公益財団法人",
    "医療法人社団",
    "医療法人財団",
    "医療法人",
    "学校法人",
    "宗教法人",
    "NPO法人",
    "株式会社",
    "合同会社",
    "有限会社",
    "合資会社",
    "合名会社",
)
_LEGAL_FORM_RE = re.compile(
    r"\((?:株|有|合|資|名|同|社|財|医|学|特非)\)|[㈱㈲㈳㈴㈵㈶]|" + "|".join(map(re.escape, _LEGAL_FORMS_JA))
)
_LEGAL_FORM_EN_RE = re.compile(
    r"[\s,]+(?:co\.?,?\s*ltd\.?|inc\.?|corp\.?|corporation|ltd\.?|llc|l\.l\.c\.|k\.k\.|g\.k\.|co\.)$",
    re.IGNORECASE,
)


def sort_name_for(company_name: str) -> str:
    """The key names sort by: the company name without its legal form (株式会社さくら and さくら株式会社 sort
    under さ), folded as search folds it (カ and か sort together). Empty if nothing else is left."""
    text = unicodedata.normalize("NFKC", company_name or "")
    text = _LEGAL_FORM_RE.sub(" ", text)
    previous = None
    while previous != text:
        previous, text = text, _LEGAL_FORM_EN_RE.sub("", text.strip())
    return normalise_search(text)[:200] or normalise_search(company_name)[:200]


def search_text_for(*, company_name: str, domain: str, customer_code: str, domain_id: int) -> str:
    """The normalised text the list searches: company name, domain, customer code and domainId."""
    return "\n".join(normalise_search(part) for part in (company_name, domain, customer_code, str(domain_id)))


def usage_schedules_something(*, renewal_apply_date, withdrawal_date, usage_status: str) -> bool:
    """Whether the usage status holds a scheduled change (max users, or a cancellation not yet pending)."""
    return bool(renewal_apply_date or (withdrawal_date and usage_status != "SUSPENDED_WITHDRAWAL"))


#: A customer whose members reach this share of their maximum users (in %) is "near" it (the home page's
#: worklist lists them).
NEAR_MAX_PERCENT = 90


def max_users_left_for(*, members: int | None, maximum: int | None) -> tuple[int | None, bool]:
    """Seats left under the maximum users, and whether the members reach NEAR_MAX_PERCENT of it. (None, False)
    when either is unknown or there is no limit (`maximum` None)."""
    if members is None or not maximum:
        return None, False
    return maximum - members, members * 100 >= maximum * NEAR_MAX_PERCENT


def unused_licences_for(*, license_count: int | None, members: int | None) -> int | None:
    """Licences the customer pays for beyond its members (None unless both are known)."""
    return None if license_count is None or members is None else license_count - members


#: The status shown for an Active customer whose trial has ended (the API still says ACTIVE: the plan's end date
#: is past, the grace period has begun); its CSS badge is `badge-trial_ended`.
TRIAL_ENDED = "TRIAL_ENDED"


#: Every status a person can read (and filter the customer list by): the API's, and "Trial ended".
STATUS_CHOICES = [*vocabulary.UsageState.choices, (TRIAL_ENDED, _("Trial ended"))]


def shown_status(*, usage_status: str, plan: str, trial_ends_on: dt.date | None, today: dt.date) -> str:
    """The status a person should read: the API's usage status, except that an Active customer on a Trial that
    ended before `today` (business date) reads "Trial ended", not "Active". `trial_ended_q` is the same rule
    for a query."""
    if (
        usage_status == vocabulary.UsageState.ACTIVE
        and plan == vocabulary.Plan.TRIAL
        and trial_ends_on
        and trial_ends_on < today
    ):
        return TRIAL_ENDED
    return usage_status


def trial_ended_q(today: dt.date) -> models.Q:
    """The customers `shown_status` reads as "Trial ended" on `today`, as a query condition."""
    return models.Q(
        usage_status=vocabulary.UsageState.ACTIVE, plan=vocabulary.Plan.TRIAL, trial_ends_on__lt=today
    )


def status_labels() -> dict[str, str]:
    """Every shown status's label, translated (call once per request or page)."""
    return {k: str(v) for k, v in STATUS_CHOICES}


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
    # The subscription the summary describes, and its licences when it is on a licence plan.
    main_subscription_id = models.BigIntegerField(_("main subscription"), null=True, blank=True)
    license_count = models.IntegerField(_("licences"), null=True, blank=True)

    # --- Bookkeeping ------------------------------------------------------------------------------------
    has_scheduled_changes = models.BooleanField(_("has scheduled changes"), default=False, db_index=True)
    # Derived for the home page's worklist, so that its sections read an index rather than every customer:
    # licences - members, and the seats left under the maximum users (max_users_left_for).
    unused_licences = models.IntegerField(editable=False, null=True)
    max_users_left = models.IntegerField(editable=False, null=True)
    near_max_users = models.BooleanField(editable=False, default=False)
    #: Whether an Account manager looks after the customer (`CustomerOwner`): kept by the database's triggers
    #: (customers 0015), never by the portal, so that the customers without an owner are a range of an index
    #: (`customer_unowned_by_name`) rather than every customer checked against every owner.
    has_owner = models.BooleanField(editable=False, default=False, db_default=False)
    #: The id of the Account manager who looks after the customer (`CustomerOwner.account_manager`), kept by the
    #: same triggers (customers 0016): an Account manager's customers are a range of an index
    #: (`customer_managed_by_name`) rather than every one of their keys probed.
    managed_by = models.BigIntegerField(editable=False, null=True)
    search_text = models.TextField(editable=False, default="")
    sort_name = models.CharField(editable=False, max_length=200, default="", db_index=True)
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    synced_at = models.DateTimeField(_("last synced"), db_index=True)
    removed_at = models.DateTimeField(_("removed from the API"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["company_name", "domain_id"]
        indexes = [
            # The few customers no longer in the API, for `customers.selectors.still_in_api`: lists of their
            # rows (options, subscriptions) exclude this short list instead of joining every customer, a join
            # that makes the database read the customers table and stops it walking the rows' own index in
            # the list's order.
            models.Index(
                fields=["domain_id"], condition=models.Q(removed_at__isnull=False), name="customer_removed"
            ),
            # The customers still in the API in name order: a list of their rows in customer order (the
            # Subscriptions list as it opens) walks it and their rows' customer index, stopping after one page.
            models.Index(
                fields=["sort_name", "domain_id"],
                condition=models.Q(removed_at__isnull=True),
                name="customer_live_by_name",
            ),
            # The worklist's "unused licences" and "near maximum users": each section's rows in its order.
            models.Index(
                fields=["-unused_licences", "sort_name", "domain_id"],
                condition=models.Q(removed_at__isnull=True, unused_licences__isnull=False),
                name="customer_unused_licences",
            ),
            models.Index(
                fields=["max_users_left", "sort_name", "domain_id"],
                condition=models.Q(removed_at__isnull=True, near_max_users=True),
                name="customer_near_max_users",
            ),
            # The worklist's "without an owner" and the Owner filter's "Unassigned": those customers in name
            # order, a page of them and their count (up to the cap) read from the index alone.
            models.Index(
                fields=["sort_name", "domain_id"],
                condition=models.Q(removed_at__isnull=True, has_owner=False),
                name="customer_unowned_by_name",
            ),
            # An Account manager's customers ("Mine") in name order: a page of them and their count read from
            # the index alone.
            models.Index(
                fields=["managed_by", "sort_name", "domain_id"],
                condition=models.Q(removed_at__isnull=True, managed_by__isnull=False),
                name="customer_managed_by_name",
            ),
            # The worklist's "data stale": the live customers by last sync, the oldest first; its first rows
            # and its count read from the index alone.
            models.Index(
                fields=["synced_at", "domain_id"],
                condition=models.Q(removed_at__isnull=True),
                name="customer_live_by_sync",
            ),
            # The same three sections for one Account manager (their Owner choice, `owners.owned_by`): each a
            # range of their own customers in the section's order, however large the portfolio.
            models.Index(
                fields=["managed_by", "-unused_licences", "sort_name", "domain_id"],
                condition=models.Q(
                    removed_at__isnull=True, unused_licences__isnull=False, managed_by__isnull=False
                ),
                name="customer_unused_by_manager",
            ),
            models.Index(
                fields=["managed_by", "max_users_left", "sort_name", "domain_id"],
                condition=models.Q(removed_at__isnull=True, near_max_users=True, managed_by__isnull=False),
                name="customer_near_max_by_manager",
            ),
            models.Index(
                fields=["managed_by", "synced_at", "domain_id"],
                condition=models.Q(removed_at__isnull=True, managed_by__isnull=False),
                name="customer_sync_by_manager",
            ),
        ]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"{self.company_name} ({self.domain})"

    def save(self, *args, **kwargs):
        self.refresh_derived()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "search_text",
                "sort_name",
                "has_scheduled_changes",
                "unused_licences",
                "max_users_left",
                "near_max_users",
            }
        super().save(*args, **kwargs)

    def refresh_derived(self) -> None:
        """Recompute the columns derived from others (search text, sort name, the scheduled-changes flag, unused
        licences, seats left). The services that update rows in SQL set the same columns (customers.services)."""
        self.sort_name = sort_name_for(self.company_name)
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
        self.unused_licences = unused_licences_for(
            license_count=self.license_count, members=self.member_count
        )
        maximum = None if self.max_member_unlimited else self.max_member_count
        self.max_users_left, self.near_max_users = max_users_left_for(
            members=self.member_count, maximum=maximum
        )

    @property
    def status_shown(self) -> str:
        from portal.core import clock

        return shown_status(
            usage_status=self.usage_status,
            plan=self.plan,
            trial_ends_on=self.trial_ends_on,
            today=clock.today(),
        )

    @property
    def status_label(self) -> str:
        return status_labels().get(self.status_shown, self.status_shown)

    @property
    def partnership_status_label(self) -> str:
        return vocabulary.label(vocabulary.PartnershipStatus, self.partnership_status)

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    @property
    def is_stale(self) -> bool:
        limit = dt.timedelta(minutes=settings.STALE_AFTER_MINUTES)
        return self.synced_at is None or timezone.now() - self.synced_at > limit

    @property
    def admin_name(self) -> str:
        """The administrator's name as the reader's language writes a name (family name first in Japanese)."""
        return vocabulary.full_name(given=self.admin_first_name, family=self.admin_last_name)

    @property
    def locale_label(self) -> str:
        """The tenant's language and region in words ("Japanese"), or "" when the API gave none."""
        return vocabulary.label(vocabulary.Locale, self.locale) if self.locale else ""

    @property
    def is_group_name(self) -> bool:
        return self.domain_type == self.DomainType.GROUP

    def get_usage_status_display(self) -> str:
        return vocabulary.label(vocabulary.UsageState, self.usage_status)

    def get_product_display(self) -> str:
        return vocabulary.label(vocabulary.Product, self.product_id)

    def get_plan_display(self) -> str:
        return vocabulary.label(vocabulary.Plan, self.plan)


def carries_customer(model, key: str = "customer_id") -> bool:
    """Whether rows of `model` carry their customer's removal and Account manager (`CarriesCustomer`), keyed by
    the customer's domainId at `key` (a list narrows rows by the key it names: the carried columns stand for
    that key's customer alone)."""
    return isinstance(model, type) and issubclass(model, CarriesCustomer) and key == model.CARRIED_KEY


def live_and_by_manager(
    fields: list[str], condition: models.Q, name: str, manager_name: str = ""
) -> tuple[models.Index, models.Index]:
    """An index of `fields` over the rows `condition` keeps of the customers still in the API, and its twin led
    by the customer's Account manager (`manager_name`, by default `<name>_by_manager`), both by the columns the
    rows carry (`CarriesCustomer`)."""
    live = condition & models.Q(customer_removed=False)
    return (
        models.Index(fields=fields, condition=live, name=name),
        models.Index(
            fields=["customer_manager", *fields],
            condition=live & models.Q(customer_manager__isnull=False),
            name=manager_name or f"{name}_by_manager",
        ),
    )


class CustomerSearch(models.Model):
    """Each customer's search text (`Customer.search_text`), sort name and whether it is still in the API, in a
    narrow table of its own: a search tests every customer's text, and a scan of short rows reads far fewer
    pages than a scan of the customers' wide rows, on both databases. With the sort name beside the text, the
    customers found can be put in the lists' order without reading their wide rows either
    (`customers.selectors.page_by_customer`).

    The database keeps it, like an index: triggers on the customers table copy the text, the sort name and the
    removal on every insert, update and delete (migrations 0006 and 0007), whichever way the row was written
    (`save()`, `update()`, `bulk_create`, the resync's SQL), so it is always right. Nothing in Python writes it;
    `customers.selectors` reads it. On PostgreSQL its text has a trigram index (migration 0012, not declared
    here: SQLite has no such index; `customers.selectors.customers_found` says what it serves), and its text's
    short runs of characters a table of their own, kept from this one (`CustomerSearchGram`, migration 0014).
    """

    customer = models.OneToOneField(
        Customer,
        primary_key=True,
        db_column="domain_id",
        # The trigger removes the row with its customer; no constraint to trip over in between.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    text = models.TextField()
    sort_name = models.CharField(max_length=200, default="")
    live = models.BooleanField()

    class Meta:
        verbose_name = _("customer search text")

    def __str__(self) -> str:
        return self.text


class CustomerSearchGram(models.Model):
    """Every run of two, three and four characters of each customer's search text (`CustomerSearch.text`, within
    each of its lines: name, domain, code, domainId), with the customer's sort name and whether it is still in the
    API: one row per customer and gram. PostgreSQL only (migration 0014 makes and keeps it, 0018 adds the runs of
    four; unmanaged here, as SQLite has no such table).

    A customer's text holds a word of two to four characters if and only if it has that gram, so such a word's
    customers are the gram's rows, exactly, and two indexes list them without reading the table: in name order
    (`gram, sort_name, domain_id`) and in domainId order (`gram, domain_id`). A searched list then reads its page
    and its capped count along them and stops early, however many customers share the word
    (`customers.selectors.customers_found`).

    The database keeps it from the search table, as that table is kept from the customers: a trigger rewrites a
    customer's grams when its text or sort name changes, sets their `live` when only that changes, and removes
    them with the customer. Nothing in Python writes it.
    """

    pk = models.CompositePrimaryKey("gram", "customer")
    gram = models.CharField(max_length=4)
    customer = models.ForeignKey(
        Customer, db_column="domain_id", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    sort_name = models.CharField(max_length=200)
    live = models.BooleanField()

    class Meta:
        managed = False
        db_table = "customers_customersearchgram"
        verbose_name = _("customer search gram")

    def __str__(self) -> str:
        return self.gram


class CustomerSearchCommon(models.Model):
    """A common word of the customers' search texts (a gram that at least SEARCH_COMMON_WORD_CUSTOMERS customers
    hold, `customers.services.search_kept`), whose customers the database keeps as short lists
    (`CustomerSearchKept`), read alone or through `CustomerSearchFound`. PostgreSQL only (customers migration
    0020; unmanaged here). A word never leaves."""

    gram = models.CharField(max_length=4, primary_key=True)
    kept_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "customers_customersearchcommon"
        verbose_name = _("common search word")

    def __str__(self) -> str:
        return self.gram


class CustomerSearchKept(models.Model):
    """One short list of a common word's customers (`CustomerSearchCommon`): the domainIds of up to a few hundred
    customers holding the word, all still in the API or all removed (`live`), made by the lists' upkeep (customers
    migration 0020; PostgreSQL only, unmanaged here). Exact while the word has no change noted since its lists
    were made; `customers.selectors.search.found_whole` reads them alone then, `CustomerSearchFound` otherwise.

    `many_found`: a common word's customers are never few, so a reader does not read its first ones to see
    (`portal.core.lists.few_found`)."""

    many_found = True

    pk = models.CompositePrimaryKey("gram", "live", "part")
    gram = models.CharField(max_length=4)
    live = models.BooleanField()
    part = models.IntegerField()
    domain_ids = ArrayField(models.BigIntegerField())

    class Meta:
        managed = False
        db_table = "customers_customersearchkept"
        verbose_name = _("common search word's customers")

    def __str__(self) -> str:
        return self.gram


class CustomerSearchFound(models.Model):
    """The customers of each common word (`CustomerSearchCommon`), as a view of their short lists and what changed
    since they were made (customers migration 0020): for one word, exactly the gram table's rows of that word
    (`customer`, `live`), read in a few rows of a few hundred customers each where the gram table's index holds an
    entry per customer. Read whole, into a hash (`customers.selectors.search.found_whole`); never in name order.

    `many_found`: a common word's customers are never few, so a reader does not read its first ones to see
    (`portal.core.lists.few_found`)."""

    many_found = True

    pk = models.CompositePrimaryKey("gram", "customer")
    gram = models.CharField(max_length=4)
    customer = models.ForeignKey(
        Customer, db_column="domain_id", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    live = models.BooleanField()

    class Meta:
        managed = False
        db_table = "customers_customersearchfound"
        verbose_name = _("customer found by a common word")

    def __str__(self) -> str:
        return self.gram


class LiveCustomerCount(models.Model):
    """How many customers are still in the API, in one row the database keeps (the home page's "Customers"
    figure, `customers.selectors.customer_total`): a count of the customers table reads an entry per customer,
    this reads one row however many there are.

    Kept like `CustomerSearch`, by triggers on the customers table (migration 0011), whichever way a row is
    written: on PostgreSQL once per statement (a bulk insert or the resync's SQL updates change it once, and
    only when a customer arrives, leaves or is removed: that statement's transaction then holds the row until it
    commits), on SQLite once per row. A database emptied by TRUNCATE (Django's test flush) loses the row; the
    reader then counts the customers instead, in the same query.
    """

    live = models.BigIntegerField()

    class Meta:
        verbose_name = _("live customer count")

    def __str__(self) -> str:
        return str(self.live)


class CustomerOwner(models.Model):
    """Who looks after a customer at the partner: its owning Account manager and, optionally, a support contact.

    The partner's own data, not a copy of the API's, so it is a table of its own beside the cache, keyed by the
    customer's domainId, and not columns of `Customer`: the resync's stores write customers by `update()` of the
    columns they read from the API and by new rows (`customers.services.customer_store`, `customer_usage_store`,
    the summary's SQL updates), and a customer gone from the API is marked removed, never deleted, so no resync,
    refresh or change's `apply` ever writes, resets or deletes a row here. Kept apart, it also stays out of the
    wide cache row and of its "what the API said" bookkeeping (`synced_at`), and a customer's owner can be set
    before or after any sync. Written only by `customers.services` (`customer_owner_set`, an Admin's choice, and
    `customer_owner_adder`, the Account manager who adds a customer), each change an audit entry
    (`portal.assignCustomerOwner`).

    No row, or a row whose Account manager is empty, is an unassigned customer. Users are never deleted by the
    portal (they are deactivated), so a user who owns customers cannot be deleted either (PROTECT): their
    customers are handed over first.
    """

    customer = models.OneToOneField(
        Customer,
        primary_key=True,
        db_column="domain_id",
        on_delete=models.CASCADE,
        related_name="owner",
        verbose_name=_("customer"),
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Account manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers_managed",
        # The index below serves "my customers" (its first column) and gives the customers' keys with it.
        db_index=False,
    )
    support_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Support contact"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers_supported",
    )
    changed_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        indexes = [
            # The lists' Owner filter: the customers of one Account manager ("Mine", a person), and the assigned
            # ones ("Unassigned" excludes them), read from the index alone.
            models.Index(fields=["account_manager", "customer"], name="customer_owner_manager"),
        ]
        verbose_name = _("customer owner")
        verbose_name_plural = _("customer owners")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.account_manager_id or '-'}"
