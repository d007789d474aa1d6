"""Each open invoice's customer on its row (`invoicing.models.OpenInvoice.domain_id`): the trigger that adds the row
of an invoice issued (0013's) copies the invoice's customer with it, and the rows already there are given theirs.
Whoever reads the open invoices of some customers (direct debit's, the bank matching's, the payment reminders')
filters them on their own row, never on every open invoice's issued invoice read beside it.

The due-date index (`invoicing_open_due`) carries each row's customer, invoice and what it owes (PostgreSQL, as
non-key columns): direct debit's open invoices of the customers with an account, due by a date, are read along
the index alone, an entry per invoice passed, the accounts and the invoices waiting in a run looked up in memory."""

import importlib

from django.db import migrations, models

#: customers' 0006 choice of statements by database (SQLite or PostgreSQL, nothing else).
_0006 = importlib.import_module("customers.migrations.0006_customer_search")
#: The triggers that keep the open invoices and count them by due date. SQLite adds a column by remaking the
#: table, which it refuses while a trigger on another table names it, and which drops the triggers on the table
#: itself: both sets are set aside while it does, and put back after.
_0013 = importlib.import_module("invoicing.migrations.0013_open_invoices")
_0023 = importlib.import_module("invoicing.migrations.0023_open_invoices_by_due_date")

_CREDIT = _0013._CREDIT

#: 0013's SQLite triggers with the invoice's customer copied into the row it adds (the others as they were).
_SQLITE_ISSUED = f"""
    CREATE TRIGGER open_invoice_issued AFTER INSERT ON invoicing_issuedinvoice
    WHEN NEW.kind <> {_CREDIT} AND NEW.total > 0 BEGIN
        INSERT INTO invoicing_openinvoice (invoice_id, domain_id, number, due_date, owed, paid)
        VALUES (NEW.id, NEW.domain_id, NEW.number, NEW.due_date, NEW.total, 0);
    END
"""
_SQLITE_KEPT = tuple(sql for sql in _0013._SQLITE if "TRIGGER open_invoice_issued " not in sql)
_SQLITE = (_SQLITE_ISSUED, *_SQLITE_KEPT, *_0023._SQLITE)
_SQLITE_REMOVE = (*_0013._SQLITE_REMOVE, *_0023._SQLITE_REMOVE)
_SQLITE_BEFORE = (*_0013._SQLITE, *_0023._SQLITE)

#: 0013's PostgreSQL function, the invoice's customer copied into the row it adds (its triggers stay).
_POSTGRESQL = (
    f"""
    CREATE OR REPLACE FUNCTION open_invoice_issued_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM invoicing_openinvoice o USING old_rows r WHERE o.invoice_id = r.id;
            RETURN NULL;
        END IF;
        INSERT INTO invoicing_openinvoice (invoice_id, domain_id, number, due_date, owed, paid)
        SELECT id, domain_id, number, due_date, total, 0 FROM new_rows WHERE kind <> {_CREDIT} AND total > 0;
        UPDATE invoicing_openinvoice o SET owed = o.owed + c.credit
        FROM (
            SELECT original_id, sum(total) AS credit FROM new_rows
            WHERE kind = {_CREDIT} AND original_id IS NOT NULL GROUP BY original_id
        ) c
        WHERE o.invoice_id = c.original_id;
        DELETE FROM invoicing_openinvoice o USING new_rows r
        WHERE r.kind = {_CREDIT} AND o.invoice_id = r.original_id AND o.owed <= 0;
        RETURN NULL;
    END
    $$
    """,
)
#: 0013's function as it was (its triggers name it, so it is replaced, never dropped).
_POSTGRESQL_BEFORE = tuple(
    sql.replace(
        "CREATE FUNCTION open_invoice_issued_keep()", "CREATE OR REPLACE FUNCTION open_invoice_issued_keep()"
    )
    for sql in _0013._POSTGRESQL
    if sql.lstrip().startswith("CREATE FUNCTION open_invoice_issued_keep()")
)

#: The open invoices already there, each given its invoice's customer.
_FILL_SQLITE = """
    UPDATE invoicing_openinvoice SET domain_id = (
        SELECT i.domain_id FROM invoicing_issuedinvoice i WHERE i.id = invoicing_openinvoice.invoice_id
    )
"""
_FILL_POSTGRESQL = """
    UPDATE invoicing_openinvoice o SET domain_id = i.domain_id
    FROM invoicing_issuedinvoice i WHERE i.id = o.invoice_id
"""


def _run(schema_editor, sqlite, postgresql) -> None:
    for sql in _0006._statements(schema_editor, sqlite, postgresql):
        schema_editor.execute(sql)


def set_aside(apps, schema_editor):
    # First, as SQLite adds (and removes) a column by remaking the table.
    _run(schema_editor, _SQLITE_REMOVE, ())


def put_back_before(apps, schema_editor):
    _run(schema_editor, _SQLITE_BEFORE, ())


def install(apps, schema_editor):
    _run(schema_editor, _SQLITE, _POSTGRESQL)
    _run(schema_editor, (_FILL_SQLITE,), (_FILL_POSTGRESQL,))


def uninstall(apps, schema_editor):
    # SQLite's set aside before the column is removed (put back as they were after it); PostgreSQL's function
    # made as it was.
    _run(schema_editor, _SQLITE_REMOVE, _POSTGRESQL_BEFORE)


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0031_payment_reminders"),
    ]

    operations = [
        migrations.RunPython(set_aside, put_back_before),
        migrations.AddField(
            model_name="openinvoice",
            name="domain_id",
            field=models.BigIntegerField(default=0, verbose_name="domainId"),
            preserve_default=False,
        ),
        migrations.RunPython(install, uninstall),
        migrations.RemoveIndex(model_name="openinvoice", name="invoicing_open_due"),
        migrations.AddIndex(
            model_name="openinvoice",
            index=models.Index(
                fields=["due_date", "number"],
                include=["domain_id", "invoice", "owed"],
                name="invoicing_open_due",
            ),
        ),
    ]
