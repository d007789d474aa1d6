"""State of the sandbox for every domain of the contract.

Names follow the contract's JSON names in snake_case. Rows are never shared with the portal. Customers are
soft-deleted (``deleted_on``) so that billing history keeps its domain; cancelled subscriptions and options keep
their row with ``cancelled_on`` set (the contract only lists what is in use).
"""

from django.db import models


class SandboxModel(models.Model):
    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"


class Choices:
    DOMAIN_TYPES = [("DOMAIN", "DOMAIN"), ("GROUP", "GROUP")]
    LOCALES = [(v, v) for v in ("ja_JP", "ko_KR", "en_US", "zh_TW", "zh_CN")]
    USAGE_STATES = [(v, v) for v in ("ACTIVE", "SUSPENDED_ADMIN", "SUSPENDED_WITHDRAWAL")]
    PRODUCTS = [(v, v) for v in ("FR", "STD_T", "ADV_T", "STD", "ADV")]
    PLANS = [(v, v) for v in ("FREE", "TRIAL", "MONTHLY", "ANNUAL_LICENSE", "ANNUAL_PREPAY_LICENSE")]
    SUBSCRIPTION_STATES = [(v, v) for v in ("ACTIVE", "SUSPENDED_TRIALEND")]
    RENEWAL_TYPES = [(v, v) for v in ("STAY", "CHANGE", "CANCEL")]
    RESERVATION_TYPES = [(v, v) for v in ("CANCEL", "START_PAID_SERVICE", "ADD_LICENSE")]
    OPTION_PRODUCTS = [(v, v) for v in ("ACV2", "DRV", "SSTG2", "BCT")]
    OPTION_ORDER_TYPES = [(v, v) for v in ("APPLY", "START_PAID_SERVICE", "CHANGE_QUANTITY", "CANCEL")]
    PAYMENT_STATES = [(v, v) for v in ("NONE", "PAID", "UNPAID")]
    SETTLEMENT_ITEM_TYPES = [
        (v, v) for v in ("PRODUCT", "OPTION_PRODUCT", "OPTION_PLUS", "SUMMARY", "ADJUSTMENT", "PENALTY")
    ]


# --- OAuth --------------------------------------------------------------------------------------------------


class OAuthClient(SandboxModel):
    """An app registered with the sandbox (one per portal), with its service account and public key."""

    client_id = models.CharField(max_length=64, unique=True)
    client_secret = models.CharField(max_length=128)
    name = models.CharField(max_length=100, default="Partner Portal")
    service_account = models.CharField(max_length=200)
    public_key_pem = models.TextField()
    private_key_file = models.CharField(max_length=500, blank=True)
    # Space separated prefixes a redirect_uri must start with (authorization-code flow).
    redirect_uri_prefixes = models.TextField(default="http://127.0.0.1 http://localhost https://")
    scopes = models.CharField(max_length=200, default="partner partner.read bot bot.message bot.read")
    created_at = models.DateTimeField(auto_now_add=True)


class OAuthToken(SandboxModel):
    ACCESS, REFRESH, CODE = "access", "refresh", "code"
    KINDS = [(ACCESS, ACCESS), (REFRESH, REFRESH), (CODE, CODE)]

    kind = models.CharField(max_length=10, choices=KINDS)
    token_hash = models.CharField(max_length=64, unique=True)  # sha256 hex; the token itself is never stored
    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="tokens")
    subject = models.CharField(max_length=200)  # service account or the user who logged in
    scope = models.CharField(max_length=200)
    redirect_uri = models.CharField(max_length=1000, blank=True)
    expires_at = models.DateTimeField()
    used = models.BooleanField(default=False)  # authorization codes are single use
    revoked = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "expires_at"])]


# --- Sandbox machinery --------------------------------------------------------------------------------------


class SandboxState(SandboxModel):
    """Singleton (pk=1): the business clock and where the server last listened."""

    clock_offset_days = models.IntegerField(default=0)
    # Last business date whose due effects have been applied; None until the first request/seed.
    applied_through = models.DateField(null=True, blank=True)
    base_url = models.CharField(max_length=200, blank=True)  # e.g. http://127.0.0.1:8001
    seed = models.IntegerField(null=True, blank=True)


