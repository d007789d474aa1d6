"""The bank lines' (statement, state) index carries each line's amount (PostgreSQL, a non-key column): the
statements list counts and sums the lines still to match of its page's statements along that index alone."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0033_open_invoices_named"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="bankline",
            name="invoicing_bank_line_state",
        ),
        migrations.AddIndex(
            model_name="bankline",
            index=models.Index(
                fields=["statement", "state", "position"],
                include=("amount",),
                name="invoicing_bank_line_state",
            ),
        ),
    ]
