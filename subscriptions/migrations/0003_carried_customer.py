"""Subscriptions, their reservations and pre-orders carry their customer's removal and Account manager
(`customers.models.CarriesCustomer`), kept by the database's triggers (customers/carried.py); the worklist's and
the Scheduled changes page's indexes hold the live customers' rows alone, each with a twin led by the Account
manager: a section, a calendar or an agenda of theirs reads a range of an index, not every customer's rows
checked against the removed customers and the manager's customers (`python -m bench scale`)."""

from django.db import migrations, models

from customers import carried

#: Each table that carries its customer's removal and Account manager, with its primary key column.
_TABLES = {
    "subscriptions_subscription": "subscription_id",
    "subscriptions_reservation": "subscription_id",
    "subscriptions_preorder": "pre_order_id",
}


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
        ("subscriptions", "0002_indexes_by_day"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="preorder",
            name="pre_order_by_day",
        ),
        migrations.RemoveIndex(
            model_name="reservation",
            name="reservation_by_day",
        ),
        migrations.RemoveIndex(
            model_name="subscription",
            name="subscription_renewal_decision",
        ),
        migrations.RemoveIndex(
            model_name="subscription",
            name="subscription_trial_by_end",
        ),
        migrations.RemoveIndex(
            model_name="subscription",
            name="subscription_renewal_change",
        ),
        # Added in place (a rebuilt SQLite table would lose its triggers), then kept by the database.
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
            state_operations=[
                migrations.AddField(
                    model_name="preorder",
                    name="customer_manager",
                    field=models.BigIntegerField(editable=False, null=True),
                ),
                migrations.AddField(
                    model_name="preorder",
                    name="customer_removed",
                    field=models.BooleanField(default=False, editable=False),
                ),
                migrations.AddField(
                    model_name="reservation",
                    name="customer_manager",
                    field=models.BigIntegerField(editable=False, null=True),
                ),
                migrations.AddField(
                    model_name="reservation",
                    name="customer_removed",
                    field=models.BooleanField(default=False, editable=False),
                ),
                migrations.AddField(
                    model_name="subscription",
                    name="customer_manager",
                    field=models.BigIntegerField(editable=False, null=True),
                ),
                migrations.AddField(
                    model_name="subscription",
                    name="customer_removed",
                    field=models.BooleanField(default=False, editable=False),
                ),
            ],
        ),
        migrations.RunPython(install, uninstall),
        migrations.AddIndex(
            model_name="preorder",
            index=models.Index(
                condition=models.Q(("customer_removed", False)),
                fields=["apply_date", "customer", "pre_order_id"],
                name="pre_order_by_day",
            ),
        ),
        migrations.AddIndex(
            model_name="preorder",
            index=models.Index(
                condition=models.Q(("customer_removed", False), ("customer_manager__isnull", False)),
                fields=["customer_manager", "apply_date", "customer", "pre_order_id"],
                name="pre_order_by_day_by_manager",
            ),
        ),
        migrations.AddIndex(
            model_name="reservation",
            index=models.Index(
                condition=models.Q(("customer_removed", False)),
                fields=["apply_date", "customer", "subscription"],
                name="reservation_by_day",
            ),
        ),
        migrations.AddIndex(
            model_name="reservation",
            index=models.Index(
                condition=models.Q(("customer_removed", False), ("customer_manager__isnull", False)),
                fields=["customer_manager", "apply_date", "customer", "subscription"],
                name="reservation_by_day_by_manager",
            ),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(
                condition=models.Q(
                    ("plan__in", ("MONTHLY", "ANNUAL_LICENSE", "ANNUAL_PREPAY_LICENSE")),
                    models.Q(("renewal_type", ""), _negated=True),
                    ("customer_removed", False),
                ),
                fields=["plan_end_date", "customer", "subscription_id"],
                name="subscription_renewal_decision",
            ),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(
                condition=models.Q(
                    ("plan__in", ("MONTHLY", "ANNUAL_LICENSE", "ANNUAL_PREPAY_LICENSE")),
                    models.Q(("renewal_type", ""), _negated=True),
                    ("customer_removed", False),
                    ("customer_manager__isnull", False),
                ),
                fields=["customer_manager", "plan_end_date", "customer", "subscription_id"],
                name="subscription_decision_by_mgr",
            ),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(
                condition=models.Q(("plan", "TRIAL"), ("customer_removed", False)),
                fields=["plan_end_date", "customer", "subscription_id"],
                name="subscription_trial_by_end",
            ),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(
                condition=models.Q(
                    ("plan", "TRIAL"), ("customer_removed", False), ("customer_manager__isnull", False)
                ),
                fields=["customer_manager", "plan_end_date", "customer", "subscription_id"],
                name="subscription_trial_by_mgr",
            ),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(
                condition=models.Q(("renewal_type__in", ("CHANGE", "CANCEL")), ("customer_removed", False)),
                fields=["plan_end_date", "customer", "subscription_id"],
                name="subscription_renewal_change",
            ),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(
                condition=models.Q(
                    ("renewal_type__in", ("CHANGE", "CANCEL")),
                    ("customer_removed", False),
                    ("customer_manager__isnull", False),
                ),
                fields=["customer_manager", "plan_end_date", "customer", "subscription_id"],
                name="subscription_change_by_mgr",
            ),
        ),
    ]
