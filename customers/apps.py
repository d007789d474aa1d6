from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from customers import api as api_area
        from customers import (
            bulk,
            changes,
            events,
            finders,
            forms,
            groups,
            operations,
            permissions,
            resync,
            selectors,
            tasks,
            worklist,
        )
        from customers.permissions import VIEW_CUSTOMERS
        from home.dashboard import Figure
        from portal.core.contrib import contribute
        from portal.core.lists import CustomerFilter
        from portal.core.navigation import NavItem

        contribute(
            self.label,
            api=[api_area.AREA],
            nav=[NavItem("customers", _("Customers"), "customers:list", VIEW_CUSTOMERS, order=10)],
            event_types=events.TYPES,
            figures=[
                Figure(
                    key="customers",
                    label=_("Customers"),
                    perm=VIEW_CUSTOMERS,
                    value=selectors.customer_total,
                    url_name="customers:list",
                    order=10,
                    per_customer=True,
                ),
            ],
            sections=_sections(),
            customer_names=[selectors.customer_names],
            oldest_copy=[selectors.oldest_copy],
            customer_page=["customers:detail"],
            worklist=worklist.SECTIONS,
            customer_filters=[
                CustomerFilter(
                    name="owner",
                    field=forms.owner_field,
                    rows=lambda qs, value, *, user, key, apart=False: selectors.owned_by(
                        qs, owner=value, user=user, key=key, apart=apart
                    ),
                    default=selectors.owner_filter_default,
                    everyone=selectors.Owner.EVERYONE,
                    offered=lambda user: not selectors.portfolio_only(user),
                    views=selectors.owner_views,
                )
            ],
            holdings=_holdings(),
            resyncs=resync.RESYNC,
            changes=changes.CHANGES,
            perms=permissions.PERMS,
            operation_labels=[operations.OPERATION_LABELS],
            urls=[("customers/", "customers.urls")],
            bulk_actions=bulk.BULK_ACTIONS,
            bulk_sources=[groups.SOURCE],
            finders=finders.FINDERS,
            periodic=tasks.PERIODIC,
        )


def _sections() -> list:
    """The customer page's sections the customers app shows: its owner, and its scheduled changes."""
    from customers import selectors
    from customers.permissions import VIEW_CUSTOMERS
    from home.sections import DetailSection

    return [
        DetailSection(
            key="owner",
            title=_("Owner"),
            template="customers/_section_owner.html",
            perm=VIEW_CUSTOMERS,
            context=selectors.customer_owner_section,
            order=5,
        ),
        DetailSection(
            key="usage-schedule",
            title=_("Scheduled changes"),
            template="customers/_section_usage_schedule.html",
            perm=VIEW_CUSTOMERS,
            context=selectors.customer_schedule_section,
            order=10,
        ),
    ]


def _holdings() -> list:
    """What a person leaving holds of the customers (accounts' Users page hands it over): the customers they own
    as Account manager, and those they are the support contact of."""
    from accounts.holdings import Holding
    from customers import selectors, services
    from portal.core.access import Role

    return [
        Holding(
            key="customers_managed",
            label=lambda n: (
                ngettext(
                    "Their %(n)s customer as Account manager goes to",
                    "Their %(n)s customers as Account manager go to",
                    n,
                )
                % {"n": n}
            ),
            role=Role.ACCOUNT_MANAGER,
            count=lambda user: selectors.customers_held(user=user),
            hand_over=services.customer_owners_hand_over,
        ),
        Holding(
            key="customers_supported",
            label=lambda n: (
                ngettext(
                    "Their %(n)s customer as support contact goes to",
                    "Their %(n)s customers as support contact go to",
                    n,
                )
                % {"n": n}
            ),
            role=Role.SUPPORT,
            count=lambda user: selectors.customers_held(user=user, as_contact=True),
            hand_over=lambda *, actor, user, to: services.customer_owners_hand_over(
                actor=actor, user=user, to=to, as_contact=True
            ),
        ),
    ]
