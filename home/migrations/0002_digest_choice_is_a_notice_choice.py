"""Who turned the morning digest off is now their choice of the notice "digest" (none), beside how they get it."""

from django.db import migrations


def to_notice_choices(apps, schema_editor):
    NoticeChoice = apps.get_model("core", "NoticeChoice")
    for opt_out in apps.get_model("home", "DigestOptOut").objects.all():
        NoticeChoice.objects.update_or_create(
            user_id=opt_out.user_id, kind="digest", defaults={"way": "none"}
        )


def to_opt_outs(apps, schema_editor):
    DigestOptOut = apps.get_model("home", "DigestOptOut")
    for choice in apps.get_model("core", "NoticeChoice").objects.filter(kind="digest", way="none"):
        DigestOptOut.objects.get_or_create(user_id=choice.user_id)


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0001_digest_opt_out"),
        ("core", "0030_notice_choices_rooms"),
    ]

    operations = [
        migrations.RunPython(to_notice_choices, to_opt_outs),
        migrations.DeleteModel(
            name="DigestOptOut",
        ),
    ]
