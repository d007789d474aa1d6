"""A customer's removal and Account manager, carried on the rows of another app's table keyed by its domainId
(`CarriesCustomer`), kept there by the database's triggers, never by the portal.

Why: a list, a worklist section or the Scheduled changes page reads a customer's rows (subscriptions, options,
their scheduled changes, core's operations) of the customers still in the API, and for an Account manager of
theirs alone. Asked of the customers table, both are sets that grow with the partner: the removed customers'
keys hashed (thousands after a year) and the Account manager's customers' keys hashed (a twelfth of every
customer), for every read, before the first row. Carried on the rows, both are columns of the row's own
partial indexes (`WHERE NOT customer_removed`, and a twin led by `customer_manager`), so a page and its capped
count read a range of an index however many customers there are (`python -m bench scale`, the worklists' full
lists and the calendar).

How: a table that carries them gets, by its app's migration (`migration_operations`: the columns, then
`install`; core's operations: core declares the columns, and customers 0019 calls `install`, so core names no
app):

* on its own rows, when a row is added or its customer, removal or manager columns are written: both read from
  its customer (a whole-row save of a copy read earlier writes what the customers table says, not the copy's);
* on the customers table, when a customer is added, removed, brought back or changes Account manager: its rows
  on this table rewritten (the customers' `managed_by` is itself kept from the owners table, customers 0016).

The statements are written for the two databases the portal runs on (SQLite, PostgreSQL). Migrations call this
module: a change to what it writes is a new migration that installs it again (`uninstall`, then `install`).
"""

from __future__ import annotations

#: Where a row's customer is read (its domainId expression goes in `{customer}`).
_REMOVED = "COALESCE((SELECT c.removed_at IS NOT NULL FROM customers_customer c WHERE c.domain_id = {customer}), {false})"
_MANAGER = "(SELECT c.managed_by FROM customers_customer c WHERE c.domain_id = {customer})"


def _sqlite(table: str, key: str) -> tuple[str, ...]:
    removed = _REMOVED.format(customer="NEW.domain_id", false="0")
    manager = _MANAGER.format(customer="NEW.domain_id")
    keep_row = f"""
        UPDATE {table} SET customer_removed = {removed}, customer_manager = {manager}
        WHERE {key} = NEW.{key};
    """
    keep_rows = f"""
        UPDATE {table} SET customer_removed = (NEW.removed_at IS NOT NULL), customer_manager = NEW.managed_by
        WHERE domain_id = NEW.domain_id
          AND (customer_removed IS NOT (NEW.removed_at IS NOT NULL) OR customer_manager IS NOT NEW.managed_by);
    """
    return (
        f"CREATE TRIGGER {table}_carried_added AFTER INSERT ON {table} BEGIN {keep_row} END",
        f"""
        CREATE TRIGGER {table}_carried_kept AFTER UPDATE OF domain_id, customer_removed, customer_manager ON {table}
        WHEN NEW.customer_removed IS NOT {removed} OR NEW.customer_manager IS NOT {manager}
        BEGIN {keep_row} END
        """,
        f"CREATE TRIGGER {table}_customer_added AFTER INSERT ON customers_customer BEGIN {keep_rows} END",
        f"""
        CREATE TRIGGER {table}_customer_changed AFTER UPDATE OF removed_at, managed_by ON customers_customer
        WHEN (OLD.removed_at IS NULL) <> (NEW.removed_at IS NULL) OR OLD.managed_by IS NOT NEW.managed_by
        BEGIN {keep_rows} END
        """,
    )


def _postgresql(table: str, key: str) -> tuple[str, ...]:
    del key  # a row's own trigger sets its NEW columns
    return (
        f"""
        CREATE FUNCTION {table}_carried_keep() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            removed boolean;
            manager bigint;
        BEGIN
            -- One read of the customer for both (a row written before its customer: neither).
            SELECT c.removed_at IS NOT NULL, c.managed_by INTO removed, manager
            FROM customers_customer c WHERE c.domain_id = NEW.domain_id;
            NEW.customer_removed := COALESCE(removed, false);
            NEW.customer_manager := manager;
            RETURN NEW;
        END
        $$
        """,
        f"""
        CREATE TRIGGER {table}_carried_kept
        BEFORE INSERT OR UPDATE OF domain_id, customer_removed, customer_manager ON {table}
        FOR EACH ROW EXECUTE FUNCTION {table}_carried_keep()
        """,
        f"""
        CREATE FUNCTION {table}_customer_carry() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE {table}
            SET customer_removed = (NEW.removed_at IS NOT NULL), customer_manager = NEW.managed_by
            WHERE domain_id = NEW.domain_id
              AND (customer_removed IS DISTINCT FROM (NEW.removed_at IS NOT NULL)
                   OR customer_manager IS DISTINCT FROM NEW.managed_by);
            RETURN NULL;
        END
        $$
        """,
        f"""
        CREATE TRIGGER {table}_customer_added AFTER INSERT ON customers_customer
        FOR EACH ROW EXECUTE FUNCTION {table}_customer_carry()
        """,
        f"""
        CREATE TRIGGER {table}_customer_changed AFTER UPDATE OF removed_at, managed_by ON customers_customer
        FOR EACH ROW WHEN ((OLD.removed_at IS NULL) <> (NEW.removed_at IS NULL)
                           OR OLD.managed_by IS DISTINCT FROM NEW.managed_by)
        EXECUTE FUNCTION {table}_customer_carry()
        """,
    )


