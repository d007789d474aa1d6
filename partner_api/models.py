"""Typed models of the Partner API's bodies: snake_case in Python, camelCase on the wire.

Responses are parsed leniently: unknown fields are kept (`model_extra`), and every enum-typed field accepts
values the contract does not list (the vendor's Japanese pages list more than the English ones): a known value
becomes the enum member, an unknown one stays a plain `str`. Compare with the enum members (they are `str`).

Request models are strict about the contract's enums. Optional request fields that the contract marks nullable
send `null` when given `None`; other optional fields are left out of the body when `None`.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from partner_api import constants

# --- Enumerations (known values) ------------------------------------------------------------------------


class ProductId(StrEnum):
    """Paid LINE WORKS products."""

    STD = "STD"
    ADV = "ADV"


class ProductIdWithTrial(StrEnum):
    """LINE WORKS products including Free and Trials (FR is x-unverified)."""

    FR = "FR"
    STD_T = "STD_T"
    ADV_T = "ADV_T"
    STD = "STD"
    ADV = "ADV"


class CustomerServiceProductId(StrEnum):
    """The product of one service a customer uses (Customer.productIds): LINE WORKS, LINE WORKS Roger (ROG_) and
    LINE WORKS AiNote (NTA_); the ROG_ and NTA_ values and FR are x-unverified."""

    FR = "FR"
    STD_T = "STD_T"
    ADV_T = "ADV_T"
    STD = "STD"
    ADV = "ADV"
    ROG_STD = "ROG_STD"
    ROG_ADV = "ROG_ADV"
    NTA_SL = "NTA_SL"
    NTA_TM = "NTA_TM"
    NTA_BZ = "NTA_BZ"
    NTA_EP = "NTA_EP"


class PotentialCustomerProductId(StrEnum):
    FR = "FR"
    LT_T = "LT_T"
    BS_T = "BS_T"
    PRM_T = "PRM_T"
    LT = "LT"
    BS = "BS"
    PRM = "PRM"
    STD_T = "STD_T"
    ADV_T = "ADV_T"
    STD = "STD"
    ADV = "ADV"


class PaidPlan(StrEnum):
    MONTHLY = "MONTHLY"
    ANNUAL_LICENSE = "ANNUAL_LICENSE"
    ANNUAL_PREPAY_LICENSE = "ANNUAL_PREPAY_LICENSE"


class Plan(StrEnum):
    """Contract types (FREE is x-unverified)."""

    FREE = "FREE"
    TRIAL = "TRIAL"
    MONTHLY = "MONTHLY"
    ANNUAL_LICENSE = "ANNUAL_LICENSE"
    ANNUAL_PREPAY_LICENSE = "ANNUAL_PREPAY_LICENSE"


class OptionProductId(StrEnum):
    ACV2 = "ACV2"
    DRV = "DRV"
    SSTG2 = "SSTG2"
    BCT = "BCT"


class SubOptionId(StrEnum):
    ACV200 = "ACV200"
    ACV201 = "ACV201"
    DRV00 = "DRV00"
    DRV01 = "DRV01"
    DRV_PS_T = "DRV_PS_T"
    DRV_PS = "DRV_PS"
    DRV_PA_T = "DRV_PA_T"
    DRV_PA = "DRV_PA"
    SSTG201 = "SSTG201"
    SSTG202 = "SSTG202"
    SSTG203 = "SSTG203"
    SSTG204 = "SSTG204"
    SSTG205 = "SSTG205"
    SSTG206 = "SSTG206"
    SSTG207 = "SSTG207"
    BCT01 = "BCT01"
    BCT02 = "BCT02"
    BCT03 = "BCT03"
    BCT04 = "BCT04"


class CustomerDomainType(StrEnum):
    DOMAIN = "DOMAIN"
    GROUP = "GROUP"


class CustomerLocale(StrEnum):
    JA_JP = "ja_JP"
    KO_KR = "ko_KR"
    EN_US = "en_US"
    ZH_TW = "zh_TW"
    ZH_CN = "zh_CN"


class CustomerCreateProductId(StrEnum):
    """Deprecated `productId` of createCustomer."""

    FR = "FR"
    STD_T = "STD_T"
    ADV_T = "ADV_T"


class CustomerUsageState(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED_ADMIN = "SUSPENDED_ADMIN"
    SUSPENDED_WITHDRAWAL = "SUSPENDED_WITHDRAWAL"


class SubscriptionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED_TRIALEND = "SUSPENDED_TRIALEND"


class SubscriptionRenewalType(StrEnum):
    STAY = "STAY"
    CHANGE = "CHANGE"
    CANCEL = "CANCEL"


class SubscriptionReservationType(StrEnum):
    CANCEL = "CANCEL"
    START_PAID_SERVICE = "START_PAID_SERVICE"
    ADD_LICENSE = "ADD_LICENSE"


class SubscriptionUpgradeProductId(StrEnum):
    ADV_T = "ADV_T"
    ADV = "ADV"


class OptionProductOrderType(StrEnum):
    APPLY = "APPLY"
    START_PAID_SERVICE = "START_PAID_SERVICE"
    CHANGE_QUANTITY = "CHANGE_QUANTITY"
    CANCEL = "CANCEL"


class OptionRenewalType(StrEnum):
    STAY = "STAY"
    CHANGE = "CHANGE"


class ProductGroupId(StrEnum):
    """productGroupId of usage rows (only WORKS is accepted as a query filter)."""

    WORKS = "WORKS"
    NOTE_AI = "NOTE_AI"
    ROGER = "ROGER"


class InvoicePaymentStatus(StrEnum):
    NONE = "NONE"
    PAID = "PAID"
    UNPAID = "UNPAID"


class SettlementItemType(StrEnum):
    PRODUCT = "PRODUCT"
    OPTION_PRODUCT = "OPTION_PRODUCT"
    OPTION_PLUS = "OPTION_PLUS"
    SUMMARY = "SUMMARY"
    ADJUSTMENT = "ADJUSTMENT"
    PENALTY = "PENALTY"


class CustomerOrderBy(StrEnum):
    NAME_ASC = "name asc"
    NAME_DESC = "name desc"


def wire_text(value: StrEnum | str | None) -> str:
    """A response enum field as the text the API sent (known member or unknown string; "" for None)."""
    return "" if value is None else str(value)


_E = TypeVar("_E", bound=StrEnum)

#: A response field type: the enum member for a known value, the plain string for an unknown one.
_Open = Annotated[_E | str, Field(union_mode="left_to_right")]


# --- Base classes ---------------------------------------------------------------------------------------


class ApiModel(BaseModel):
    """A response body (or part of one). Unknown fields are kept in `model_extra`."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True, protected_namespaces=()
    )


