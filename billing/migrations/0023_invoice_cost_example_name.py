from django.db import migrations, models


def names_from_the_invoices(apps, schema_editor):
    """Each learned row's example named as its month's invoice names that customer (a few rows a month)."""
    InvoiceCost = apps.get_model("billing", "InvoiceCost")
    InvoiceItem = apps.get_model("billing", "InvoiceItem")
    for cost in InvoiceCost.objects.exclude(example_domain_id=None).iterator():
        name = (
            InvoiceItem.objects.filter(year=cost.year, month=cost.month, domain_id=cost.example_domain_id)
            .exclude(customer_name="")
            .values_list("customer_name", flat=True)
            .first()
        )
        if name:
            InvoiceCost.objects.filter(pk=cost.pk).update(example_name=name)


class Migration(migrations.Migration):
    dependencies = [("billing", "0022_finding_to_explain_covering")]

    operations = [
        migrations.AddField(
            model_name="invoicecost",
            name="example_name",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.RunPython(names_from_the_invoices, migrations.RunPython.noop, elidable=True),
    ]
