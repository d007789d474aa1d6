"""Issued documents by kind and date of issue: the Data kept page reads each kind's oldest (a retention rule per
kind) from this index, where the date index alone walked every invoice to find the oldest credit note."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0019_unsent_invoices"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="issuedinvoice",
            index=models.Index(fields=["kind", "issue_date"], name="invoicing_issued_kind_date"),
        ),
    ]
