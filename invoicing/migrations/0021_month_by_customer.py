"""A month's issued documents by customer: its list searched counts and reads them customer by customer along
this index (`selectors.month_issued_page`), never the month's every document of the customers a word finds."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0020_documents_by_kind"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="issuedinvoice",
            index=models.Index(fields=["year", "month", "domain_id"], name="invoicing_issued_month_domain"),
        ),
    ]
