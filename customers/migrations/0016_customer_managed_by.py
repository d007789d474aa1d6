"""Which Account manager looks after each customer (`customers.models.Customer.managed_by`, the user's id),
kept by the database beside `has_owner` (0015) by the same triggers, rewritten here to set both: the owners
table's triggers set them on the owner's customer whenever a row is added, changed or removed, and the
customers table's trigger keeps any other write of either true to the owners table. Then the customers already
there are filled in, and the live customers get an index by Account manager in name order: "Mine" of an
Account manager (the Owner filter, the count of their customers on home, their worklist's customer sections)
is a range of it instead of every one of their customers' keys hashed and probed (`python -m bench scale`,
home as an Account manager)."""

import importlib

from django.db import migrations, models

#: 0006's choice of statements by database (SQLite or PostgreSQL, nothing else).
_0006 = importlib.import_module("customers.migrations.0006_customer_search")
#: 0015's triggers, which these replace under the same names (and which the way back puts back).
_0015 = importlib.import_module("customers.migrations.0015_customer_has_owner")

_OWNED = _0015._OWNED
#: The Account manager of the customer `customer` (a domainId expression) by the owners table, or NULL.
_MANAGER = "(SELECT o.account_manager_id FROM customers_customerowner o WHERE o.domain_id = {customer})"

_SQLITE = (
    """
    CREATE TRIGGER customer_owner_added AFTER INSERT ON customers_customerowner BEGIN
        UPDATE customers_customer
        SET has_owner = (NEW.account_manager_id IS NOT NULL), managed_by = NEW.account_manager_id
        WHERE domain_id = NEW.domain_id;
    END
    """,
    """
    CREATE TRIGGER customer_owner_changed AFTER UPDATE OF account_manager_id, domain_id ON customers_customerowner
    BEGIN
        UPDATE customers_customer SET has_owner = 0, managed_by = NULL WHERE domain_id = OLD.domain_id;
        UPDATE customers_customer
        SET has_owner = (NEW.account_manager_id IS NOT NULL), managed_by = NEW.account_manager_id
        WHERE domain_id = NEW.domain_id;
    END
    """,
    """
    CREATE TRIGGER customer_owner_removed AFTER DELETE ON customers_customerowner BEGIN
        UPDATE customers_customer SET has_owner = 0, managed_by = NULL WHERE domain_id = OLD.domain_id;
    END
    """,
    f"""
    CREATE TRIGGER customer_has_owner_kept AFTER UPDATE OF has_owner, managed_by ON customers_customer
    WHEN NEW.has_owner IS NOT {_OWNED.format(customer="NEW.domain_id")}
        OR NEW.managed_by IS NOT {_MANAGER.format(customer="NEW.domain_id")}
    BEGIN
        UPDATE customers_customer
        SET has_owner = {_OWNED.format(customer="NEW.domain_id")},
            managed_by = {_MANAGER.format(customer="NEW.domain_id")}
        WHERE domain_id = NEW.domain_id;
    END
    """,
)

# As 0015: the owners' triggers once per statement, from its transition tables; the customers' trigger on each
# row whose statement writes either column (the resync's updates name neither).
_KEEP = f"has_owner = {_OWNED.format(customer='c.domain_id')}, managed_by = {_MANAGER.format(customer='c.domain_id')}"
_POSTGRESQL = (
    f"""
    CREATE FUNCTION customer_owner_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            UPDATE customers_customer c SET {_KEEP}
            WHERE c.domain_id IN (SELECT domain_id FROM new_rows);
        ELSIF TG_OP = 'UPDATE' THEN
            UPDATE customers_customer c SET {_KEEP}
            WHERE c.domain_id IN (SELECT domain_id FROM new_rows UNION SELECT domain_id FROM old_rows);
        ELSE
            UPDATE customers_customer c SET {_KEEP}
            WHERE c.domain_id IN (SELECT domain_id FROM old_rows);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    *_0015._POSTGRESQL[1:4],
    f"""
    CREATE FUNCTION customer_has_owner_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.has_owner := {_OWNED.format(customer="NEW.domain_id")};
        NEW.managed_by := {_MANAGER.format(customer="NEW.domain_id")};
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER customer_has_owner_kept BEFORE UPDATE OF has_owner, managed_by ON customers_customer
    FOR EACH ROW EXECUTE FUNCTION customer_has_owner_keep()
    """,
)

_FILL = (
    f"UPDATE customers_customer SET managed_by = {_MANAGER.format(customer='customers_customer.domain_id')}"
)


def _add_column(apps, schema_editor):
    kind = "integer" if schema_editor.connection.vendor == "sqlite" else "bigint"
    schema_editor.execute(f"ALTER TABLE customers_customer ADD COLUMN managed_by {kind} NULL")


def _drop_column(apps, schema_editor):
    schema_editor.execute("ALTER TABLE customers_customer DROP COLUMN managed_by")


def install(apps, schema_editor):
    for sql in _0006._statements(schema_editor, _0015._SQLITE_REMOVE, _0015._POSTGRESQL_REMOVE):
        schema_editor.execute(sql)
    for sql in _0006._statements(schema_editor, _SQLITE, _POSTGRESQL):
        schema_editor.execute(sql)
    schema_editor.execute(_FILL)


def uninstall(apps, schema_editor):
    for sql in _0006._statements(schema_editor, _0015._SQLITE_REMOVE, _0015._POSTGRESQL_REMOVE):
        schema_editor.execute(sql)
    for sql in _0006._statements(schema_editor, _0015._SQLITE, _0015._POSTGRESQL):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0015_customer_has_owner"),
    ]

    operations = [
        # Added in place, as 0015's column: a rebuilt SQLite table would lose its triggers.
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(_add_column, _drop_column)],
            state_operations=[
                migrations.AddField(
                    model_name="customer",
                    name="managed_by",
                    field=models.BigIntegerField(editable=False, null=True),
                )
            ],
        ),
        migrations.RunPython(install, uninstall),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("managed_by__isnull", False), ("removed_at__isnull", True)),
                fields=["managed_by", "sort_name", "domain_id"],
                name="customer_managed_by_name",
            ),
        ),
    ]
