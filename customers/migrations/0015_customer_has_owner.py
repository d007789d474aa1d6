"""Whether an Account manager looks after each customer (`customers.models.Customer.has_owner`), kept by the
database: triggers on the owners table set it on the owner's customer whenever a row is added, changed or removed,
and a trigger on the customers table keeps any other write of it true to the owners table (a whole-row save of a
copy read before the owner changed writes what the owners table says, not the copy's old value). Then the
customers already there are marked, and the customers without an owner get an index in name order: the
worklist's "Customers without an owner" and the Owner filter's "Unassigned" read a range of it instead of hashing
every owned customer (`python -m bench scale`, work_list unassigned)."""

import importlib

from django.db import migrations, models

#: 0006's choice of statements by database (SQLite or PostgreSQL, nothing else).
_0006 = importlib.import_module("customers.migrations.0006_customer_search")

#: Whether the customer `customer` (a domainId expression) has an Account manager, by the owners table.
_OWNED = (
    "EXISTS (SELECT 1 FROM customers_customerowner o WHERE o.domain_id = {customer} "
    "AND o.account_manager_id IS NOT NULL)"
)

_SQLITE = (
    """
    CREATE TRIGGER customer_owner_added AFTER INSERT ON customers_customerowner BEGIN
        UPDATE customers_customer SET has_owner = (NEW.account_manager_id IS NOT NULL)
        WHERE domain_id = NEW.domain_id;
    END
    """,
    """
    CREATE TRIGGER customer_owner_changed AFTER UPDATE OF account_manager_id, domain_id ON customers_customerowner
    BEGIN
        UPDATE customers_customer SET has_owner = 0 WHERE domain_id = OLD.domain_id;
        UPDATE customers_customer SET has_owner = (NEW.account_manager_id IS NOT NULL)
        WHERE domain_id = NEW.domain_id;
    END
    """,
    """
    CREATE TRIGGER customer_owner_removed AFTER DELETE ON customers_customerowner BEGIN
        UPDATE customers_customer SET has_owner = 0 WHERE domain_id = OLD.domain_id;
    END
    """,
    f"""
    CREATE TRIGGER customer_has_owner_kept AFTER UPDATE OF has_owner ON customers_customer
    WHEN NEW.has_owner IS NOT {_OWNED.format(customer="NEW.domain_id")}
    BEGIN
        UPDATE customers_customer SET has_owner = {_OWNED.format(customer="NEW.domain_id")}
        WHERE domain_id = NEW.domain_id;
    END
    """,
)
_SQLITE_REMOVE = tuple(
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "customer_owner_added",
        "customer_owner_changed",
        "customer_owner_removed",
        "customer_has_owner_kept",
    )
)

# The owners' triggers once per statement, from its transition tables (a hand-over of many customers is one
# update of theirs); the customers' trigger on each row whose statement writes has_owner (the resync's updates
# never name it, so it costs them nothing).
_POSTGRESQL = (
    f"""
    CREATE FUNCTION customer_owner_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            UPDATE customers_customer c SET has_owner = {_OWNED.format(customer="c.domain_id")}
            WHERE c.domain_id IN (SELECT domain_id FROM new_rows);
        ELSIF TG_OP = 'UPDATE' THEN
            UPDATE customers_customer c SET has_owner = {_OWNED.format(customer="c.domain_id")}
            WHERE c.domain_id IN (SELECT domain_id FROM new_rows UNION SELECT domain_id FROM old_rows);
        ELSE
            UPDATE customers_customer c SET has_owner = {_OWNED.format(customer="c.domain_id")}
            WHERE c.domain_id IN (SELECT domain_id FROM old_rows);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER customer_owner_added AFTER INSERT ON customers_customerowner
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_owner_keep()
    """,
    """
    CREATE TRIGGER customer_owner_changed AFTER UPDATE ON customers_customerowner
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_owner_keep()
    """,
    """
    CREATE TRIGGER customer_owner_removed AFTER DELETE ON customers_customerowner
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_owner_keep()
    """,
    f"""
    CREATE FUNCTION customer_has_owner_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.has_owner := {_OWNED.format(customer="NEW.domain_id")};
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER customer_has_owner_kept BEFORE UPDATE OF has_owner ON customers_customer
    FOR EACH ROW EXECUTE FUNCTION customer_has_owner_keep()
    """,
)
_POSTGRESQL_REMOVE = (
    "DROP TRIGGER IF EXISTS customer_owner_added ON customers_customerowner",
    "DROP TRIGGER IF EXISTS customer_owner_changed ON customers_customerowner",
    "DROP TRIGGER IF EXISTS customer_owner_removed ON customers_customerowner",
    "DROP TRIGGER IF EXISTS customer_has_owner_kept ON customers_customer",
    "DROP FUNCTION IF EXISTS customer_owner_keep()",
    "DROP FUNCTION IF EXISTS customer_has_owner_keep()",
)

_FILL = f"UPDATE customers_customer SET has_owner = {_OWNED.format(customer='customers_customer.domain_id')}"


def _add_column(apps, schema_editor):
    kind = "bool" if schema_editor.connection.vendor == "sqlite" else "boolean"
    schema_editor.execute(
        f"ALTER TABLE customers_customer ADD COLUMN has_owner {kind} DEFAULT false NOT NULL"
    )


def _drop_column(apps, schema_editor):
    schema_editor.execute("ALTER TABLE customers_customer DROP COLUMN has_owner")


def install(apps, schema_editor):
    for sql in _0006._statements(schema_editor, _SQLITE, _POSTGRESQL):
        schema_editor.execute(sql)
    schema_editor.execute(_FILL)


def uninstall(apps, schema_editor):
    for sql in _0006._statements(schema_editor, _SQLITE_REMOVE, _POSTGRESQL_REMOVE):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0014_customer_search_grams"),
    ]

    operations = [
        # A column added in place: SQLite would otherwise rebuild the customers table for a field with a default,
        # and a rebuilt table loses the triggers that keep the search table and the live count (0006, 0011).
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(_add_column, _drop_column)],
            state_operations=[
                migrations.AddField(
                    model_name="customer",
                    name="has_owner",
                    field=models.BooleanField(db_default=False, default=False, editable=False),
                )
            ],
        ),
        migrations.RunPython(install, uninstall),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("has_owner", False), ("removed_at__isnull", True)),
                fields=["sort_name", "domain_id"],
                name="customer_unowned_by_name",
            ),
        ),
    ]
