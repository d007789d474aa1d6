"""The worklist's "Changes unknown or failed" reads the unknown and the week's failed changes from their index alone:
the partial index of (status, time) also holds the columns shown and the customer narrowed by."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0024_runs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="operation",
            name="core_operation_unknown_failed",
        ),
        migrations.AddIndex(
            model_name="operation",
            index=models.Index(
                condition=models.Q(("status__in", ["unknown", "failed"])),
                fields=["status", "requested_at"],
                include=("domain_id", "kind", "id"),
                name="core_operation_unknown_failed",
            ),
        ),
    ]