class Fault(SandboxModel):
    """A fault injected into one operation ("*" = every operation of /v1.0)."""

    operation_id = models.CharField(max_length=100, unique=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error_rate = models.FloatField(default=0.0)  # 0..1, answered with error_status
    error_status = models.PositiveSmallIntegerField(default=500)  # 500 or 503
    timeout_rate = models.FloatField(default=0.0)  # 0..1: hold the request for timeout_seconds, then drop it
    timeout_seconds = models.FloatField(default=30.0)
    drop_rate = models.FloatField(default=0.0)  # 0..1: close the connection without an answer
    # Errors, timeouts and drops happen after the write was done.
    after_handler = models.BooleanField(default=False)
    remaining = models.IntegerField(null=True, blank=True)  # how many more requests it hits; None = no limit


class RequestLog(SandboxModel):
    at = models.DateTimeField(db_index=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    query = models.TextField(blank=True)
    operation_id = models.CharField(max_length=100, blank=True, db_index=True)
    client_id = models.CharField(max_length=64, blank=True)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.FloatField()
    request_body = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    fault = models.CharField(max_length=20, blank=True)
    rule = models.CharField(max_length=100, blank=True)


class RequestCount(SandboxModel):
    """How many requests each operation was answered with each status since the log was last cleared: every
    request counted, however many the log (`RequestLog`, trimmed to SANDBOX_REQUEST_LOG_SIZE) still holds."""

    operation_id = models.CharField(max_length=100)
    status = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["operation_id", "status"], name="request_count_once")]


# --- customers, domains, usage-status ------------------------------------------------------------------------


class CustomerQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted_on__isnull=True)


class Customer(SandboxModel):
    """A customer tenant with its usage status (one per customer, so kept on the same row)."""

    domain_id = models.BigAutoField(primary_key=True)
    tenant_id = models.BigIntegerField(unique=True)
    domain = models.CharField(max_length=255, unique=True)
    domain_type = models.CharField(max_length=6, choices=Choices.DOMAIN_TYPES)
    product_id = models.CharField(max_length=5, choices=Choices.PRODUCTS, null=True, blank=True)  # noqa: DJ001 - the contract tells null from ""
    company_name = models.CharField(max_length=40, db_index=True)
    phone_number = models.CharField(max_length=40)
    time_zone = models.CharField(max_length=64)
    locale = models.CharField(max_length=5, choices=Choices.LOCALES)
    enable_active_mxrecord = models.BooleanField(default=False)
    enable_active_domain = models.BooleanField(default=False)
    admin_last_name = models.CharField(max_length=80)
    admin_first_name = models.CharField(max_length=80, blank=True)
    admin_id = models.CharField(max_length=40)
    admin_private_email = models.CharField(max_length=254)
    admin_cellphone = models.CharField(max_length=40, blank=True)
    admin_country_code = models.CharField(max_length=8, blank=True)
    # Sandbox-only facts the real service learns elsewhere (set by seed data or /_sandbox/customers/...).
    admin_accepted_terms = models.BooleanField(default=False)
    has_non_realtime_paid_app = models.BooleanField(default=False)  # e.g. Delivery service (Yamato Transport)
    is_partner_own = models.BooleanField(default=False)  # the partner's own domain
    # The products of the services besides LINE WORKS it uses (LINE WORKS Roger ROG_*, AiNote NTA_*): productIds
    # lists them after the LINE WORKS one, which comes from its subscription.
    other_product_ids = models.JSONField(default=list, blank=True)
    # partnership
    partnership_status = models.CharField(max_length=40, default="ACTIVE")
    customer_code = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - the contract tells null from ""
    enable_partner_profile_display = models.BooleanField(default=True)
    memo = models.CharField(max_length=700, null=True, blank=True)  # noqa: DJ001 - the contract tells null from ""
    # usage status
    usage_status = models.CharField(max_length=20, choices=Choices.USAGE_STATES, default="ACTIVE")
    member_count = models.PositiveIntegerField(default=1)
    max_member_count = models.PositiveIntegerField(null=True, blank=True)
    withdrawal_date = models.DateField(null=True, blank=True)
    renewal_apply_date = models.DateField(null=True, blank=True)  # scheduled max-users change
    renewal_max_member_count = models.PositiveIntegerField(null=True, blank=True)
    created_on = models.DateField()
    deleted_on = models.DateField(null=True, blank=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["company_name", "domain_id"]),
            models.Index(fields=["withdrawal_date"]),
            models.Index(fields=["renewal_apply_date"]),
        ]


