"""`PartnerClient`: one method per operation of the Partner API contract.

Naming: the operationId in snake_case (`createSubscriptionPreOrder` → `create_subscription_pre_order`).
Arguments are keyword-only and snake_case; path parameters first (`domain_id`, `subscription_id`, ...), then
the body's fields. Optional body fields default to "leave out"; a field the contract marks nullable defaults to
`UNSET`, so that passing `None` sends an explicit JSON null (e.g. `patch_usage_status(max_member_count=None)`
removes the member cap).

Every method returns a typed model from `partner_api.models` (None for operations without a body) and raises a
`partner_api.errors.PartnerApiError` subclass on failure. Common to every operation: `AuthenticationError`
(401 after one token refresh), `ForbiddenError` (403), `RateLimitedError` (429 after bounded retries),
`ServerError` (5xx), `TransportError` (timeout/connection) and, for writes, `OutcomeUnknownError`.
Paginated listings also have an `iter_*` method that follows the cursors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from enum import Enum
from typing import Any, TypeVar, overload

import pydantic
import requests

from partner_api import constants
from partner_api import models as m
from partner_api.auth import TokenProvider
from partner_api.errors import PartnerApiError
from partner_api.exchange import Exchange
from partner_api.operations import OPERATIONS
from partner_api.pagination import iterate_items, iterate_pages
from partner_api.ratelimit import RateLimiter
from partner_api.transport import Observer, Transport, recording_exchanges


class _Unset(Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


#: Default of nullable optional arguments: "not given", as opposed to None (send JSON null).
UNSET = _Unset.UNSET
Unset = _Unset


M = TypeVar("M", bound=pydantic.BaseModel)


def _given(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not UNSET}


class PartnerClient:
    """The Partner API. Build one per process (it keeps a connection pool) and share it between threads."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: TokenProvider,
        limiter: RateLimiter | None = None,
        connect_timeout: float = constants.DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = constants.DEFAULT_READ_TIMEOUT,
        max_retries: int = constants.DEFAULT_MAX_RETRIES,
        transport: Transport | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.auth = auth
        self.transport = transport or Transport(
            base_url=base_url,
            auth=auth,
            limiter=limiter,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_retries=max_retries,
            observer=observer,
        )

    def close(self) -> None:
        self.transport.close()

    def make_room(self, threads: int) -> None:
        """Size the connection pool for `threads` threads calling at once (before they start)."""
        self.transport.session.make_room(threads)

    def exchange(self, send: Callable[[PartnerClient], Any]) -> Exchange:
        """Make one write, `send(self)` (e.g. `lambda c: c.create_subscription_pre_order(...)`), and return it
        as an `Exchange`: the body this client built and sent, the status that came back, and the parsed reply.

        A failure raises the usual `PartnerApiError`, with `.exchange` set to what was sent (and the status,
        if an answer came), so the caller can record exactly what was attempted.
        """
        with recording_exchanges() as seen:
            try:
                reply = send(self)
            except PartnerApiError as exc:
                exc.exchange = seen[-1] if seen else Exchange(exc.operation_id)
                raise
        last = seen[-1] if seen else Exchange("")
        last.reply = reply
        return last

    @overload
    def _call(
        self,
        operation_id: str,
        model: type[M],
        *,
        body: m.RequestModel | None = None,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> M: ...

    @overload
    def _call(
        self,
        operation_id: str,
        model: None = None,
        *,
        body: m.RequestModel | None = None,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> requests.Response: ...

    def _call(
        self,
        operation_id: str,
        model: type[M] | None = None,
        *,
        body: m.RequestModel | None = None,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> M | requests.Response:
        """One call of `operation_id`: the parsed `model`, or the raw response when `model` is None."""
        operation = OPERATIONS[operation_id]
        wire = body.to_wire() if body is not None else None
        if model is None:
            return self.transport.call(operation, path_params=path_params, query=query, body=wire)
        return self.transport.call(operation, path_params=path_params, query=query, body=wire, model=model)

    # ===================================================================================== customers ==

    def verify_customer_domain(self, *, domain: str) -> m.VerifyDomainResponse:
        """Check whether a domain can be used for a new customer (verifyCustomerDomain).

        Raises RejectedError when the domain is taken or malformed (INVALID_PARAMETER, ALREADY_EXIST).
        """
        body = m.VerifyDomainRequest(domain=domain)
        return self._call("verifyCustomerDomain", m.VerifyDomainResponse, body=body)

    def create_customer(
        self,
        *,
        domain: str,
        company_name: str,
        phone_number: str,
        time_zone: str,
        locale: m.CustomerLocale | str,
        administrator: m.CustomerAdministratorCreate | None = None,
        partnership: m.CustomerPartnershipCreate | None = None,
        product_id: m.CustomerCreateProductId | None = None,
    ) -> m.Customer:
        """Create a customer tenant (createCustomer). `product_id` is deprecated by the vendor.

        Raises RejectedError on business-rule or field errors (e.g. domain already exists: 409);
        OutcomeUnknownError on a timeout (read the customer list back before trying again).
        """
        body = m.CustomerCreateRequest(
            domain=domain,
            company_name=company_name,
            phone_number=phone_number,
            time_zone=time_zone,
            locale=locale,
            administrator=administrator,
            partnership=partnership,
            product_id=product_id,
        )
        return self._call("createCustomer", m.Customer, body=body)

    def list_customers(
        self,
        *,
        domain: str | None = None,
        count: int | None = None,
        cursor: str | None = None,
        order_by: m.CustomerOrderBy | str | None = None,
    ) -> m.CustomerList:
        """One page of customers (listCustomers); `count` at most 30. See `iter_customers` for all pages.

        Raises RejectedError for an invalid count, cursor or orderBy.
        """
        query = {"domain": domain, "count": count, "cursor": cursor, "orderBy": _str(order_by)}
        return self._call("listCustomers", m.CustomerList, query=query)

    def iter_customers(
        self,
        *,
        domain: str | None = None,
        order_by: m.CustomerOrderBy | str | None = None,
        max_pages: int = constants.DEFAULT_MAX_PAGES,
    ) -> Iterator[m.Customer]:
        """Every customer, following the cursors of listCustomers with the largest page size.

        Raises PaginationError past `max_pages` pages, plus the errors of `list_customers`.
        """
        size = constants.MAX_PAGE_SIZE["listCustomers"]
        pages = iterate_pages(
            lambda cursor: self.list_customers(domain=domain, count=size, cursor=cursor, order_by=order_by),
            operation_id="listCustomers",
            max_pages=max_pages,
        )
        return iterate_items(pages, lambda page: page.customers)

    def get_customer(self, *, domain_id: int) -> m.Customer:
        """One customer (getCustomer). Raises NotFoundError for an unknown domainId."""
        return self._call("getCustomer", m.Customer, path_params={"domainId": domain_id})

    def update_customer(
        self,
        *,
        domain_id: int,
        company_name: str,
        phone_number: str,
        time_zone: str,
        locale: m.CustomerLocale | str,
        partnership: m.CustomerPartnershipUpdate | None = None,
    ) -> m.Customer:
        """Replace a customer's editable properties (updateCustomer, PUT: omitted ones are reset).

        Raises NotFoundError for an unknown domainId, RejectedError on field errors.
        """
        body = m.CustomerUpdateRequest(
            company_name=company_name,
            phone_number=phone_number,
            time_zone=time_zone,
            locale=locale,
            partnership=partnership,
        )
        return self._call("updateCustomer", m.Customer, path_params={"domainId": domain_id}, body=body)

    def patch_customer(
        self,
        *,
        domain_id: int,
        company_name: str | None = None,
        phone_number: str | None = None,
        time_zone: str | None = None,
        locale: m.CustomerLocale | str | None = None,
        partnership: m.CustomerPartnershipUpdate | None = None,
    ) -> m.Customer:
        """Change only the given properties of a customer (patchCustomer).

        Raises NotFoundError for an unknown domainId, RejectedError on field errors,
        OutcomeUnknownError on a timeout.
        """
        body = m.CustomerPatchRequest(
            company_name=company_name,
            phone_number=phone_number,
            time_zone=time_zone,
            locale=locale,
            partnership=partnership,
        )
        return self._call("patchCustomer", m.Customer, path_params={"domainId": domain_id}, body=body)

    def delete_customer(self, *, domain_id: int) -> bool:
        """Delete (withdraw) a customer (deleteCustomer).

        Returns True when the API accepted the deletion for later (202), False when it was done at once (204).
        Raises NotFoundError for an unknown domainId, RejectedError when the rules forbid it now.
        """
        response = self._call("deleteCustomer", path_params={"domainId": domain_id})
        return response.status_code == 202

    def get_upgrade_domain(self, *, domain_id: int) -> m.UpgradeDomain:
        """The DNS records to verify for a group-to-domain upgrade (getUpgradeDomain).

        Raises NotFoundError when the customer or the upgrade does not exist.
        """
        return self._call("getUpgradeDomain", m.UpgradeDomain, path_params={"domainId": domain_id})

    def create_upgrade_domain(self, *, domain_id: int, domain: str) -> m.UpgradeDomain:
        """Start upgrading a group customer to its own domain (createUpgradeDomain).

        Raises RejectedError when the domain is invalid or taken, OutcomeUnknownError on a timeout.
        """
        body = m.UpgradeDomainCreateRequest(domain=domain)
        return self._call(
            "createUpgradeDomain", m.UpgradeDomain, path_params={"domainId": domain_id}, body=body
        )

    def delete_upgrade_domain(self, *, domain_id: int) -> None:
        """Abandon a pending domain upgrade (deleteUpgradeDomain). Raises NotFoundError if there is none."""
        self._call("deleteUpgradeDomain", path_params={"domainId": domain_id})

    def activate_customer(self, *, domain_id: int) -> m.Customer:
        """Activate the customer's domain once its DNS is verified (activateCustomer).

        Raises RejectedError when the DNS records are not in place yet, NotFoundError for an unknown domainId.
        """
        return self._call("activateCustomer", m.Customer, path_params={"domainId": domain_id})

    def change_customer_domain(self, *, domain_id: int, domain: str) -> None:
        """Change the customer's domain name (changeCustomerDomain).

        Raises RejectedError when the new domain is invalid or taken, OutcomeUnknownError on a timeout.
        """
        body = m.ChangeDomainRequest(domain=domain)
        self._call("changeCustomerDomain", path_params={"domainId": domain_id}, body=body)

    def get_potential_customer(self, *, domain: str, partner_code: str) -> m.PotentialCustomer:
        """A tenant that may be transferred to this partner (getPotentialCustomer).

        Raises NotFoundError for an unknown domain, RejectedError for a wrong partner code.
        """
        return self._call(
            "getPotentialCustomer",
            m.PotentialCustomer,
            path_params={"domain": domain},
            query={"partnerCode": partner_code},
        )

    def transfer_potential_customer(self, *, domain: str, partner_code: str) -> m.Customer:
        """Take over a potential customer (transferPotentialCustomer).

        Raises NotFoundError for an unknown domain, RejectedError when it cannot be transferred,
        OutcomeUnknownError on a timeout.
        """
        return self._call(
            "transferPotentialCustomer",
            m.Customer,
            path_params={"domain": domain},
            query={"partnerCode": partner_code},
        )

    def get_usage_status(self, *, domain_id: int) -> m.UsageStatus:
        """Usage state, member count and cap, withdrawal date (getUsageStatus). Raises NotFoundError."""
        return self._call("getUsageStatus", m.UsageStatus, path_params={"domainId": domain_id})

    def patch_usage_status(
        self,
        *,
        domain_id: int,
        max_member_count: int | None | Unset = UNSET,
        withdrawal_date: date | None | Unset = UNSET,
    ) -> m.UsageStatus:
        """Set or clear (None) the member cap and the withdrawal date (patchUsageStatus).

        Raises RejectedError when the date or cap breaks the rules, NotFoundError, OutcomeUnknownError.
        """
        body = m.UsageStatusPatchRequest(
            **_given(max_member_count=max_member_count, withdrawal_date=withdrawal_date)
        )
        return self._call("patchUsageStatus", m.UsageStatus, path_params={"domainId": domain_id}, body=body)

    def create_usage_status_renewal(
        self, *, domain_id: int, apply_date: date, max_member_count: int | None | Unset = UNSET
    ) -> m.UsageStatus:
        """Schedule a new member cap from `apply_date` (createUsageStatusRenewal).

        Raises RejectedError when the date or cap breaks the rules, NotFoundError, OutcomeUnknownError.
        """
        body = m.UsageStatusRenewalCreateRequest(
            apply_date=apply_date, **_given(max_member_count=max_member_count)
        )
        return self._call(
            "createUsageStatusRenewal", m.UsageStatus, path_params={"domainId": domain_id}, body=body
        )

    def patch_usage_status_renewal(self, *, domain_id: int, apply_date: date) -> m.UsageStatus:
        """Move the scheduled member-cap change (patchUsageStatusRenewal).

        Raises NotFoundError when nothing is scheduled, RejectedError for a date outside the rules.
        """
        body = m.UsageStatusRenewalUpdateRequest(apply_date=apply_date)
        return self._call(
            "patchUsageStatusRenewal", m.UsageStatus, path_params={"domainId": domain_id}, body=body
        )

    def delete_usage_status_renewal(self, *, domain_id: int) -> None:
        """Cancel the scheduled member-cap change (deleteUsageStatusRenewal). Raises NotFoundError."""
        self._call("deleteUsageStatusRenewal", path_params={"domainId": domain_id})

    # ================================================================================= subscriptions ==

    def list_subscriptions(self, *, domain_id: int) -> m.SubscriptionList:
        """Every subscription of a customer (listSubscriptions; not paginated). Raises NotFoundError."""
        return self._call("listSubscriptions", m.SubscriptionList, path_params={"domainId": domain_id})

    def create_subscription(
        self,
        *,
        domain_id: int,
        product_id: m.ProductIdWithTrial | str,
        plan: m.Plan | str,
        license_count: int | None | Unset = UNSET,
    ) -> m.Subscription:
        """Add a subscription to a customer (createSubscription).

        Raises RejectedError when the product/plan is not allowed now, NotFoundError, OutcomeUnknownError.
        """
        body = m.SubscriptionCreateRequest(
            product_id=product_id, plan=plan, **_given(license_count=license_count)
        )
        return self._call(
            "createSubscription", m.Subscription, path_params={"domainId": domain_id}, body=body
        )

    def get_subscription(self, *, domain_id: int, subscription_id: int | str) -> m.Subscription:
        """One subscription (getSubscription). Raises NotFoundError."""
        return self._call("getSubscription", m.Subscription, path_params=_sub(domain_id, subscription_id))

    def cancel_subscription(self, *, domain_id: int, subscription_id: int | str) -> None:
        """Cancel a subscription (cancelSubscription). Raises NotFoundError, RejectedError (rules)."""
        self._call("cancelSubscription", path_params=_sub(domain_id, subscription_id))

    def convert_subscription_to_paid(
        self,
        *,
        domain_id: int,
        subscription_id: int | str,
        plan: m.PaidPlan | str,
        product_id: m.ProductId | str | None = None,
        license_count: int | None | Unset = UNSET,
    ) -> m.Subscription:
        """Turn a Trial into a paid subscription now (convertSubscriptionToPaid).

        Raises RejectedError (not a Trial, license count missing for license plans), NotFoundError,
        OutcomeUnknownError.
        """
        body = m.SubscriptionPaidServiceRequest(
            plan=plan, product_id=product_id, **_given(license_count=license_count)
        )
        return self._call(
            "convertSubscriptionToPaid",
            m.Subscription,
            path_params=_sub(domain_id, subscription_id),
            body=body,
        )

    def upgrade_subscription(
        self, *, domain_id: int, subscription_id: int | str, product_id: m.SubscriptionUpgradeProductId | str
    ) -> m.Subscription:
        """Upgrade Standard to Advanced now (upgradeSubscription).

        Raises RejectedError when the upgrade is not allowed, NotFoundError, OutcomeUnknownError.
        """
        body = m.SubscriptionUpgradeRequest(product_id=product_id)
        return self._call(
            "upgradeSubscription", m.Subscription, path_params=_sub(domain_id, subscription_id), body=body
        )

    def add_subscription_license_count(
        self, *, domain_id: int, subscription_id: int | str, license_count: int
    ) -> m.Subscription:
        """Add `license_count` licenses to an annual subscription now (addSubscriptionLicenseCount).

        The body's field name is x-unverified (`constants.ADD_LICENSE_COUNT_FIELD`).
        Raises RejectedError (not an annual plan, over the maximum), NotFoundError, OutcomeUnknownError.
        """
        body = m.SubscriptionAddLicenseCountRequest(license_count=license_count)
        return self._call(
            "addSubscriptionLicenseCount",
            m.Subscription,
            path_params=_sub(domain_id, subscription_id),
            body=body,
        )

    def create_subscription_pre_order(
        self,
        *,
        domain_id: int,
        apply_date: date,
        product_id: m.ProductId | str,
        plan: m.PaidPlan | str | None = None,
        license_count: int | None | Unset = UNSET,
    ) -> m.SubscriptionPreOrderList:
        """Order a paid subscription to start on `apply_date` (createSubscriptionPreOrder).

        Raises RejectedError (date outside the allowed window, a pre-order already exists, license count
        rules), NotFoundError, OutcomeUnknownError (list the pre-orders to find out).
        """
        body = m.SubscriptionPreOrderCreateRequest(
            apply_date=apply_date, product_id=product_id, plan=plan, **_given(license_count=license_count)
        )
        return self._call(
            "createSubscriptionPreOrder",
            m.SubscriptionPreOrderList,
            path_params={"domainId": domain_id},
            body=body,
        )

    def list_subscription_pre_orders(self, *, domain_id: int) -> m.SubscriptionPreOrderList:
        """Pending pre-orders of a customer (listSubscriptionPreOrders). Raises NotFoundError."""
        return self._call(
            "listSubscriptionPreOrders", m.SubscriptionPreOrderList, path_params={"domainId": domain_id}
        )

    def update_subscription_pre_order(
        self, *, domain_id: int, pre_order_id: int, apply_date: date
    ) -> m.SubscriptionPreOrderList:
        """Move a pre-order's start date (updateSubscriptionPreOrder).

        Raises NotFoundError, RejectedError (date outside the window), OutcomeUnknownError.
        """
        body = m.SubscriptionPreOrderUpdateRequest(apply_date=apply_date)
        return self._call(
            "updateSubscriptionPreOrder",
            m.SubscriptionPreOrderList,
            path_params={"domainId": domain_id, "preOrderId": pre_order_id},
            body=body,
        )

    def delete_subscription_pre_order(self, *, domain_id: int, pre_order_id: int) -> None:
        """Withdraw a pre-order (deleteSubscriptionPreOrder). Raises NotFoundError, RejectedError."""
        self._call(
            "deleteSubscriptionPreOrder", path_params={"domainId": domain_id, "preOrderId": pre_order_id}
        )

    def create_subscription_reservation(
        self,
        *,
        domain_id: int,
        subscription_id: int | str,
        type: m.SubscriptionReservationType | str,
        apply_date: date,
        license_count: int | None = None,
        plan: m.PaidPlan | str | None = None,
        product_id: m.ProductId | str | None = None,
    ) -> m.SubscriptionReservation:
        """Schedule a cancellation, start of paid service or license addition (createSubscriptionReservation).

        Raises RejectedError (date window, a reservation already exists, missing fields for the type),
        NotFoundError, OutcomeUnknownError.
        """
        body = m.SubscriptionReservationCreateRequest(
            type=type, apply_date=apply_date, license_count=license_count, plan=plan, product_id=product_id
        )
        return self._call(
            "createSubscriptionReservation",
            m.SubscriptionReservation,
            path_params=_sub(domain_id, subscription_id),
            body=body,
        )

    def get_subscription_reservation(
        self, *, domain_id: int, subscription_id: int | str
    ) -> m.SubscriptionReservation:
        """The scheduled change of a subscription (getSubscriptionReservation). Raises NotFoundError."""
        return self._call(
            "getSubscriptionReservation",
            m.SubscriptionReservation,
            path_params=_sub(domain_id, subscription_id),
        )

    def update_subscription_reservation(
        self, *, domain_id: int, subscription_id: int | str, apply_date: date
    ) -> m.SubscriptionReservation:
        """Move the scheduled change (updateSubscriptionReservation).

        Raises NotFoundError, RejectedError (date window), OutcomeUnknownError.
        """
        body = m.SubscriptionReservationUpdateRequest(apply_date=apply_date)
        return self._call(
            "updateSubscriptionReservation",
            m.SubscriptionReservation,
            path_params=_sub(domain_id, subscription_id),
            body=body,
        )

    def delete_subscription_reservation(self, *, domain_id: int, subscription_id: int | str) -> None:
        """Cancel the scheduled change (deleteSubscriptionReservation). Raises NotFoundError."""
        self._call("deleteSubscriptionReservation", path_params=_sub(domain_id, subscription_id))

    def get_subscription_renewal(
        self, *, domain_id: int, subscription_id: int | str
    ) -> m.SubscriptionRenewal:
        """What happens at the next renewal (getSubscriptionRenewal). Raises NotFoundError."""
        return self._call(
            "getSubscriptionRenewal", m.SubscriptionRenewal, path_params=_sub(domain_id, subscription_id)
        )

    def update_subscription_renewal(
        self,
        *,
        domain_id: int,
        subscription_id: int | str,
        type: m.SubscriptionRenewalType | str,
        product_id: m.ProductId | str | None = None,
        plan: m.PaidPlan | str | None = None,
        license_count: int | None = None,
    ) -> m.SubscriptionRenewal:
        """Keep, change or cancel at the next renewal (updateSubscriptionRenewal).

        Raises RejectedError (not allowed for this plan or too late), NotFoundError, OutcomeUnknownError.
        """
        body = m.SubscriptionRenewalUpdateRequest(
            type=type, product_id=product_id, plan=plan, license_count=license_count
        )
        return self._call(
            "updateSubscriptionRenewal",
            m.SubscriptionRenewal,
            path_params=_sub(domain_id, subscription_id),
            body=body,
        )

    # ======================================================================================= options ==

    def create_option_product(
        self,
        *,
        domain_id: int,
        option_product_id: m.OptionProductId | str,
        sub_option_id: m.SubOptionId | str,
        quantity: int | None | Unset = UNSET,
    ) -> m.OptionProduct:
        """Add an option now (createOptionProduct).

        Raises RejectedError (option already used, sub-option not of this option), NotFoundError,
        OutcomeUnknownError.
        """
        body = m.OptionProductCreateRequest(
            option_product_id=option_product_id, sub_option_id=sub_option_id, **_given(quantity=quantity)
        )
        return self._call(
            "createOptionProduct", m.OptionProduct, path_params={"domainId": domain_id}, body=body
        )

    def list_option_products(self, *, domain_id: int) -> m.OptionProductList:
        """Options in use by a customer (listOptionProducts). Raises NotFoundError."""
        return self._call("listOptionProducts", m.OptionProductList, path_params={"domainId": domain_id})

    def cancel_option_product(self, *, domain_id: int, option_product_id: m.OptionProductId | str) -> None:
        """Cancel an option (cancelOptionProduct). Raises NotFoundError, RejectedError."""
        self._call("cancelOptionProduct", path_params=_opt(domain_id, option_product_id))

    def upgrade_option_product(
        self,
        *,
        domain_id: int,
        option_product_id: m.OptionProductId | str,
        sub_option_id: m.SubOptionId | str,
    ) -> m.OptionProduct:
        """Move an option to a larger sub-option now (upgradeOptionProduct).

        Raises RejectedError (not an upgrade), NotFoundError, OutcomeUnknownError.
        """
        body = m.OptionProductUpgradeRequest(sub_option_id=sub_option_id)
        return self._call(
            "upgradeOptionProduct", m.OptionProduct, path_params=_opt(domain_id, option_product_id), body=body
        )

    def add_option_product_quantity(
        self, *, domain_id: int, option_product_id: m.OptionProductId | str, quantity: int
    ) -> m.OptionProduct:
        """Add units to a quantity-based option now (addOptionProductQuantity; body x-unverified).

        Raises RejectedError, NotFoundError, OutcomeUnknownError.
        """
        body = m.OptionProductAddQuantityRequest(quantity=quantity)
        return self._call(
            "addOptionProductQuantity",
            m.OptionProduct,
            path_params=_opt(domain_id, option_product_id),
            body=body,
        )

    def get_option_product_renewal(
        self, *, domain_id: int, option_product_id: m.OptionProductId | str
    ) -> m.OptionProductRenewal:
        """What happens to an option at renewal (getOptionProductRenewal). Raises NotFoundError."""
        return self._call(
            "getOptionProductRenewal", m.OptionProductRenewal, path_params=_opt(domain_id, option_product_id)
        )

    def update_option_product_renewal(
        self,
        *,
        domain_id: int,
        option_product_id: m.OptionProductId | str,
        type: m.OptionRenewalType | str,
        sub_option_id: m.SubOptionId | str | None = None,
        quantity: int | None | Unset = UNSET,
    ) -> m.OptionProductRenewal:
        """Keep or change an option at renewal (updateOptionProductRenewal).

        Raises RejectedError, NotFoundError, OutcomeUnknownError.
        """
        body = m.OptionProductRenewalUpdateRequest(
            type=type, sub_option_id=sub_option_id, **_given(quantity=quantity)
        )
        return self._call(
            "updateOptionProductRenewal",
            m.OptionProductRenewal,
            path_params=_opt(domain_id, option_product_id),
            body=body,
        )

    def create_option_product_order(
        self,
        *,
        domain_id: int,
        option_product_id: m.OptionProductId | str,
        sub_option_id: m.SubOptionId | str,
        type: m.OptionProductOrderType | str,
        apply_date: date,
        quantity: int | None | Unset = UNSET,
    ) -> m.OptionProductOrder:
        """Schedule an option change for `apply_date` (createOptionProductOrder).

        Raises RejectedError (date window, an order already exists), NotFoundError, OutcomeUnknownError.
        """
        body = m.OptionProductOrderCreateRequest(
            option_product_id=option_product_id,
            sub_option_id=sub_option_id,
            type=type,
            apply_date=apply_date,
            **_given(quantity=quantity),
        )
        return self._call(
            "createOptionProductOrder", m.OptionProductOrder, path_params={"domainId": domain_id}, body=body
        )

    def list_option_product_orders(self, *, domain_id: int) -> m.OptionProductOrderList:
        """Scheduled option changes of a customer (listOptionProductOrders). Raises NotFoundError."""
        return self._call(
            "listOptionProductOrders", m.OptionProductOrderList, path_params={"domainId": domain_id}
        )

    def get_option_product_order(
        self, *, domain_id: int, option_product_id: m.OptionProductId | str
    ) -> m.OptionProductOrder:
        """The scheduled change of one option (getOptionProductOrder). Raises NotFoundError."""
        return self._call(
            "getOptionProductOrder", m.OptionProductOrder, path_params=_opt(domain_id, option_product_id)
        )

    def update_option_product_order(
        self,
        *,
        domain_id: int,
        option_product_id: m.OptionProductId | str,
        apply_date: date | None = None,
        sub_option_id: m.SubOptionId | str | None = None,
        quantity: int | None | Unset = UNSET,
    ) -> m.OptionProductOrder:
        """Change a scheduled option change (updateOptionProductOrder).

        Raises RejectedError (date window for its type), NotFoundError, OutcomeUnknownError.
        """
        body = m.OptionProductOrderUpdateRequest(
            apply_date=apply_date, sub_option_id=sub_option_id, **_given(quantity=quantity)
        )
        return self._call(
            "updateOptionProductOrder",
            m.OptionProductOrder,
            path_params=_opt(domain_id, option_product_id),
            body=body,
        )

    def delete_option_product_order(
        self, *, domain_id: int, option_product_id: m.OptionProductId | str
    ) -> None:
        """Withdraw a scheduled option change (deleteOptionProductOrder). Raises NotFoundError."""
        self._call("deleteOptionProductOrder", path_params=_opt(domain_id, option_product_id))

    def list_option_product_usages(
        self, *, domain_id: int, year: int, month: int, product_group_id: m.ProductGroupId | str | None = None
    ) -> m.OptionProductUsageList:
        """Daily option usage of a customer in a month (listOptionProductUsages).

        Raises RejectedError for an invalid year/month, NotFoundError.
        """
        query = {"year": year, "month": month, "productGroupId": _str(product_group_id)}
        return self._call(
            "listOptionProductUsages",
            m.OptionProductUsageList,
            path_params={"domainId": domain_id},
            query=query,
        )

    def list_customer_usages(
        self, *, domain_id: int, year: int, month: int, product_group_id: m.ProductGroupId | str | None = None
    ) -> m.CustomerUsageList:
        """Daily usage of a customer in a month (listCustomerUsages).

        Raises RejectedError for an invalid year/month, NotFoundError.
        """
        query = {"year": year, "month": month, "productGroupId": _str(product_group_id)}
        return self._call(
            "listCustomerUsages", m.CustomerUsageList, path_params={"domainId": domain_id}, query=query
        )

    # ======================================================================================= billing ==

    def list_invoices(self, *, year: int) -> m.InvoiceList:
        """The partner's invoices of a year (listInvoices). Raises RejectedError for an invalid year."""
        return self._call("listInvoices", m.InvoiceList, query={"year": year})

    def list_invoice_details(
        self, *, year: int, month: int, count: int | None = None, cursor: str | None = None
    ) -> m.InvoiceDetailList:
        """One page of invoice lines per customer (listInvoiceDetails); `count` at most 20.

        Raises RejectedError for an invalid year, month, count or cursor.
        """
        query = {"year": year, "month": month, "count": count, "cursor": cursor}
        return self._call("listInvoiceDetails", m.InvoiceDetailList, query=query)

    def iter_invoice_details(
        self, *, year: int, month: int, max_pages: int = constants.DEFAULT_MAX_PAGES
    ) -> Iterator[m.InvoiceDetail]:
        """Every invoice detail of a month, following the cursors of listInvoiceDetails.

        Raises PaginationError past `max_pages` pages, plus the errors of `list_invoice_details`.
        """
        size = constants.MAX_PAGE_SIZE["listInvoiceDetails"]
        pages = iterate_pages(
            lambda cursor: self.list_invoice_details(year=year, month=month, count=size, cursor=cursor),
            operation_id="listInvoiceDetails",
            max_pages=max_pages,
        )
        return iterate_items(pages, lambda page: page.invoice_details)


def _sub(domain_id: int, subscription_id: int | str) -> dict[str, Any]:
    return {"domainId": domain_id, "subscriptionId": subscription_id}


def _opt(domain_id: int, option_product_id: str) -> dict[str, Any]:
    return {"domainId": domain_id, "optionProductId": _str(option_product_id)}


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
