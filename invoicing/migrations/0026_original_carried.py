"""A credit note or corrected invoice keeps its original's number and date of issue (`IssuedInvoice.
original_number`, `original_issue_date`), copied when it is issued: both are final, and the lists of documents
(the search, the month's issued, their downloads) then show them without reading each original, four index and
table pages a row (`python -m bench scale`, invoicing:search). The documents already issued get them from their
originals here, in SQL (the model refuses to write an issued row)."""

from django.db import migrations, models

_FILL = """
UPDATE invoicing_issuedinvoice
SET original_number = (SELECT o.number FROM invoicing_issuedinvoice o WHERE o.id = invoicing_issuedinvoice.original_id),
    original_issue_date = (
        SELECT o.issue_date FROM invoicing_issuedinvoice o WHERE o.id = invoicing_issuedinvoice.original_id
    )
WHERE original_id IS NOT NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0025_unsent_addressed"),
    ]

    operations = [
        migrations.AddField(
            model_name="issuedinvoice",
            name="original_number",
            field=models.PositiveBigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="issuedinvoice",
            name="original_issue_date",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunSQL(_FILL, migrations.RunSQL.noop),
    ]
