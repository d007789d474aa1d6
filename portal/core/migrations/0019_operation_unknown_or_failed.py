from django.db import migrations, models


class Migration(migrations.Migration):
    """The worklist's "Changes unknown or failed" read from an index of those operations alone."""

    dependencies = [
        ("core", "0018_sync_run_summary"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="operation",
            index=models.Index(
                condition=models.Q(("status__in", ["unknown", "failed"])),
                fields=["status", "created_at"],
                name="core_operation_unknown_failed",
            ),
        ),
    ]