class UpgradeDomain(SandboxModel):
    """The domain name registered to replace a group name (one per customer)."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="upgrade_domain")
    domain = models.CharField(max_length=255)
    is_active_domain = models.BooleanField(default=False)
    cname_host = models.CharField(max_length=255)
    cname_target = models.CharField(max_length=255)
    txt_host = models.CharField(max_length=255)
    txt_token = models.CharField(max_length=255)
    mx_record_host = models.CharField(max_length=255)
    mx_priority10 = models.CharField(max_length=255)
    mx_priority20 = models.CharField(max_length=255)
    # Sandbox-only: whether the customer has published the DNS records (set via /_sandbox/customers/...).
    dns_records_found = models.BooleanField(default=False)

    @classmethod
    def asked_of(
        cls,
        customer: Customer,
        domain: str,
        token: str,
        *,
        cname: str = "",
        active: bool = False,
        found: bool = False,
    ) -> "UpgradeDomain":
        """The records a customer registering `domain` is asked to publish (a CNAME named by `cname`, by default
        the first eight characters of `token`; a TXT record holding the token; the two MX hosts), not saved."""
        cname = cname or token[:8]
        return cls(
            customer=customer,
            domain=domain,
            is_active_domain=active,
            cname_host=f"works-{cname}.{domain}",
            cname_target="verify.worksmobile.com",
            txt_host=domain,
            txt_token=f"worksmobile-verification={token}",
            mx_record_host=domain,
            mx_priority10="mx1.worksmobile.com",
            mx_priority20="mx2.worksmobile.com",
            dns_records_found=found,
        )


class PotentialCustomer(SandboxModel):
    """An Online Direct customer that may be transferred to the partner."""

    domain = models.CharField(max_length=255, unique=True)
    tenant_id = models.BigIntegerField()
    domain_id = models.BigIntegerField()
    product_id = models.CharField(max_length=6)
    partner_code = models.CharField(max_length=64)
    not_handled_apps = models.JSONField(default=list)
    company_name = models.CharField(max_length=40)
    phone_number = models.CharField(max_length=40, default="03-0000-0000")
    locale = models.CharField(max_length=5, default="ja_JP")
    member_count = models.PositiveIntegerField(default=1)
    transferred_on = models.DateField(null=True, blank=True)


# --- subscriptions, pre-orders, reservations, renewals -------------------------------------------------------


class Subscription(SandboxModel):
    subscription_id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="subscriptions")
    product_group_id = models.CharField(max_length=10, default="WORKS")
    product_id = models.CharField(max_length=5, choices=Choices.PRODUCTS)
    plan = models.CharField(max_length=24, choices=Choices.PLANS)
    plan_start_date = models.DateField()
    plan_end_date = models.DateField(null=True, blank=True)  # Trial: the Trial's last day
    license_assign_type = models.CharField(max_length=10, default="NONE")
    license_count = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Choices.SUBSCRIPTION_STATES, default="ACTIVE")
    grace_end_date = models.DateField(null=True, blank=True)  # Trial grace period's last day
    # Renewal settings (paid plans only).
    renewal_type = models.CharField(max_length=6, choices=Choices.RENEWAL_TYPES, blank=True, default="")
    renewal_product_id = models.CharField(max_length=5, blank=True, default="")
    renewal_plan = models.CharField(max_length=24, blank=True, default="")
    renewal_license_count = models.PositiveIntegerField(null=True, blank=True)
    cancelled_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["customer", "cancelled_on"]),
            models.Index(fields=["plan_end_date"]),
            models.Index(fields=["grace_end_date"]),
        ]


class SubscriptionReservation(SandboxModel):
    """The one scheduled task of a subscription."""

    subscription = models.OneToOneField(Subscription, on_delete=models.CASCADE, related_name="reservation")
    type = models.CharField(max_length=20, choices=Choices.RESERVATION_TYPES)
    apply_date = models.DateField(db_index=True)
    plan = models.CharField(max_length=24, blank=True, default="")
    product_id = models.CharField(max_length=5, blank=True, default="")
    license_count = models.PositiveIntegerField(null=True, blank=True)


class SubscriptionPreOrder(SandboxModel):
    pre_order_id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="pre_orders")
    product_id = models.CharField(max_length=5)
    plan = models.CharField(max_length=24, blank=True, default="")
    license_count = models.PositiveIntegerField(null=True, blank=True)
    apply_date = models.DateField(db_index=True)


# --- options, option-orders ----------------------------------------------------------------------------------


class OptionProduct(SandboxModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="option_products")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="option_products", null=True, blank=True
    )
    option_product_id = models.CharField(max_length=6, choices=Choices.OPTION_PRODUCTS)
    sub_option_id = models.CharField(max_length=10)
    quantity = models.PositiveIntegerField(null=True, blank=True)
    plan = models.CharField(max_length=24, choices=Choices.PLANS)
    applied_time = models.DateTimeField()
    plan_start_date = models.DateField()
    plan_end_date = models.DateField()
    renewal_type = models.CharField(max_length=6, blank=True, default="")
    renewal_sub_option_id = models.CharField(max_length=10, blank=True, default="")
    renewal_quantity = models.PositiveIntegerField(null=True, blank=True)
    usage_count = models.PositiveIntegerField(null=True, blank=True)
    cancelled_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["customer", "option_product_id", "cancelled_on"])]


class OptionProductOrder(SandboxModel):
    """The one scheduled task of an option (keyed by optionProductId per customer)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="option_orders")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="option_orders", null=True, blank=True
    )
    pre_order = models.ForeignKey(
        SubscriptionPreOrder, on_delete=models.SET_NULL, related_name="option_orders", null=True, blank=True
    )
    option_product_id = models.CharField(max_length=6, choices=Choices.OPTION_PRODUCTS)
    sub_option_id = models.CharField(max_length=10)
    type = models.CharField(max_length=20, choices=Choices.OPTION_ORDER_TYPES)
    quantity = models.PositiveIntegerField(null=True, blank=True)
    apply_date = models.DateField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "option_product_id"], name="one_order_per_option")
        ]


