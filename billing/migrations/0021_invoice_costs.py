"""Costs learned from LINE WORKS' invoices (issue 57): what each month's invoice details say a product or
option costs a month per unit (`InvoiceCost`, learned when a month is stored; a month stored before is learned
when it is fetched again); the price book prices an option's tier (`PriceEntry.sub_item_id`, "" for every tier),
and a cost learned for an item the book had no price for has no price to the customer yet (`price` None)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0020_estimate_month_margins"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="priceentry",
            options={
                "ordering": ["item_id", "sub_item_id", "plan", "domain_id", "-effective_from"],
                "verbose_name": "price",
                "verbose_name_plural": "price book",
            },
        ),
        migrations.AddField(
            model_name="priceentry",
            name="sub_item_id",
            field=models.CharField(blank=True, default="", max_length=40, verbose_name="sub option"),
        ),
        migrations.AlterField(
            model_name="priceentry",
            name="price",
            field=models.BigIntegerField(
                blank=True, null=True, verbose_name="price to the customer (¥ a month per unit)"
            ),
        ),
        migrations.CreateModel(
            name="InvoiceCost",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("year", models.PositiveSmallIntegerField(verbose_name="year")),
                ("month", models.PositiveSmallIntegerField(verbose_name="month")),
                ("item_type", models.CharField(max_length=20, verbose_name="item type")),
                ("item_id", models.CharField(blank=True, max_length=40, verbose_name="item")),
                ("sub_item_id", models.CharField(blank=True, max_length=40, verbose_name="sub option")),
                ("plan", models.CharField(blank=True, max_length=32, verbose_name="plan")),
                (
                    "unit_cost",
                    models.BigIntegerField(blank=True, null=True, verbose_name="cost a month per unit (¥)"),
                ),
                (
                    "reason",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "A month's price per unit"),
                            ("subtotal", "A customer's subtotal, not a product or option."),
                            ("adjustment", "An adjustment: a one-off amount, not a price a month."),
                            ("penalty", "A penalty for ending a contract early: a one-off charge."),
                            (
                                "option_plus",
                                "Option Plus: apps LINE WORKS bills by their own prices, passed on as billed.",
                            ),
                            ("not_billed", "Free, Trial or billed ¥0: there is no price to learn."),
                            (
                                "part_of_month",
                                "It covers part of the month: its amount is for its days (rounded), not a month's.",
                            ),
                            ("no_units", "No licences, members or quantity to divide its amount by."),
                            ("no_amount", "The invoice gives no amount for it."),
                            (
                                "uneven",
                                "Its amount is not a whole number of yen per unit: a discount or an adjustment may be in it.",
                            ),
                            (
                                "differs",
                                "Billed at another unit amount than most customers: a discount of that customer's, perhaps.",
                            ),
                            (
                                "several",
                                "Billed at several unit amounts, none to most customers: type its price in the price book.",
                            ),
                            ("unknown", "A kind of line the portal does not know."),
                        ],
                        max_length=16,
                        verbose_name="why not a price",
                    ),
                ),
                ("lines", models.PositiveIntegerField(default=0, verbose_name="lines")),
                ("customers", models.PositiveIntegerField(default=0, verbose_name="customers")),
                ("example_domain_id", models.BigIntegerField(blank=True, null=True)),
                ("learned_at", models.DateTimeField(verbose_name="learned at")),
            ],
            options={
                "verbose_name": "cost learned from an invoice",
                "verbose_name_plural": "costs learned from invoices",
                "ordering": [
                    "year",
                    "month",
                    "reason",
                    "item_type",
                    "item_id",
                    "sub_item_id",
                    "plan",
                    "unit_cost",
                ],
                "indexes": [
                    models.Index(fields=["year", "month", "reason"], name="billing_invoice_cost_month")
                ],
            },
        ),
    ]
