"""How long options keep their daily usage (portal/core/retention.py)."""

from django.utils.translation import gettext_lazy as _

from portal.core.retention import KeepDays, Retention

RETENTION = [
    Retention(
        model="options.OptionUsage",
        date_field="used_date",
        keep=KeepDays("RETENTION_OPTION_USAGE_DAYS", 396),
        kept=_("Daily option usage of each customer"),
        reason=_(
            "Thirteen months compares a month's usage with the same month a year before; the invoices keep what "
            "was billed for it."
        ),
    ),
]
