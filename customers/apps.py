from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from customers import bulk, changes, forms, operations, permissions, resync, selectors, worklist
        from customers.permissions import VIEW_CUSTOMERS
        from home.dashboard import Figure
        from home.sections import DetailSection
        from portal.core.contrib import contribute
        from portal.core.lists import CustomerFilter
        from portal.core.navigation import NavItem

        contribute(
            self.label,
            nav=[NavItem("customers", _("Customers"), "customers:list", VIEW_CUSTOMERS, order=10)],
            figures=[
                Figure(
                    key="customers",
                    label=_("Customers"),
                    perm=VIEW_CUSTOMERS,
                    value=selectors.customer_total,
                    url_name="customers:list",
                    order=10,
                ),
            ],
            sections=[
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
            ],
            customer_names=[selectors.customer_names],
            customer_page=["customers:detail"],
            worklist=worklist.SECTIONS,
            customer_filters=[
                CustomerFilter(
                    name="owner",
                    field=forms.owner_field,
                    rows=lambda qs, value, *, user, key: selectors.owned_by(
                        qs, owner=value, user=user, key=key
                    ),
                    default=selectors.owner_filter_default,
                    everyone=selectors.Owner.EVERYONE,
                )
            ],
            resyncs=resync.RESYNC,
            changes=changes.CHANGES,
            perms=permissions.PERMS,
            operation_labels=[operations.OPERATION_LABELS],
            urls=[("customers/", "customers.urls")],
            bulk_actions=bulk.BULK_ACTIONS,
        )
