"""A page of the month's findings is read from their list's index alone: the index holds the columns a page
shows (`Finding.Meta.indexes`, billing_finding_list), where a page of 50 rows in the list's order read 50 table
pages."""

from django.db import migrations, models
from django.db.models.functions import NullIf


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0018_finding_list_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="finding", name="billing_finding_list"),
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
                include=["id", "customer_name", "subject", "expected", "billed", "still_found"],
                name="billing_finding_list",
            ),
        ),
    ]
