"""Each open invoice's customer name on its row (`invoicing.models.OpenInvoice.customer_name`, as issued: final as
the invoice is): the trigger that adds the row of an invoice issued (0032's) copies the invoice's name with its
customer, and the rows already there are given theirs. Direct debit's page and the overdue invoices' list name
the customers of the open invoices they read from those rows, never from each invoice's issued row read beside
it by its key; the due-date index carries the name too (PostgreSQL, a non-key column), so direct debit's page
reads its open invoices along that index alone."""

import importlib

from django.db import migrations, models

#: The open invoices' triggers as 0032 left them, set aside while SQLite remakes the table to add the column.
_0032 = importlib.import_module("invoicing.migrations.0032_open_invoices_by_customer")

_CREDIT = _0032._CREDIT

#: 0032's SQLite trigger with the invoice's name copied into the row it adds (the others as they were).
_SQLITE_ISSUED = f"""
    CREATE TRIGGER open_invoice_issued AFTER INSERT ON invoicing_issuedinvoice
    WHEN NEW.kind <> {_CREDIT} AND NEW.total > 0 BEGIN
        INSERT INTO invoicing_openinvoice (invoice_id, domain_id, customer_name, number, due_date, owed, paid)
        VALUES (NEW.id, NEW.domain_id, NEW.customer_name, NEW.number, NEW.due_date, NEW.total, 0);
    END
"""
_SQLITE = (_SQLITE_ISSUED, *_0032._SQLITE[1:])
_SQLITE_REMOVE = _0032._SQLITE_REMOVE
_SQLITE_BEFORE = _0032._SQLITE

#: 0032's PostgreSQL function, the invoice's name copied into the row it adds (its triggers stay).
_POSTGRESQL = (
    f"""
    CREATE OR REPLACE FUNCTION open_invoice_issued_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM invoicing_openinvoice o USING old_rows r WHERE o.invoice_id = r.id;
            RETURN NULL;
        END IF;
        INSERT INTO invoicing_openinvoice (invoice_id, domain_id, customer_name, number, due_date, owed, paid)
        SELECT id, domain_id, customer_name, number, due_date, total, 0 FROM new_rows
        WHERE kind <> {_CREDIT} AND total > 0;
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
_POSTGRESQL_BEFORE = _0032._POSTGRESQL

#: The open invoices already there, each given its invoice's name.
_FILL_SQLITE = """
    UPDATE invoicing_openinvoice SET customer_name = (
        SELECT i.customer_name FROM invoicing_issuedinvoice i WHERE i.id = invoicing_openinvoice.invoice_id
    )
"""
_FILL_POSTGRESQL = """
    UPDATE invoicing_openinvoice o SET customer_name = i.customer_name
    FROM invoicing_issuedinvoice i WHERE i.id = o.invoice_id
"""


_run = _0032._run


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
        ("invoicing", "0032_open_invoices_by_customer"),
    ]

    operations = [
        migrations.RunPython(set_aside, put_back_before),
        migrations.AddField(
            model_name="openinvoice",
            name="customer_name",
            field=models.CharField(default="", max_length=200, verbose_name="company name"),
            preserve_default=False,
        ),
        migrations.RunPython(install, uninstall),
        migrations.RemoveIndex(model_name="openinvoice", name="invoicing_open_due"),
        migrations.AddIndex(
            model_name="openinvoice",
            index=models.Index(
                fields=["due_date", "number"],
                include=["domain_id", "invoice", "owed", "customer_name"],
                name="invoicing_open_due",
            ),
        ),
    ]
