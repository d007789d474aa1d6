"""A run of one customer names its customer (`SyncRun.customer_name`), so the Sync page reads no customer to
label its latest runs. The runs of one customer already kept are given their customer's name as it is now."""

from django.db import migrations, models

#: Customers named per read while the runs already kept are given their names.
BATCH = 2000


def name_the_customers_of_earlier_runs(apps, schema_editor):
    from portal.core.contrib import customer_names

    SyncRun = apps.get_model("core", "SyncRun")
    runs = SyncRun.objects.filter(kind="customer", customer_name="")
    scopes = sorted({scope for scope in runs.values_list("scope", flat=True).distinct() if scope.isdigit()})
    for start in range(0, len(scopes), BATCH):
        names = customer_names(int(scope) for scope in scopes[start : start + BATCH])
        for domain_id, name in names.items():
            runs.filter(scope=str(domain_id)).update(customer_name=name[:200])


class Migration(migrations.Migration):
    dependencies = [("core", "0036_audit_kind_with_customer")]

    operations = [
        migrations.AddField(
            model_name="syncrun",
            name="customer_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="customer"),
        ),
        migrations.RunPython(name_the_customers_of_earlier_runs, migrations.RunPython.noop),
    ]
