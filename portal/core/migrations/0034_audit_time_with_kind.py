"""The audit entries' time index holds each entry's kind beside it (PostgreSQL's INCLUDE; SQLite makes the index
without it): home's "changes today" of an Account manager's customers reads the day's entries of the changes'
kinds from the index alone, where it visited each entry of the day for its kind."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0033_event_delivery_log"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="auditentry",
            name="core_audit_time_key",
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                fields=["created_at", "id", "domain_id"],
                include=("operation_id",),
                name="core_audit_time_key",
            ),
        ),
    ]
