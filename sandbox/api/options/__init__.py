"""Tags options and option-orders: 13 operations, their rules and clock effects. One topic a module: `options`
and `orders` (a tag's operations each), `usages` (an option's daily usage), `due` (what falls due on the clock)
and `shared` (the catalogue's checks, lookups, the JSON).

An option (``OptionProduct``) hangs on the customer's subscription in use; paths are keyed on optionProductId,
so a customer has at most one option and one scheduled task (``OptionProductOrder``) per optionProductId.
Cancelled options keep their row (``cancelled_on``), which the "re-add from the 1st of next month" rule reads.
The catalogue is sandbox.catalogue; the seed part is sandbox/seeding/options.py. Importing the package
registers every module's routes, rules and clock effects (sandbox/registry.py).
"""

from __future__ import annotations

from sandbox.api.common import api_path
from sandbox.api.options import due  # noqa: F401 (registers the clock effects)
from sandbox.api.options.options import (
    add_option_product_quantity,
    cancel_option_product,
    create_option_product,
    get_option_product_renewal,
    list_option_products,
    update_option_product_renewal,
    upgrade_option_product,
)
from sandbox.api.options.orders import (
    create_option_product_order,
    delete_option_product_order,
    get_option_product_order,
    list_option_product_orders,
    update_option_product_order,
)
from sandbox.api.options.usages import list_option_product_usages

urlpatterns = [
    api_path(
        "/partners/customers/{domainId}/option-products", get=list_option_products, post=create_option_product
    ),
    api_path(
        "/partners/customers/{domainId}/option-products/{optionProductId}", delete=cancel_option_product
    ),
    api_path(
        "/partners/customers/{domainId}/option-products/{optionProductId}/upgrade",
        post=upgrade_option_product,
    ),
    api_path(
        "/partners/customers/{domainId}/option-products/{optionProductId}/add-quantity",
        patch=add_option_product_quantity,
    ),
    api_path(
        "/partners/customers/{domainId}/option-products/{optionProductId}/renewal",
        get=get_option_product_renewal,
        patch=update_option_product_renewal,
    ),
    api_path(
        "/partners/customers/{domainId}/option-product-orders",
        get=list_option_product_orders,
        post=create_option_product_order,
    ),
    api_path(
        "/partners/customers/{domainId}/option-product-orders/{optionProductId}",
        get=get_option_product_order,
        patch=update_option_product_order,
        delete=delete_option_product_order,
    ),
    api_path("/partners/customers/{domainId}/option-product-usages", get=list_option_product_usages),
]
