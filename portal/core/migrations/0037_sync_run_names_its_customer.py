"""A run of one customer names its customer (`SyncRun.customer_name`), so the Sync page reads no customer to
label its latest runs. The runs kept from before have none, and are named by a read of their customers
(`portal.core.selectors.sync_runs_described`), as every run was."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0036_audit_kind_with_customer")]

    operations = [
        migrations.AddField(
            model_name="syncrun",
            name="customer_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="customer"),
        ),
    ]
