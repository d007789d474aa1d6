"""Items already stored take the order of `vocabulary.ItemType`: a customer's subtotal (SUMMARY) right under the
plans, options and adjustments it sums, Option Plus and penalties after it. Within each month, every customer's
rows keep the places they held in the list (`row_order`) and are ordered again inside them."""

from django.db import migrations

#: ItemType's order when this migration was written (the model's own may move on).
ORDER = ("PRODUCT", "OPTION_PRODUCT", "ADJUSTMENT", "SUMMARY", "OPTION_PLUS", "PENALTY")


def reorder(apps, schema_editor):
    InvoiceItem = apps.get_model("billing", "InvoiceItem")
    places = {kind: n for n, kind in enumerate(ORDER)}
    # Without the model's ordering, which would make every item a "distinct" month of its own.
    months = InvoiceItem.objects.order_by().values_list("year", "month").distinct()
    for year, month in months:
        rows = list(InvoiceItem.objects.filter(year=year, month=month).order_by("row_order", "pk"))
        changed = []
        start = 0
        while start < len(rows):
            end = start
            while end < len(rows) and rows[end].domain_id == rows[start].domain_id:
                end += 1
            block = rows[start:end]
            slots = [row.row_order for row in block]
            for row in block:
                row.type_order = places.get(row.item_type, 99)
            for slot, row in zip(slots, sorted(block, key=lambda r: (r.type_order, r.position)), strict=True):
                row.row_order = slot
            changed += block
            start = end
        InvoiceItem.objects.bulk_update(changed, ["type_order", "row_order"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0010_finding_of_customer"),
    ]

    operations = [migrations.RunPython(reorder, migrations.RunPython.noop)]
