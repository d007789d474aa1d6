"""The narrow index of the findings to explain holds their customer too, so the month's findings page searched
counts the findings of the customers found from it alone (`billing.selectors.finding_page`)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("billing", "0023_invoice_cost_example_name")]

    operations = [
        migrations.RemoveIndex(model_name="finding", name="billing_finding_to_explain_n"),
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(
                condition=models.Q(("explained", False), ("still_found", True)),
                fields=["year", "month", "domain_id"],
                name="billing_finding_to_explain_n",
            ),
        ),
    ]
