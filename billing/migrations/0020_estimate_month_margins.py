"""A month's kept estimate keeps its customers of the largest billed cost with their margins (`EstimateMonth.
margins`), worked out by the worker: the findings page read every item of the month to show them. The
estimate's rules moved on (`billing.estimate.kept.RULES`), so each kept month is worked out
again whole, margins included, by the worker's next minute."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0019_finding_list_covering"),
    ]

    operations = [
        migrations.AddField(
            model_name="estimatemonth",
            name="margins",
            field=models.JSONField(default=list),
        ),
    ]
