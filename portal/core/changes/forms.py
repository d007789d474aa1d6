"""The one base of every change form: the submission's idempotency key and the reason for the audit trail; and the
forms of bulk changes' approvals (an approver's reason, the Admins' rules)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.changes.sealing import CARRIED_SECONDS, unseal
from portal.core.formbase import PortalForm

#: The longest approver's reason kept (`Batch.approval_note`).
NOTE_LENGTH = 500


def carried_name(name: str) -> str:
    """The name a password field is carried under, sealed, to the confirmation page (`carried` filter)."""
    return f"{name}__sealed"


def new_key() -> str:
    """A fresh idempotency key for one form submission (32 hex digits)."""
    return uuid.uuid4().hex


class ChangeForm(PortalForm):
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

    def __init__(self, data=None, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", new_key())
        super().__init__(None if data is None else self._unsealed(data), *args, **kwargs)

    @classmethod
    def _unsealed(cls, data):
        """The posted data with each password the confirmation page carried sealed (`carried_name`) opened
        again; one that is not ours, altered or too old is left out, so the field asks for it again."""
        names = [
            name for name, field in cls.base_fields.items() if isinstance(field.widget, forms.PasswordInput)
        ]
        if not any(carried_name(name) in data for name in names):
            return data
        data = data.copy()
        for name in names:
            token = data.pop(carried_name(name), None)
            if isinstance(token, list):
                token = token[-1] if token else None
            if token and not data.get(name):
                value = unseal(str(token), max_age=CARRIED_SECONDS)
                if value is not None:
                    data[name] = value
        return data

    def unavailable(self) -> str | None:
        """Why this change cannot be made now whatever is typed (a contract's rule about what it changes), or
        None: the form's page then says so at once and offers nothing to send (templates/core/change.html);
        `clean()` still refuses it when posted."""
        return None

    def set_window(self, field: str, window: Any) -> None:
        """Put a date window (first, last, error()) on a date field's picker and help text."""
        if window is not None and field in self.fields:
            self.fields[field].widget.attrs.update(min=window.first.isoformat(), max=window.last.isoformat())
            self.fields[field].help_text = window.error()

    def set_windows(self, field: str, windows: list[tuple[Any, Any]]) -> None:
        """A date field whose window depends on another choice of the form (the kind of change, the option):
        the picker offers the widest window, and the help text gives each choice's own window before anything
        is sent (`windows`: (label, window) pairs)."""
        from portal.core.rules import widest, windows_text

        window = widest([w for _label, w in windows])
        if window is not None and field in self.fields:
            self.set_window(field, window)
            self.fields[field].help_text = windows_text(windows)

    def check_window(self, field: str, window: Any) -> None:
        day = self.cleaned_data.get(field)
        if day is not None and window is not None and day not in window:
            self.add_error(field, window.error())

    def consequences(self) -> list[str]:
        return []

    def destroys(self) -> bool:
        """The choices made end or remove something (a cancellation, now or scheduled): the confirmation's
        button looks destructive, as every such button does."""
        return False

    def preview(self) -> list[tuple[str, str, str]]:
        return []


class ApprovalNoteForm(PortalForm):
    note = forms.CharField(label=_("Reason"), max_length=NOTE_LENGTH, required=False, strip=True)

    def refusal(self) -> str:
        """Why the form was refused, each field named ("Why it is rejected: This field is required."): what the
        batch's and the operation's page show above their forms."""
        return " ".join(
            f"{self.fields[name].label}: {' '.join(str(e) for e in errs)}"
            for name, errs in self.errors.items()
        )


class RejectForm(ApprovalNoteForm):
    note = forms.CharField(label=_("Why it is rejected"), max_length=NOTE_LENGTH, strip=True)


class RulesForm(PortalForm):
    """One field per bulk action: approval needed over this many ticked rows (blank: never; 0: always); one per
    kind of change (`change:<kind>`): ticked, every such change needs approval; one per counted kind: over this
    much of it (a reduction: licences taken away)."""

    def __init__(self, *args, actions=(), change_kinds=None, counted_kinds=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for action in actions:
            self.fields[action.key] = forms.IntegerField(
                label=action.label, required=False, min_value=0, max_value=100_000
            )
        for kind, label in (change_kinds or {}).items():
            self.fields[f"change:{kind}"] = forms.BooleanField(label=label, required=False)
        for kind, label in (counted_kinds or {}).items():
            self.fields[f"change:{kind}"] = forms.IntegerField(
                label=label, required=False, min_value=0, max_value=1_000_000
            )

    def bulk_fields(self) -> list:
        return [f for f in self if not f.name.startswith("change:")]

    def change_fields(self) -> list:
        return [f for f in self if f.name.startswith("change:")]

    def bulk_rules(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if not k.startswith("change:")}

    def change_rules(self) -> dict:
        """Each kind's rule as `approvals.change_rules_set` takes it: a tick is "over 0", no tick no rule."""
        rules = {}
        for key, value in self.cleaned_data.items():
            if key.startswith("change:"):
                rules[key.removeprefix("change:")] = (
                    (0 if value else None) if isinstance(value, bool) else value
                )
        return rules

    @staticmethod
    def initial_for(bulk_rules: dict, change_rules: dict, *, ticked) -> dict:
        """The form's initial values from the rules kept (`ticked`: the kinds shown as a tick)."""
        changes = {
            f"change:{kind}": (over is not None) if kind in ticked else over
            for kind, over in change_rules.items()
        }
        return {**bulk_rules, **changes}
