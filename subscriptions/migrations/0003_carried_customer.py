"""Subscriptions, their reservations and pre-orders carry their customer's removal and Account manager
(`customers.models.CarriesCustomer`), kept by the database's triggers (customers/carried.py); the worklist's and
the Scheduled changes page's indexes hold the live customers' rows alone, each with a twin led by the Account
manager: a section, a calendar or an agenda of theirs reads a range of an index, not every customer's rows
checked against the removed customers and the manager's customers (`python -m bench scale`)."""

from django.db import migrations, models

from customers import carried

#: Each model that carries its customer's removal and Account manager: its table and primary key column.
_CARRYING = {
    "subscription": ("subscriptions_subscription", "subscription_id"),
    "reservation": ("subscriptions_reservation", "subscription_id"),
    "preorder": ("subscriptions_preorder", "pre_order_id"),
}


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
        *carried.migration_operations(_CARRYING),
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
