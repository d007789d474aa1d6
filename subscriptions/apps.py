from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = _("Subscriptions")

    def ready(self) -> None:
        from customers.sections import DetailSection, register_detail_section
        from portal.core.access import Perm
        from subscriptions import resync, schedule, selectors

        register_detail_section(
            DetailSection(
                key="subscriptions",
                title=_("Subscriptions"),
                template="subscriptions/_customer_section.html",
                context=selectors.customer_subscriptions_section,
                perm=Perm.VIEW_SUBSCRIPTIONS,
                order=20,
            )
        )
        schedule.register_builtin_sources()
        resync.register()
