from django.db import migrations, models
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce


def sum_the_months_kept(apps, schema_editor):
    """Each month kept before: its totals summed once over its copies with lines, as the worker sums them
    (`billing.estimate._totals`), so the Invoices page reads them from the upgrade on."""
    EstimateMonth = apps.get_model("billing", "EstimateMonth")
    EstimateCopy = apps.get_model("billing", "EstimateCopy")
    for kept in EstimateMonth.objects.all():
        summed = EstimateCopy.objects.filter(year=kept.year, month=kept.month, periods__gt=0).aggregate(
            all_cost=Coalesce(Sum("cost"), 0),
            all_price=Coalesce(Sum("price"), 0),
            all_customers=Count("pk"),
            all_unknown=Coalesce(Sum("unknown"), 0),
            all_customers_unknown=Count("pk", filter=Q(unknown__gt=0)),
        )
        kept.totals = {name.removeprefix("all_"): value for name, value in summed.items()}
        kept.save(update_fields=["totals"])


class Migration(migrations.Migration):
    """A month's estimate totals kept by the worker on the month (`EstimateMonth.totals`), summed now for the
    months kept before."""

    dependencies = [
        ("billing", "0015_estimate_against_invoice_kept"),
    ]

    operations = [
        migrations.AddField(
            model_name="estimatemonth",
            name="totals",
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(sum_the_months_kept, migrations.RunPython.noop),
    ]
