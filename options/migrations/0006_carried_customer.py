"""Options and option orders carry their customer's removal and Account manager (`customers.models.
CarriesCustomer`), kept by the database's triggers (customers/carried.py); the option trials' and the option
orders' indexes by day hold the live customers' rows alone, each with a twin led by the Account manager
(as subscriptions 0003)."""

from django.db import migrations, models

from customers import carried

#: Each model that carries its customer's removal and Account manager: its table and primary key column.
_CARRYING = {"option": ("options_option", "id"), "optionorder": ("options_optionorder", "id")}


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
        *carried.migration_operations(_CARRYING),
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
