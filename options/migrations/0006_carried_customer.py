"""Options and option orders carry their customer's removal and Account manager (`customers.models.
CarriesCustomer`), kept by the database's triggers (customers/carried.py); the option trials' and the option
orders' indexes by day hold the live customers' rows alone, each with a twin led by the Account manager
(as subscriptions 0003)."""

from django.db import migrations, models

from customers import carried

#: Each table that carries its customer's removal and Account manager, with its primary key column.
_TABLES = {"options_option": "id", "options_optionorder": "id"}


def add_columns(apps, schema_editor):
    for table in _TABLES:
        carried.add_columns(schema_editor, table=table)


def drop_columns(apps, schema_editor):
    for table in _TABLES:
        carried.drop_columns(schema_editor, table=table)


def install(apps, schema_editor):
    for table, key in _TABLES.items():
        carried.install(schema_editor, table=table, key=key)


def uninstall(apps, schema_editor):
    for table in _TABLES:
        carried.uninstall(schema_editor, table=table)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0017_manager_section_indexes"),
        ("options", "0005_option_usage_by_month"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="option",
            name="option_trial_by_end",
        ),
        migrations.RemoveIndex(
            model_name="optionorder",
            name="option_order_by_day",
        ),
        # Added in place (a rebuilt SQLite table would lose its triggers), then kept by the database.
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
            state_operations=[
                migrations.AddField(
                    model_name="option",
                    name="customer_manager",
                    field=models.BigIntegerField(editable=False, null=True),
                ),
                migrations.AddField(
                    model_name="option",
                    name="customer_removed",
                    field=models.BooleanField(default=False, editable=False),
                ),
                migrations.AddField(
                    model_name="optionorder",
                    name="customer_manager",
                    field=models.BigIntegerField(editable=False, null=True),
                ),
                migrations.AddField(
                    model_name="optionorder",
                    name="customer_removed",
                    field=models.BooleanField(default=False, editable=False),
                ),
            ],
        ),
        migrations.RunPython(install, uninstall),
        migrations.AddIndex(
            model_name="option",
            index=models.Index(
                condition=models.Q(("trial", True), ("customer_removed", False)),
                fields=["plan_end_date", "customer", "option_product_id"],
                name="option_trial_by_end",
            ),
        ),
        migrations.AddIndex(
            model_name="option",
            index=models.Index(
                condition=models.Q(
                    ("trial", True), ("customer_removed", False), ("customer_manager__isnull", False)
                ),
                fields=["customer_manager", "plan_end_date", "customer", "option_product_id"],
                name="option_trial_by_end_by_manager",
            ),
        ),
        migrations.AddIndex(
            model_name="optionorder",
            index=models.Index(
                condition=models.Q(("customer_removed", False)),
                fields=["apply_date", "customer", "id"],
                name="option_order_by_day",
            ),
        ),
        migrations.AddIndex(
            model_name="optionorder",
            index=models.Index(
                condition=models.Q(("customer_removed", False), ("customer_manager__isnull", False)),
                fields=["customer_manager", "apply_date", "customer", "id"],
                name="option_order_by_day_by_manager",
            ),
        ),
    ]
