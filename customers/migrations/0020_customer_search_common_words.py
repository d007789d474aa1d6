"""On PostgreSQL, the customers of each common word kept as short lists (`customers.models.CustomerSearchKept`):
a gram that many customers' texts hold (a legal form such as 株式会社, a common company-name word) has its
customers' domainIds kept in rows of a few hundred each (`customers_customersearchkept`), so that a page that
reads all of a common word's customers into a hash (the month's findings, the calendar searched) reads a few
rows where the gram table's index held an entry per customer.

The lists are exact at every moment, kept by the database alongside the gram table:

* `customers_customersearchcommon`: the common words, each with its lists. A word joins
  (`customer_search_common_keep`) under a share lock of the gram table, so that no customer's grams are written
  between the count and the first lists.
* `customers_customersearchkeptchange`: what changed since a word's lists were made. A trigger of each
  statement on the gram table notes every row written or removed of a common word, appended, never updated, so
  writers never wait for each other here.
* `customers_customersearchfound`: the view readers read while a word has changes noted. For one word, the
  lists unnested and the changes after them, the last of each customer winning; only the customers still
  holding the word. A word without any is read from its lists alone (`customers.selectors.search.found_whole`).
* `customer_search_kept_build(word)`: the lists made again from the gram table and the changes they now hold
  removed, in one statement (one snapshot): a change not yet committed when it starts is left for the view.

The upkeep (`customers.services.search_kept`, a periodic job) makes again the lists of each word with changes,
and once a day lets the words that became common join. SQLite has none of this: its search reads the search
table."""

from django.contrib.postgres.fields import ArrayField
from django.db import migrations, models

#: A list row's customers: its array stays under the size PostgreSQL would move out of the row (TOAST), so a
#: list is read row by row, a few rows to a page.
_PER_ROW = 240

_TABLES = (
    """
    CREATE TABLE customers_customersearchcommon (
        gram text PRIMARY KEY,
        kept_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE customers_customersearchkept (
        gram text NOT NULL,
        live boolean NOT NULL,
        part integer NOT NULL,
        domain_ids bigint[] NOT NULL
    )
    """,
    "CREATE INDEX customers_search_kept_by_word ON customers_customersearchkept (gram, live, part)",
    """
    CREATE TABLE customers_customersearchkeptchange (
        seq bigserial PRIMARY KEY,
        gram text NOT NULL,
        domain_id bigint NOT NULL,
        present boolean NOT NULL,
        live boolean NOT NULL
    )
    """,
    "CREATE INDEX customers_search_kept_change_by_word "
    "ON customers_customersearchkeptchange (gram, domain_id, seq)",
)

_NOTE = """
    CREATE FUNCTION customer_search_kept_note() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            INSERT INTO customers_customersearchkeptchange (gram, domain_id, present, live)
            SELECT o.gram, o.domain_id, false, o.live FROM old_rows o
            WHERE o.gram IN (SELECT gram FROM customers_customersearchcommon);
        ELSE
            INSERT INTO customers_customersearchkeptchange (gram, domain_id, present, live)
            SELECT n.gram, n.domain_id, true, n.live FROM new_rows n
            WHERE n.gram IN (SELECT gram FROM customers_customersearchcommon);
        END IF;
        RETURN NULL;
    END
    $$
"""

_EMPTY = """
    CREATE FUNCTION customer_search_kept_empty() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE customers_customersearchkept, customers_customersearchkeptchange;
        RETURN NULL;
    END
    $$
"""

_BUILD = f"""
    CREATE FUNCTION customer_search_kept_build(word text) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        -- One build of a word at a time: two would each keep their lists.
        PERFORM pg_advisory_xact_lock(hashtext('customers_customersearchkept'), hashtext(word));
        WITH made_before AS (DELETE FROM customers_customersearchkept WHERE gram = word),
             held AS (DELETE FROM customers_customersearchkeptchange WHERE gram = word)
        INSERT INTO customers_customersearchkept (gram, live, part, domain_ids)
        SELECT word, live, part, array_agg(domain_id ORDER BY domain_id)
        FROM (
            SELECT live, domain_id,
                   (row_number() OVER (PARTITION BY live ORDER BY domain_id) - 1) / {_PER_ROW} AS part
            FROM customers_customersearchgram WHERE gram = word
        ) numbered
        GROUP BY live, part;
    END
    $$
"""

