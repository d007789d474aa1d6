"""One word, one meaning: the customer's LINE WORKS edition is its `product_id` (was `plan`) and the main
subscription's contract term is its `plan` (was `contract_type`), as in the subscriptions app and the API."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [
        migrations.RenameField(model_name="customer", old_name="plan", new_name="product_id"),
        migrations.RenameField(model_name="customer", old_name="contract_type", new_name="plan"),
        migrations.AlterField(
            model_name="customer",
            name="product_id",
            field=models.CharField(blank=True, db_index=True, max_length=16, verbose_name="product"),
        ),
        migrations.AlterField(
            model_name="customer",
            name="plan",
            field=models.CharField(blank=True, db_index=True, max_length=32, verbose_name="plan"),
        ),
    ]
