"""One admin idiom: every table of the portal's own apps that Django's admin shows is shown read-only, through
`portal.core.admin.ReadOnlyAdmin`. The portal's pages and services write the tables; the admin only lets Admins look."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.contrib import admin

from portal.core.admin import ReadOnlyAdmin

ROOT = Path(__file__).resolve().parents[2]


def _ours(model) -> bool:
    path = Path(apps.get_app_config(model._meta.app_label).path).resolve()
    return path.is_relative_to(ROOT) and "site-packages" not in path.parts


def test_every_table_of_the_portal_in_django_s_admin_is_read_only():
    shown = {
        model._meta.label: model_admin for model, model_admin in admin.site._registry.items() if _ours(model)
    }
    assert {"customers.Customer", "core.AuditEntry", "invoicing.IssuedInvoice"} <= set(shown)
    wrong = sorted(
        label for label, model_admin in shown.items() if not isinstance(model_admin, ReadOnlyAdmin)
    )
    assert not wrong, f"admin of these through portal.core.admin.ReadOnlyAdmin: {wrong}"
    for model_admin in shown.values():
        assert not model_admin.has_add_permission(None)
        assert not model_admin.has_change_permission(None)
        assert not model_admin.has_delete_permission(None)