class RequestModel(BaseModel):
    """A request body. `to_wire()` gives the JSON object to send."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", protected_namespaces=()
    )

    #: Fields the contract marks nullable: None is sent as JSON null. Other fields are left out when None, in a
    #: nested request model too (by its own NULLABLE).
    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    def to_wire(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", by_alias=True, exclude_unset=True)
        aliases = {name: field.alias or name for name, field in type(self).model_fields.items()}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if isinstance(value, RequestModel):
                data[aliases[name]] = value.to_wire()
            elif isinstance(value, list) and value and all(isinstance(v, RequestModel) for v in value):
                data[aliases[name]] = [v.to_wire() for v in value]
        keep_null = {aliases[name] for name in self.NULLABLE}
        return {key: value for key, value in data.items() if value is not None or key in keep_null}


# --- Common ---------------------------------------------------------------------------------------------


class ResponseMetaData(ApiModel):
    next_cursor: str | None = None


class ErrorBody(ApiModel):
    code: str = ""
    description: str = ""


# --- Customers ------------------------------------------------------------------------------------------


class VerifyDomainRequest(RequestModel):
    domain: str


class VerifyDomainResponse(ApiModel):
    domain: str
    type: _Open[CustomerDomainType]


class CustomerAdministrator(ApiModel):
    last_name: str | None = None
    first_name: str | None = None
    id: str | None = None
    private_email: str | None = None
    cellphone: str | None = None
    country_code: str | None = None


class CustomerPartnership(ApiModel):
    status: str | None = None
    customer_code: str | None = None
    enable_partner_profile_display: bool | None = None
    memo: str | None = None


class Customer(ApiModel):
    tenant_id: int
    domain_id: int
    domain: str
    #: Deprecated and to be removed (LINE WORKS only): `works_product_id` reads it only without `product_ids`.
    product_id: _Open[ProductIdWithTrial] | None = None
    #: Every service's product; None when the answer has no productIds (an older server).
    product_ids: list[_Open[CustomerServiceProductId]] | None = None
    company_name: str
    phone_number: str
    time_zone: str
    locale: _Open[CustomerLocale]
    enable_active_mxrecord: bool
    enable_active_domain: bool
    domain_type: _Open[CustomerDomainType]
    administrator: CustomerAdministrator | None = None
    partnership: CustomerPartnership | None = None

    @property
    def works_product_id(self) -> ProductIdWithTrial | str | None:
        """The customer's LINE WORKS product: the LINE WORKS value of productIds (the other services' are ROG_
        and NTA_ products); productId, which the vendor is to remove, only when the answer has no productIds."""
        if self.product_ids is None:
            return self.product_id
        return next((p for p in self.product_ids if p in _WORKS_PRODUCTS), None)


#: The LINE WORKS values of productIds (the service the deprecated productId covered).
_WORKS_PRODUCTS = frozenset(ProductIdWithTrial)


class CustomerList(ApiModel):
    customers: list[Customer] = []
    response_meta_data: ResponseMetaData | None = None


class CustomerAdministratorCreate(RequestModel):
    last_name: str = Field(max_length=80)
    first_name: str | None = None
    password: str = Field(min_length=8, max_length=20, repr=False)
    id: str = Field(min_length=2, max_length=40)
    private_email: str
    cellphone: str | None = None
    country_code: str | None = None


class CustomerPartnershipCreate(RequestModel):
    enable_partner_profile_display: bool | None = None


class CustomerCreateRequest(RequestModel):
    domain: str = Field(min_length=2, max_length=22)
    product_id: CustomerCreateProductId | None = None
    company_name: str = Field(max_length=40)
    phone_number: str
    time_zone: str
    locale: CustomerLocale
    administrator: CustomerAdministratorCreate | None = None
    partnership: CustomerPartnershipCreate | None = None


class CustomerPartnershipUpdate(RequestModel):
    customer_code: str | None = Field(default=None, max_length=200)
    enable_partner_profile_display: bool | None = None
    memo: str | None = Field(default=None, max_length=700)


class CustomerPatchRequest(RequestModel):
    company_name: str | None = Field(default=None, max_length=40)
    phone_number: str | None = None
    time_zone: str | None = None
    locale: CustomerLocale | None = None
    partnership: CustomerPartnershipUpdate | None = None


class CustomerUpdateRequest(RequestModel):
    company_name: str = Field(max_length=40)
    phone_number: str
    time_zone: str
    locale: CustomerLocale
    partnership: CustomerPartnershipUpdate | None = None


class UpgradeDomainMxRecordValue(ApiModel):
    priority10: str | None = None
    priority20: str | None = None


class UpgradeDomain(ApiModel):
    domain: str | None = None
    is_active_domain: bool = False
    cname_host: str | None = None
    cname_target: str | None = None
    txt_host: str | None = None
    txt_token: str | None = None
    mx_record_host: str | None = None
    mx_record_value: UpgradeDomainMxRecordValue | None = None


class UpgradeDomainCreateRequest(RequestModel):
    domain: str


class ChangeDomainRequest(RequestModel):
    domain: str | None = None


class PotentialCustomer(ApiModel):
    tenant_id: int | None = None
    domain_id: int | None = None
    domain: str | None = None
    product_id: _Open[PotentialCustomerProductId] | None = None
    not_handled_apps: list[str] = []


class UsageStatusRenewal(ApiModel):
    max_member_count: int | None = None
    apply_date: date


class UsageStatus(ApiModel):
    domain_id: int | None = None
    status: _Open[CustomerUsageState] | None = None
    member_count: int | None = None
    max_member_count: int | None = None
    withdrawal_date: date | None = None
    renewal: UsageStatusRenewal | None = None


class UsageStatusPatchRequest(RequestModel):
    NULLABLE = frozenset({"max_member_count", "withdrawal_date"})

    max_member_count: int | None = None
    withdrawal_date: date | None = None


class UsageStatusRenewalCreateRequest(RequestModel):
    NULLABLE = frozenset({"max_member_count"})

    apply_date: date
    max_member_count: int | None = Field(default=None, le=1_000_000)


class UsageStatusRenewalUpdateRequest(RequestModel):
    apply_date: date


# --- Subscriptions --------------------------------------------------------------------------------------


class SubscriptionRenewal(ApiModel):
    subscription_id: int
    type: _Open[SubscriptionRenewalType]
    product_id: _Open[ProductId] | None = None
    plan: _Open[PaidPlan] | None = None
    license_count: int | None = None


class Subscription(ApiModel):
    domain_id: int
    subscription_id: int
    product_id: _Open[ProductIdWithTrial]
    plan: _Open[Plan]
    plan_start_date: date
    plan_end_date: date | None = None
    license_assign_type: str | None = None
    license_count: int | None = None
    status: _Open[SubscriptionStatus]
    renewal: SubscriptionRenewal | None = None


class SubscriptionList(ApiModel):
    subscriptions: list[Subscription] = []


class SubscriptionRenewalUpdateRequest(RequestModel):
    type: SubscriptionRenewalType
    product_id: ProductId | None = None
    plan: PaidPlan | None = None
    license_count: int | None = Field(default=None, le=1_000_000)


class SubscriptionCreateRequest(RequestModel):
    NULLABLE = frozenset({"license_count"})

    product_id: ProductIdWithTrial
    plan: Plan
    license_count: int | None = Field(default=None, le=1_000_000)


class SubscriptionPaidServiceRequest(RequestModel):
    NULLABLE = frozenset({"license_count"})

    plan: PaidPlan
    product_id: ProductId | None = None
    license_count: int | None = None


class SubscriptionUpgradeRequest(RequestModel):
    product_id: SubscriptionUpgradeProductId


class SubscriptionAddLicenseCountRequest(RequestModel):
    """Body of addSubscriptionLicenseCount; its wire name is `constants.ADD_LICENSE_COUNT_FIELD`."""

    license_count: int = Field(ge=1, le=1_000_000, alias=constants.ADD_LICENSE_COUNT_FIELD)


class SubscriptionReservation(ApiModel):
    subscription_id: int
    type: _Open[SubscriptionReservationType]
    apply_date: date
    plan: _Open[PaidPlan] | None = None
    product_id: _Open[ProductId] | None = None
    license_count: int | None = None


class SubscriptionReservationCreateRequest(RequestModel):
    type: SubscriptionReservationType
    apply_date: date
    license_count: int | None = Field(default=None, le=1_000_000)
    plan: PaidPlan | None = None
    product_id: ProductId | None = None


class SubscriptionReservationUpdateRequest(RequestModel):
    apply_date: date


class SubscriptionPreOrder(ApiModel):
    pre_order_id: int
    product_id: _Open[ProductId] | None = None
    apply_date: date
    plan: _Open[PaidPlan] | None = None
    license_count: int | None = None


class SubscriptionPreOrderList(ApiModel):
    subscription_pre_orders: list[SubscriptionPreOrder] = []


class SubscriptionPreOrderCreateRequest(RequestModel):
    NULLABLE = frozenset({"license_count"})

    apply_date: date
    product_id: ProductId
    plan: PaidPlan | None = None
    license_count: int | None = None


class SubscriptionPreOrderUpdateRequest(RequestModel):
    apply_date: date


# --- Options --------------------------------------------------------------------------------------------


class OptionProduct(ApiModel):
    subscription_id: int
    option_product_id: _Open[OptionProductId]
    sub_option_id: _Open[SubOptionId]
    applied_time: datetime
    quantity: int | None = None
    plan: _Open[Plan]
    plan_start_date: date
    plan_end_date: date


class OptionProductList(ApiModel):
    option_products: list[OptionProduct] = []


class OptionProductCreateRequest(RequestModel):
    NULLABLE = frozenset({"quantity"})

    option_product_id: OptionProductId
    sub_option_id: SubOptionId
    quantity: int | None = Field(default=None, ge=1)


class OptionProductUpgradeRequest(RequestModel):
    sub_option_id: SubOptionId


class OptionProductAddQuantityRequest(RequestModel):
    """Body of addOptionProductQuantity; its wire name is `constants.ADD_OPTION_QUANTITY_FIELD`."""

    quantity: int = Field(ge=1, alias=constants.ADD_OPTION_QUANTITY_FIELD)


class OptionProductOrder(ApiModel):
    subscription_id: int | None = None
    option_product_id: _Open[OptionProductId]
    sub_option_id: _Open[SubOptionId]
    type: _Open[OptionProductOrderType]
    quantity: int | None = None
    apply_date: date


class OptionProductOrderList(ApiModel):
    option_product_orders: list[OptionProductOrder] = []


class OptionProductOrderCreateRequest(RequestModel):
    NULLABLE = frozenset({"quantity"})

    option_product_id: OptionProductId
    sub_option_id: SubOptionId
    type: OptionProductOrderType
    quantity: int | None = Field(default=None, ge=1)
    apply_date: date


class OptionProductOrderUpdateRequest(RequestModel):
    NULLABLE = frozenset({"quantity"})

    apply_date: date | None = None
    sub_option_id: SubOptionId | None = None
    quantity: int | None = Field(default=None, ge=1)


class OptionProductRenewal(ApiModel):
    subscription_id: int | None = None
    option_product_id: _Open[OptionProductId] | None = None
    sub_option_id: _Open[SubOptionId] | None = None
    type: _Open[OptionRenewalType] | None = None
    quantity: int | None = None


class OptionProductRenewalUpdateRequest(RequestModel):
    NULLABLE = frozenset({"quantity"})

    type: OptionRenewalType
    sub_option_id: SubOptionId | None = None
    quantity: int | None = Field(default=None, ge=1)


class OptionProductUsage(ApiModel):
    product_group_id: _Open[ProductGroupId]
    option_product_id: _Open[OptionProductId]
    sub_option_id: _Open[SubOptionId]
    used_date: date
    plan: _Open[Plan]
    member_count: int | None = None
    license_count: int | None = None
    quantity: int | None = None
    usage_count: int | None = None


class OptionProductUsageList(ApiModel):
    option_product_usages: list[OptionProductUsage] = []


class CustomerUsage(ApiModel):
    product_group_id: _Open[ProductGroupId]
    used_date: date
    product_id: _Open[ProductIdWithTrial]
    plan: _Open[Plan]
    license_count: int | None = None
    member_count: int | None = None
    max_member_count: int | None = None
    status: _Open[CustomerUsageState]


class CustomerUsageList(ApiModel):
    usages: list[CustomerUsage] = []


# --- Billing --------------------------------------------------------------------------------------------


class Invoice(ApiModel):
    invoice_no: int | None = None
    invoice_year: int | None = None
    invoice_month: int | None = None
    partner_name: str | None = None
    used_amount: int | None = None
    option_plus_amount: int | None = None
    tax_rate: float | None = None
    used_tax_amount: int | None = None
    option_plus_tax_amount: int | None = None
    penalty_amount: int | None = None
    total_amount: int | None = None
    payment_status: _Open[InvoicePaymentStatus] | None = None
    paid_time: datetime | None = None
    issued_time: datetime | None = None


class InvoiceList(ApiModel):
    invoices: list[Invoice] = []


class SettlementItem(ApiModel):
    """One invoice line. `amount` is x-unverified; its wire name is `constants.SETTLEMENT_ITEM_AMOUNT_FIELD`."""

    amount: int | None = Field(default=None, alias=constants.SETTLEMENT_ITEM_AMOUNT_FIELD)
    subscription_id: int | None = None
    item_type: _Open[SettlementItemType] | None = None
    start_date: date | None = None
    end_date: date | None = None
    item_id: str | None = None
    sub_item_id: str | None = None
    plan: _Open[Plan] | None = None
    license_count: int | None = None
    member_count: int | None = None
    quantity: int | None = None
    status: str | None = None


class InvoiceDetail(ApiModel):
    domain_id: int | None = None
    domain: str | None = None
    customer_name: str | None = None
    customer_code: str | None = None
    settlement_items: list[SettlementItem] = []


class InvoiceDetailList(ApiModel):
    invoice_details: list[InvoiceDetail] = []
    response_meta_data: ResponseMetaData | None = None
