"""Tags customers, domains and usage-status: 19 operations, their rules and their clock effects. One topic a
module: `customers` (create, list, get, put, patch, delete), `domains` (verify, upgrade domain, activate, change
domain), `potential` (Online Direct's potential customers), `usage_status` (the usage status and its renewal),
`due` (what falls due on the clock) and `shared` (the JSON and the checks they share).

Importing the package registers every module's routes, rules and clock effects (sandbox/registry.py).
Rules are named ``<area>.<what>`` and declared beside the handler that enforces them (see sandbox/rules.py).
"""

from __future__ import annotations

from sandbox.api.common import api_path
from sandbox.api.customers import due  # noqa: F401 (registers the clock effects)
from sandbox.api.customers.customers import (
    create_customer,
    delete_customer,
    get_customer,
    list_customers,
    patch_customer,
    update_customer,
)
from sandbox.api.customers.domains import (
    activate_customer,
    change_customer_domain,
    create_upgrade_domain,
    delete_upgrade_domain,
    get_upgrade_domain,
    verify_domain,
)
from sandbox.api.customers.potential import get_potential_customer, transfer_potential_customer
from sandbox.api.customers.usage_status import (
    create_usage_status_renewal,
    delete_usage_status_renewal,
    get_usage_status,
    patch_usage_status,
    patch_usage_status_renewal,
)

urlpatterns = [
    api_path("/partners/customers/verify-domain", post=verify_domain),
    api_path("/partners/customers", get=list_customers, post=create_customer),
    api_path(
        "/partners/customers/{domainId}",
        get=get_customer,
        put=update_customer,
        patch=patch_customer,
        delete=delete_customer,
    ),
    api_path(
        "/partners/customers/{domainId}/upgrade-domain",
        get=get_upgrade_domain,
        post=create_upgrade_domain,
        delete=delete_upgrade_domain,
    ),
    api_path("/partners/customers/{domainId}/activate", post=activate_customer),
    api_path("/partners/customers/{domainId}/change-domain", post=change_customer_domain),
    api_path("/partners/potential-customers/{domain}", get=get_potential_customer),
    api_path("/partners/potential-customers/{domain}/transfer", post=transfer_potential_customer),
    api_path("/partners/customers/{domainId}/usage-status", get=get_usage_status, patch=patch_usage_status),
    api_path(
        "/partners/customers/{domainId}/usage-status/renewal",
        post=create_usage_status_renewal,
        patch=patch_usage_status_renewal,
        delete=delete_usage_status_renewal,
    ),
]