_JOIN = """
    CREATE FUNCTION customer_search_common_keep(least_customers integer) RETURNS integer LANGUAGE plpgsql AS $$
    DECLARE
        word text;
        joined integer := 0;
    BEGIN
        FOR word IN
            SELECT gram FROM customers_customersearchgram GROUP BY gram HAVING count(*) >= least_customers
            EXCEPT SELECT gram FROM customers_customersearchcommon
        LOOP
            -- No customer's grams written from here until the commit: the first lists and the notes of changes
            -- meet exactly.
            LOCK TABLE customers_customersearchgram IN SHARE MODE;
            INSERT INTO customers_customersearchcommon (gram, kept_at) VALUES (word, now()) ON CONFLICT DO NOTHING;
            PERFORM customer_search_kept_build(word);
            joined := joined + 1;
        END LOOP;
        RETURN joined;
    END
    $$
"""

_VIEW = """
    CREATE VIEW customers_customersearchfound AS
    SELECT gram, domain_id, live FROM (
        SELECT DISTINCT ON (gram, domain_id) gram, domain_id, present, live FROM (
            SELECT k.gram, u.domain_id, 0::bigint AS seq, true AS present, k.live
            FROM customers_customersearchkept k CROSS JOIN LATERAL unnest(k.domain_ids) AS u(domain_id)
            UNION ALL
            SELECT c.gram, c.domain_id, c.seq, c.present, c.live FROM customers_customersearchkeptchange c
        ) entries
        ORDER BY gram, domain_id, seq DESC
    ) latest
    WHERE present
"""

_POSTGRESQL = (
    *_TABLES,
    _NOTE,
    _EMPTY,
    _BUILD,
    _JOIN,
    _VIEW,
    """
    CREATE TRIGGER customer_search_kept_insert AFTER INSERT ON customers_customersearchgram
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_search_kept_note()
    """,
    """
    CREATE TRIGGER customer_search_kept_update AFTER UPDATE ON customers_customersearchgram
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_search_kept_note()
    """,
    """
    CREATE TRIGGER customer_search_kept_delete AFTER DELETE ON customers_customersearchgram
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_search_kept_note()
    """,
    """
    CREATE TRIGGER customer_search_kept_truncate AFTER TRUNCATE ON customers_customersearchgram
    FOR EACH STATEMENT EXECUTE FUNCTION customer_search_kept_empty()
    """,
    # The words common already (an upgrade of a portal with customers): as the daily upkeep would let them join.
    "SELECT customer_search_common_keep(1000)",
    "ANALYZE customers_customersearchkept",
)

_POSTGRESQL_REMOVE = (
    "DROP VIEW IF EXISTS customers_customersearchfound",
    "DROP TRIGGER IF EXISTS customer_search_kept_insert ON customers_customersearchgram",
    "DROP TRIGGER IF EXISTS customer_search_kept_update ON customers_customersearchgram",
    "DROP TRIGGER IF EXISTS customer_search_kept_delete ON customers_customersearchgram",
    "DROP TRIGGER IF EXISTS customer_search_kept_truncate ON customers_customersearchgram",
    "DROP FUNCTION IF EXISTS customer_search_common_keep(integer)",
    "DROP FUNCTION IF EXISTS customer_search_kept_build(text)",
    "DROP FUNCTION IF EXISTS customer_search_kept_note()",
    "DROP FUNCTION IF EXISTS customer_search_kept_empty()",
    "DROP TABLE IF EXISTS customers_customersearchkeptchange",
    "DROP TABLE IF EXISTS customers_customersearchkept",
    "DROP TABLE IF EXISTS customers_customersearchcommon",
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
        ("customers", "0019_operations_carry_customer"),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerSearchCommon",
            fields=[
                ("gram", models.CharField(max_length=4, primary_key=True, serialize=False)),
                ("kept_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "common search word",
                "db_table": "customers_customersearchcommon",
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="CustomerSearchKept",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "gram", "live", "part", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("gram", models.CharField(max_length=4)),
                ("live", models.BooleanField()),
                ("part", models.IntegerField()),
                ("domain_ids", ArrayField(base_field=models.BigIntegerField(), size=None)),
            ],
            options={
                "verbose_name": "common search word's customers",
                "db_table": "customers_customersearchkept",
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="CustomerSearchFound",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "gram", "customer", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("gram", models.CharField(max_length=4)),
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
                ("live", models.BooleanField()),
            ],
            options={
                "verbose_name": "customer found by a common word",
                "db_table": "customers_customersearchfound",
                "managed": False,
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
