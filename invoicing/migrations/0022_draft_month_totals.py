from django.db import migrations, models
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce


def sum_the_months_kept(apps, schema_editor):
    """Each month kept before: its drafts counted and totalled by state once, as the worker sums them
    (`invoicing.services.drafts.drafts_totals`), so the month's pages read them from the upgrade on."""
    DraftMonth = apps.get_model("invoicing", "DraftMonth")
    DraftCopy = apps.get_model("invoicing", "DraftCopy")
    for kept in DraftMonth.objects.all():
        summed = DraftCopy.objects.filter(year=kept.year, month=kept.month).aggregate(
            all_count=Count("pk"),
            all_ready_count=Count("pk", filter=Q(state="ready")),
            all_blocked_count=Count("pk", filter=Q(state="blocked")),
            all_issued_count=Count("pk", filter=Q(state="issued")),
            all_total=Coalesce(Sum("total", filter=~Q(state="blocked")), 0),
            all_previous_total=Coalesce(Sum("previous_total"), 0),
            all_ready_total=Coalesce(Sum("total", filter=Q(state="ready")), 0),
        )
        kept.totals = {name.removeprefix("all_"): value for name, value in summed.items()}
        kept.save(update_fields=["totals"])


class Migration(migrations.Migration):
    """A month's drafts counted and totalled by state, kept by the worker on the month (`DraftMonth.totals`),
    summed now for the months kept before."""

    dependencies = [
        ("invoicing", "0021_month_by_customer"),
    ]

    operations = [
        migrations.AddField(
            model_name="draftmonth",
            name="totals",
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(sum_the_months_kept, migrations.RunPython.noop),
    ]
