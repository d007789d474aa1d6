"""On PostgreSQL, the gram table (`customers.models.CustomerSearchGram`, migration 0014) keeps the runs of four
characters of each customer's search text too, beside those of two and three. A search for one word of four
characters (a legal form: 株式会社, 有限会社, 合同会社) is then the list of that gram, exactly, read from an index
alone, where the search table's trigram index found most customers' rows and each was read to check it: more as
the customers grow (`python -m bench scale`, the Scheduled changes page searched by a legal form).

The function the trigger makes a customer's grams with is replaced (the trigger then writes and removes the
four-character runs too) and the runs of the customers already there are added."""

from django.db import migrations, models


def _grams_function(longest: int) -> str:
    return f"""
    CREATE OR REPLACE FUNCTION customer_search_grams(text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT COALESCE(array_agg(DISTINCT substr(part, i, n)), '{{}}')
        FROM unnest(string_to_array($1, E'\\n')) AS part,
             generate_series(2, {longest}) AS n,
             generate_series(1, length(part) - n + 1) AS i
    $$
    """


_ADD = (
    _grams_function(4),
    """
    INSERT INTO customers_customersearchgram (gram, sort_name, domain_id, live)
    SELECT gram, s.sort_name, s.domain_id, s.live
    FROM customers_customersearch s, unnest(customer_search_grams(s.text)) AS gram
    WHERE length(gram) = 4
    """,
    "ANALYZE customers_customersearchgram",
)

_REMOVE = (
    _grams_function(3),
    "DELETE FROM customers_customersearchgram WHERE length(gram) = 4",
)


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in _ADD:
        schema_editor.execute(sql)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in _REMOVE:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0017_manager_section_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="customersearchgram",
            name="gram",
            field=models.CharField(max_length=4),
        ),
        migrations.RunPython(install, uninstall),
    ]
