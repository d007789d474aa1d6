from django.db import migrations, models


class Migration(migrations.Migration):
    """One scope's runs of a kind by start, so a customer page's poll of its refresh reads a few index rows."""

    dependencies = [
        ("core", "0020_table_size_and_growth"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="syncrun",
            index=models.Index(fields=["kind", "scope", "started_at"], name="core_syncrun_kind_scope_start"),
        ),
    ]
