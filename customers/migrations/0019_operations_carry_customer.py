"""Core's operations carry their customer's removal and Account manager (core 0035 declares the columns): the
triggers that keep them are installed here, by the app that keeps the customers (customers/carried.py), and
the operations already there are filled in."""

from django.db import migrations

from customers import carried

_TABLE, _KEY = "core_operation", "id"


def _install(apps, schema_editor):
    carried.install(schema_editor, table=_TABLE, key=_KEY)


def _uninstall(apps, schema_editor):
    carried.uninstall(schema_editor, table=_TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0018_customer_search_four_char_grams"),
        ("core", "0035_operation_carries_customer"),
    ]

    operations = [migrations.RunPython(_install, _uninstall)]
