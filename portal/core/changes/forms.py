"""The one base of every change form: the submission's idempotency key and the reason for the audit trail."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


def new_key() -> str:
    """A fresh idempotency key for one form submission (32 hex digits)."""
    return uuid.uuid4().hex


class ChangeForm(forms.Form):
    """The fields every change shares. A subclass adds its own fields, checks the contract's rules in
    `clean()`, and may say what changes (`preview()`: rows of label, now, after) and what else the form's
    choices imply (`consequences()`); the declared change adds the side effects the contract documents."""

    idempotency_key = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason or ticket"),
        required=False,
        max_length=500,
        help_text=_("Optional; kept in the activity log with the change."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", new_key())
        super().__init__(*args, **kwargs)

    def set_window(self, field: str, window: Any) -> None:
        """Put a date window (first, last, error()) on a date field's picker and help text."""
        if window is not None and field in self.fields:
            self.fields[field].widget.attrs.update(min=window.first.isoformat(), max=window.last.isoformat())
            self.fields[field].help_text = window.error()

    def check_window(self, field: str, window: Any) -> None:
        day = self.cleaned_data.get(field)
        if day is not None and window is not None and day not in window:
            self.add_error(field, window.error())

    def consequences(self) -> list[str]:
        return []

    def preview(self) -> list[tuple[str, str, str]]:
        return []
