"""Notices (portal/core/notices/): each person's choice per kind and their LINE WORKS ID, team rooms reached by
their Incoming Webhook URL, a notice to a room, told once per step (`key`); and when a connected partner
account's refresh token was issued (the notice that it is about to expire), read from the tokens kept."""

import hashlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def refresh_tokens_issued(apps, schema_editor):
    """A refresh token kept before this migration was issued at the latest when its row was last saved."""
    from portal.core import partner

    for row in apps.get_model("core", "PartnerAccountToken").objects.all():
        try:
            refresh = partner.decrypt_token(row.encrypted_tokens).refresh_token
        except Exception:  # a key changed: the account must be connected again anyway
            continue
        if refresh:
            row.refresh_digest = hashlib.sha256(refresh.encode()).hexdigest()
            row.refresh_issued_at = row.connected_at
            row.save(update_fields=["refresh_digest", "refresh_issued_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("core", "0029_notices"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="NoticeAddress",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("line_works_id", models.CharField(max_length=200, verbose_name="LINE WORKS ID")),
            ],
            options={
                "verbose_name": "LINE WORKS ID of a person",
                "verbose_name_plural": "LINE WORKS IDs of people",
            },
        ),
        migrations.AddField(
            model_name="notice",
            name="key",
            field=models.CharField(blank=True, max_length=120),
        ),
        migrations.AddField(
            model_name="notice",
            name="links",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="partneraccounttoken",
            name="refresh_digest",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="partneraccounttoken",
            name="refresh_issued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="notice",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="notice",
            name="way",
            field=models.CharField(
                choices=[("email", "E-mail"), ("line_works", "LINE WORKS"), ("room", "LINE WORKS room")],
                max_length=16,
                verbose_name="way",
            ),
        ),
        migrations.CreateModel(
            name="NoticeChoice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=64, verbose_name="kind")),
                (
                    "way",
                    models.CharField(
                        choices=[("email", "E-mail"), ("line_works", "LINE WORKS"), ("none", "Not told")],
                        max_length=16,
                        verbose_name="way",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "notice choice",
                "verbose_name_plural": "notice choices",
            },
        ),
        migrations.CreateModel(
            name="NoticeRoom",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="name")),
                ("sealed_url", models.TextField()),
                ("url_end", models.CharField(max_length=8)),
                ("kinds", models.JSONField(blank=True, default=list, verbose_name="notices")),
                ("language", models.CharField(default="ja", max_length=8, verbose_name="language")),
                ("enabled", models.BooleanField(default=True, verbose_name="enabled")),
                ("added_at", models.DateTimeField(auto_now_add=True)),
                (
                    "added_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "team room",
                "verbose_name_plural": "team rooms",
                "ordering": ["name"],
            },
        ),
        migrations.AddField(
            model_name="notice",
            name="room",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="core.noticeroom",
            ),
        ),
        migrations.AddIndex(
            model_name="notice",
            index=models.Index(fields=["room", "-created_at"], name="core_notice_room"),
        ),
        migrations.AddConstraint(
            model_name="notice",
            constraint=models.UniqueConstraint(
                condition=models.Q(models.Q(("key", ""), _negated=True), ("user__isnull", False)),
                fields=("kind", "key", "user"),
                name="core_notice_once_to_person",
            ),
        ),
        migrations.AddConstraint(
            model_name="notice",
            constraint=models.UniqueConstraint(
                condition=models.Q(models.Q(("key", ""), _negated=True), ("room__isnull", False)),
                fields=("kind", "key", "room"),
                name="core_notice_once_to_room",
            ),
        ),
        migrations.AddConstraint(
            model_name="notice",
            constraint=models.CheckConstraint(
                condition=models.Q(("user__isnull", False), ("room__isnull", False), _connector="OR"),
                name="core_notice_to_someone",
            ),
        ),
        migrations.AddConstraint(
            model_name="noticechoice",
            constraint=models.UniqueConstraint(fields=("user", "kind"), name="core_notice_choice_one"),
        ),
        migrations.RunPython(refresh_tokens_issued, migrations.RunPython.noop),
    ]
