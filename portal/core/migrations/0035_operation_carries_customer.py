"""Operations carry their customer's removal and Account manager (`CarriesCustomer`, by their `domain_id`), with a
twin of the unknown and failed ones' index led by the manager. The customers app installs the triggers that keep
the two columns and fills them (customers 0019): until then every operation says "no manager", as a customer's
rows did before their app's migration."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0034_audit_time_with_kind"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="operation",
            name="customer_manager",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="operation",
            name="customer_removed",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddIndex(
            model_name="operation",
            index=models.Index(
                condition=models.Q(
                    ("customer_manager__isnull", False), ("status__in", ["unknown", "failed"])
                ),
                fields=["customer_manager", "status", "requested_at"],
                include=("domain_id", "kind", "id"),
                name="core_operation_manager_unknown",
            ),
        ),
    ]
