"""A searched month of LINE WORKS' invoice details counts its items along their customer: an index of the month's items
in customer order (`InvoiceItem.Meta.indexes`)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0016_estimate_month_totals"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="invoiceitem",
            index=models.Index(fields=["year", "month", "domain_id"], name="billing_item_month_customer"),
        ),
    ]