# --- billing -------------------------------------------------------------------------------------------------


class UsagePeriod(SandboxModel):
    """What a customer (or one of its options) used from start_date to end_date, both inclusive.

    Daily usages (GET .../usages, .../option-product-usages) are expanded from these periods rather than stored
    per day, so that 13 months of history for 10,000 customers stay small. end_date None = still running.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="usage_periods")
    subscription_id = models.BigIntegerField(null=True, blank=True)
    product_group_id = models.CharField(max_length=10, default="WORKS")
    product_id = models.CharField(max_length=5)
    plan = models.CharField(max_length=24)
    option_product_id = models.CharField(max_length=6, blank=True)  # empty for the subscription itself
    sub_option_id = models.CharField(max_length=10, blank=True)
    license_count = models.PositiveIntegerField(null=True, blank=True)
    member_count = models.PositiveIntegerField(default=0)
    max_member_count = models.PositiveIntegerField(null=True, blank=True)
    quantity = models.PositiveIntegerField(null=True, blank=True)
    usage_count = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, default="ACTIVE")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["customer", "start_date"])]


class Invoice(SandboxModel):
    invoice_no = models.BigAutoField(primary_key=True)
    invoice_year = models.PositiveSmallIntegerField()
    invoice_month = models.PositiveSmallIntegerField()
    partner_name = models.CharField(max_length=200)
    used_amount = models.BigIntegerField(default=0)
    option_plus_amount = models.BigIntegerField(default=0)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=10)
    used_tax_amount = models.BigIntegerField(default=0)
    option_plus_tax_amount = models.BigIntegerField(default=0)
    penalty_amount = models.BigIntegerField(default=0)
    total_amount = models.BigIntegerField(default=0)
    payment_status = models.CharField(max_length=6, choices=Choices.PAYMENT_STATES, default="UNPAID")
    paid_time = models.DateTimeField(null=True, blank=True)
    issued_time = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice_year", "invoice_month"], name="one_invoice_a_month")
        ]


class InvoiceDetail(SandboxModel):
    """One customer's part of a month's invoice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="details")
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, related_name="invoice_details", null=True, blank=True
    )
    domain_id = models.BigIntegerField()
    domain = models.CharField(max_length=255)
    customer_name = models.CharField(max_length=40)
    customer_code = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["invoice", "domain_id"])]


