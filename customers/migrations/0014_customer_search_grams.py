"""On PostgreSQL, every run of two and of three characters of each customer's search text, in name order
(`customers.models.CustomerSearchGram`): a narrow table of (gram, sort_name, domain_id, live) with two indexes,
one in name order and one in domainId order within each gram. A search for one word of two or three characters
(a common company-name word: サクラ, 富士) is then the list of that gram, exactly (the text holds the word if and
only if it holds the gram), read from an index alone: its page walks that list in name order and stops after the
page, its count walks it in domainId order and stops at the cap (`customers.selectors.customers_found`).

The database keeps it, like the search table it is made from: a trigger on `customers_customersearch` rewrites a
customer's grams when its text, sort name or domainId changes, sets their `live` when only that changes, and
removes them with the customer; a TRUNCATE of the search table (Django's test flush) empties it too. The customers
already there are copied in. SQLite has no such table (not created there; the model is unmanaged): a search there
scans the narrow search table as before."""

from django.db import migrations, models

_GRAMS = """
    CREATE FUNCTION customer_search_grams(text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT COALESCE(array_agg(DISTINCT substr(part, i, n)), '{}')
        FROM unnest(string_to_array($1, E'\\n')) AS part,
             generate_series(2, 3) AS n,
             generate_series(1, length(part) - n + 1) AS i
    $$
"""

_TABLE = """
    CREATE TABLE customers_customersearchgram (
        gram text NOT NULL,
        sort_name varchar(200) NOT NULL,
        domain_id bigint NOT NULL,
        live boolean NOT NULL
    )
"""

_KEEP = """
    CREATE FUNCTION customer_search_grams_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.text = NEW.text AND OLD.sort_name = NEW.sort_name
                AND OLD.domain_id = NEW.domain_id THEN
            UPDATE customers_customersearchgram SET live = NEW.live
            WHERE gram = ANY(customer_search_grams(NEW.text)) AND domain_id = NEW.domain_id;
            RETURN NULL;
        END IF;
        IF TG_OP <> 'INSERT' THEN
            DELETE FROM customers_customersearchgram
            WHERE gram = ANY(customer_search_grams(OLD.text)) AND domain_id = OLD.domain_id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO customers_customersearchgram (gram, sort_name, domain_id, live)
            SELECT gram, NEW.sort_name, NEW.domain_id, NEW.live FROM unnest(customer_search_grams(NEW.text)) AS gram;
        END IF;
        RETURN NULL;
    END
    $$
"""

_EMPTY = """
    CREATE FUNCTION customer_search_grams_empty() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE customers_customersearchgram;
        RETURN NULL;
    END
    $$
"""

_POSTGRESQL = (
    _GRAMS,
    _TABLE,
    _KEEP,
    _EMPTY,
    """
    CREATE TRIGGER customer_search_grams_insert_delete AFTER INSERT OR DELETE ON customers_customersearch
    FOR EACH ROW EXECUTE FUNCTION customer_search_grams_keep()
    """,
    """
    CREATE TRIGGER customer_search_grams_update AFTER UPDATE ON customers_customersearch
    FOR EACH ROW WHEN (
        OLD.text IS DISTINCT FROM NEW.text
        OR OLD.sort_name IS DISTINCT FROM NEW.sort_name
        OR OLD.live IS DISTINCT FROM NEW.live
        OR OLD.domain_id <> NEW.domain_id
    )
    EXECUTE FUNCTION customer_search_grams_keep()
    """,
    """
    CREATE TRIGGER customer_search_grams_truncate AFTER TRUNCATE ON customers_customersearch
    FOR EACH STATEMENT EXECUTE FUNCTION customer_search_grams_empty()
    """,
    """
    INSERT INTO customers_customersearchgram (gram, sort_name, domain_id, live)
    SELECT gram, s.sort_name, s.domain_id, s.live
    FROM customers_customersearch s, unnest(customer_search_grams(s.text)) AS gram
    """,
    # Built after the copy (quicker than keeping them row by row). The name order's index carries `live`, and the
    # domainId order's is unique (a customer has each gram once): both are read alone, never the table.
    "CREATE INDEX customers_search_gram_by_name ON customers_customersearchgram (gram, sort_name, domain_id) "
    "INCLUDE (live)",
    "CREATE UNIQUE INDEX customers_search_gram_by_key ON customers_customersearchgram (gram, domain_id) "
    "INCLUDE (live)",
    # A common word's gram is among the grams whose share the planner keeps (its most common values): with the
    # default hundred it guessed a common word's customers a seventh of what they are and counted a searched
    # list of subscriptions by probing their index once per customer, not by merging both indexes in domainId
    # order (`python -m bench scale`, the Subscriptions list searched).
    "ALTER TABLE customers_customersearchgram ALTER COLUMN gram SET STATISTICS 1000",
    "ANALYZE customers_customersearchgram",
)

_POSTGRESQL_REMOVE = (
    "DROP TRIGGER IF EXISTS customer_search_grams_insert_delete ON customers_customersearch",
    "DROP TRIGGER IF EXISTS customer_search_grams_update ON customers_customersearch",
    "DROP TRIGGER IF EXISTS customer_search_grams_truncate ON customers_customersearch",
    "DROP TABLE IF EXISTS customers_customersearchgram",
    "DROP FUNCTION IF EXISTS customer_search_grams_keep()",
    "DROP FUNCTION IF EXISTS customer_search_grams_empty()",
    "DROP FUNCTION IF EXISTS customer_search_grams(text)",
)


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in _POSTGRESQL:
        schema_editor.execute(sql)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in _POSTGRESQL_REMOVE:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0013_customer_search_by_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerSearchGram",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "gram", "customer", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("gram", models.CharField(max_length=3)),
                (
                    "customer",
                    models.ForeignKey(
                        db_column="domain_id",
                        db_constraint=False,
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="customers.customer",
                    ),
                ),
                ("sort_name", models.CharField(max_length=200)),
                ("live", models.BooleanField()),
            ],
            options={
                "verbose_name": "customer search gram",
                "db_table": "customers_customersearchgram",
                "managed": False,
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
