import calendar
import datetime as dt

from django.db import migrations, models
from django.db.models import Exists, OuterRef


def keep_what_the_page_counts(apps, schema_editor):
    """Each stored month's count as the findings page gave it until now: its billed customers without a usage
    snapshot of the month (as `billing.findings.customers_without_usage`)."""
    DetailMonth = apps.get_model("billing", "DetailMonth")
    InvoiceItem = apps.get_model("billing", "InvoiceItem")
    UsageSnapshot = apps.get_model("billing", "UsageSnapshot")
    for stored in DetailMonth.objects.all():
        first = dt.date(stored.year, stored.month, 1)
        last = first.replace(day=calendar.monthrange(stored.year, stored.month)[1])
        seen = UsageSnapshot.objects.filter(
            domain_id=OuterRef("domain_id"), used_date__gte=first, used_date__lte=last
        )
        stored.unchecked = (
            InvoiceItem.objects.filter(year=stored.year, month=stored.month)
            .exclude(Exists(seen))
            .values("domain_id")
            .distinct()
            .count()
        )
        stored.save(update_fields=["unchecked"])


class Migration(migrations.Migration):
    """The month's count of billed customers its check found without usage, kept on the month (the findings page
    read every billed customer's usage of the month to count them on each request)."""

    dependencies = [
        ("billing", "0013_estimate_copies_by_cost"),
    ]

    operations = [
        migrations.AddField(
            model_name="detailmonth",
            name="unchecked",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="customers not checked"),
        ),
        migrations.RunPython(keep_what_the_page_counts, migrations.RunPython.noop),
    ]