class SettlementItem(SandboxModel):
    detail = models.ForeignKey(InvoiceDetail, on_delete=models.CASCADE, related_name="settlement_items")
    position = models.PositiveSmallIntegerField(default=0)
    subscription_id = models.BigIntegerField(null=True, blank=True)
    item_type = models.CharField(max_length=16, choices=Choices.SETTLEMENT_ITEM_TYPES)
    start_date = models.DateField()
    end_date = models.DateField()
    item_id = models.CharField(max_length=20, blank=True)
    sub_item_id = models.CharField(max_length=20, blank=True)
    plan = models.CharField(max_length=24, blank=True)
    license_count = models.PositiveIntegerField(null=True, blank=True)
    member_count = models.PositiveIntegerField(default=0)
    quantity = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, blank=True)
    # x-unverified (SettlementItem.amount): the name "amount" is assumed; keep it in this one place.
    amount = models.BigIntegerField(null=True, blank=True)


# --- messaging: bots, the partner's own users and talk rooms, Incoming Webhook URLs, what was posted -------------


class Bot(SandboxModel):
    """A bot of the partner's own tenant (the Bot API's botId)."""

    bot_id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=100)


class WorksUser(SandboxModel):
    """A member of the partner's own tenant a bot can message, by user id or login email."""

    user_id = models.CharField(max_length=100, unique=True)
    email = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=100)


class TalkChannel(SandboxModel):
    """A talk room (channelId) and the bots that are members of it."""

    channel_id = models.CharField(max_length=100, primary_key=True)
    title = models.CharField(max_length=200)
    bots = models.ManyToManyField(Bot, related_name="channels", blank=True)


class WebhookRoom(SandboxModel):
    """An Incoming Webhook URL issued for a talk room: the token is the secret last segment of the URL."""

    token = models.CharField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    channel_id = models.CharField(max_length=100)
    seeded = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)


class SentMessage(SandboxModel):
    """A message the sandbox accepted, as posted, for tests to read back what a person would see."""

    USER, CHANNEL, WEBHOOK = "user", "channel", "webhook"
    KINDS = [(USER, USER), (CHANNEL, CHANNEL), (WEBHOOK, WEBHOOK)]

    kind = models.CharField(max_length=10, choices=KINDS)
    bot_id = models.BigIntegerField(null=True, blank=True)
    user_id = models.CharField(max_length=100, blank=True)  # the user's id, however the path named them
    addressed_as = models.CharField(max_length=200, blank=True)  # the path's userId: an id or a login email
    channel_id = models.CharField(max_length=100, blank=True)
    webhook_token = models.CharField(max_length=100, blank=True)
    webhook_title = models.CharField(max_length=200, blank=True)
    content = models.JSONField()  # the request body's `content` (bots) or the whole body (webhooks)
    received_at = models.DateTimeField()  # the sandbox clock's now (UTC)
    business_date = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["kind", "id"])]
