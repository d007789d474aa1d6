"""The audit entries' kind index holds each entry's customer beside it (PostgreSQL's INCLUDE; SQLite makes the index
without it): home's "changes today" of an Account manager's customers reads a range of each sent kind from the
index alone, where it read the day's every entry (recorded payments among them) along the time index."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0035_operation_carries_customer"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="auditentry",
            name="core_audit_kind_time_key",
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                fields=["operation_id", "created_at", "id"],
                include=("domain_id",),
                name="core_audit_kind_time_key",
            ),
        ),
    ]
