"""The month's findings page reads one page of its list and stops: an index of the month's findings by whether
explained, in the list's order (`Finding.Meta.indexes`, billing_finding_list)."""

from django.db import migrations, models
from django.db.models.functions import NullIf


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0017_item_month_customer_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(
                models.F("year"),
                models.F("month"),
                models.F("explained"),
                NullIf("customer_name", models.Value("")),
                models.F("domain_id"),
                models.F("kind"),
                NullIf("subject", models.Value("")),
                name="billing_finding_list",
            ),
        ),
    ]
