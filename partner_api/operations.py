"""The 52 operations of the contract: operationId, HTTP method and path (relative to the base URL)."""

from __future__ import annotations

from dataclasses import dataclass

from partner_api import constants


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str
    path: str

    @property
    def idempotent(self) -> bool:
        """Safe to send again after a timeout or a 502/503/504 (GET, PUT, DELETE)."""
        return self.method in constants.IDEMPOTENT_METHODS


_C = "/partners/customers/{domainId}"
_S = _C + "/subscriptions/{subscriptionId}"
_O = _C + "/option-products/{optionProductId}"

_TABLE = [
    # customers
    ("verifyCustomerDomain", "POST", "/partners/customers/verify-domain"),
    ("createCustomer", "POST", "/partners/customers"),
    ("listCustomers", "GET", "/partners/customers"),
    ("getCustomer", "GET", _C),
    ("updateCustomer", "PUT", _C),
    ("patchCustomer", "PATCH", _C),
    ("deleteCustomer", "DELETE", _C),
    ("getUpgradeDomain", "GET", _C + "/upgrade-domain"),
    ("createUpgradeDomain", "POST", _C + "/upgrade-domain"),
    ("deleteUpgradeDomain", "DELETE", _C + "/upgrade-domain"),
    ("activateCustomer", "POST", _C + "/activate"),
    ("changeCustomerDomain", "POST", _C + "/change-domain"),
    ("getPotentialCustomer", "GET", "/partners/potential-customers/{domain}"),
    ("transferPotentialCustomer", "POST", "/partners/potential-customers/{domain}/transfer"),
    ("getUsageStatus", "GET", _C + "/usage-status"),
    ("patchUsageStatus", "PATCH", _C + "/usage-status"),
    ("createUsageStatusRenewal", "POST", _C + "/usage-status/renewal"),
    ("patchUsageStatusRenewal", "PATCH", _C + "/usage-status/renewal"),
    ("deleteUsageStatusRenewal", "DELETE", _C + "/usage-status/renewal"),
    # subscriptions
    ("listSubscriptions", "GET", _C + "/subscriptions"),
    ("createSubscription", "POST", _C + "/subscriptions"),
    ("getSubscription", "GET", _S),
    ("cancelSubscription", "DELETE", _S),
    ("convertSubscriptionToPaid", "POST", _S + "/paid-service"),
    ("upgradeSubscription", "POST", _S + "/upgrade"),
    ("addSubscriptionLicenseCount", "POST", _S + "/add-license-count"),
    ("createSubscriptionPreOrder", "POST", _C + "/subscriptions/pre-orders"),
    ("listSubscriptionPreOrders", "GET", _C + "/subscriptions/pre-orders"),
    ("updateSubscriptionPreOrder", "PATCH", _C + "/subscriptions/pre-orders/{preOrderId}"),
    ("deleteSubscriptionPreOrder", "DELETE", _C + "/subscriptions/pre-orders/{preOrderId}"),
    ("createSubscriptionReservation", "POST", _S + "/reservation"),
    ("getSubscriptionReservation", "GET", _S + "/reservation"),
    ("updateSubscriptionReservation", "PATCH", _S + "/reservation"),
    ("deleteSubscriptionReservation", "DELETE", _S + "/reservation"),
    ("getSubscriptionRenewal", "GET", _S + "/renewal"),
    ("updateSubscriptionRenewal", "PATCH", _S + "/renewal"),
    # options
    ("createOptionProduct", "POST", _C + "/option-products"),
    ("listOptionProducts", "GET", _C + "/option-products"),
    ("cancelOptionProduct", "DELETE", _O),
    ("upgradeOptionProduct", "POST", _O + "/upgrade"),
    ("addOptionProductQuantity", "PATCH", _O + "/add-quantity"),
    ("getOptionProductRenewal", "GET", _O + "/renewal"),
    ("updateOptionProductRenewal", "PATCH", _O + "/renewal"),
    ("createOptionProductOrder", "POST", _C + "/option-product-orders"),
    ("listOptionProductOrders", "GET", _C + "/option-product-orders"),
    ("getOptionProductOrder", "GET", _C + "/option-product-orders/{optionProductId}"),
    ("updateOptionProductOrder", "PATCH", _C + "/option-product-orders/{optionProductId}"),
    ("deleteOptionProductOrder", "DELETE", _C + "/option-product-orders/{optionProductId}"),
    ("listOptionProductUsages", "GET", _C + "/option-product-usages"),
    ("listCustomerUsages", "GET", _C + "/usages"),
    # billing
    ("listInvoices", "GET", "/partners/invoices"),
    ("listInvoiceDetails", "GET", "/partners/invoice-details"),
]

OPERATIONS: dict[str, Operation] = {op_id: Operation(op_id, method, path) for op_id, method, path in _TABLE}
