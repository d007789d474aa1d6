from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0010_operation_key_for_batch_rows"),
    ]

    operations = [
        migrations.AddField(
            model_name="operation",
            name="sender",
            field=models.CharField(blank=True, default="", max_length=200, verbose_name="sender"),
        ),
    ]