def _removal(table: str, vendor: str) -> tuple[str, ...]:
    triggers = (
        f"DROP TRIGGER IF EXISTS {table}_carried_added" + ("" if vendor == "sqlite" else f" ON {table}"),
        f"DROP TRIGGER IF EXISTS {table}_carried_kept" + ("" if vendor == "sqlite" else f" ON {table}"),
        f"DROP TRIGGER IF EXISTS {table}_customer_added"
        + ("" if vendor == "sqlite" else " ON customers_customer"),
        f"DROP TRIGGER IF EXISTS {table}_customer_changed"
        + ("" if vendor == "sqlite" else " ON customers_customer"),
    )
    if vendor == "sqlite":
        return triggers
    return (
        *triggers,
        f"DROP FUNCTION IF EXISTS {table}_carried_keep()",
        f"DROP FUNCTION IF EXISTS {table}_customer_carry()",
    )


def _vendor(schema_editor) -> str:
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        from django.db import NotSupportedError

        raise NotSupportedError(
            f"The portal runs on SQLite or PostgreSQL, not {schema_editor.connection.display_name}: a customer's "
            "removal and Account manager are carried on its rows by triggers written for those two "
            "(customers/carried.py)."
        )
    return vendor


def add_columns(schema_editor, *, table: str) -> None:
    """The two columns, added in place (a rebuilt SQLite table would lose its triggers)."""
    kind = "integer" if _vendor(schema_editor) == "sqlite" else "bigint"
    schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN customer_removed boolean NOT NULL DEFAULT false")
    schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN customer_manager {kind} NULL")


def drop_columns(schema_editor, *, table: str) -> None:
    schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN customer_manager")
    schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN customer_removed")


def install(schema_editor, *, table: str, key: str) -> None:
    """The triggers that keep `table`'s carried columns (its primary key column `key`), then its rows filled in."""
    vendor = _vendor(schema_editor)
    for sql in _sqlite(table, key) if vendor == "sqlite" else _postgresql(table, key):
        schema_editor.execute(sql)
    # Only the rows whose values differ (an unowned live customer's rows already say so): each row rewritten
    # leaves a dead copy behind on PostgreSQL until the table is vacuumed.
    removed = _REMOVED.format(customer=f"{table}.domain_id", false="false")
    manager = _MANAGER.format(customer=f"{table}.domain_id")
    schema_editor.execute(
        f"UPDATE {table} SET customer_removed = {removed}, customer_manager = {manager} "
        f"WHERE customer_removed IS DISTINCT FROM {removed} OR customer_manager IS DISTINCT FROM {manager}"
    )


def uninstall(schema_editor, *, table: str) -> None:
    for sql in _removal(table, _vendor(schema_editor)):
        schema_editor.execute(sql)


def migration_operations(carrying: dict[str, tuple[str, str]]):
    """The operations a carrying app's migration runs, for `carrying` ({model name: (table, primary key column)}):
    the two columns added in place (a rebuilt SQLite table would lose its triggers) with their fields in the
    migration state (`CarriesCustomer`'s), then the triggers installed and the rows filled in. Each runs backwards
    too."""
    from django.db import migrations, models

    tables = dict(carrying.values())

    def add(apps, schema_editor):
        for table in tables:
            add_columns(schema_editor, table=table)

    def drop(apps, schema_editor):
        for table in tables:
            drop_columns(schema_editor, table=table)

    def keep(apps, schema_editor):
        for table, key in tables.items():
            install(schema_editor, table=table, key=key)

    def stop(apps, schema_editor):
        for table in tables:
            uninstall(schema_editor, table=table)

    fields = [
        migrations.AddField(model_name=name, name=field_name, field=field)
        for name in carrying
        for field_name, field in (
            ("customer_manager", models.BigIntegerField(editable=False, null=True)),
            ("customer_removed", models.BooleanField(default=False, editable=False)),
        )
    ]
    return [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add, drop)], state_operations=fields
        ),
        migrations.RunPython(keep, stop),
    ]
