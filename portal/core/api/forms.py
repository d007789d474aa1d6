"""The forms of the API tokens pages: making a token (its description, lifetime and each area's level, offered
up to what the person's role holds), and the filters of the Admins' list of everyone's tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from portal.core.api.areas import Level, areas, caps_of
from portal.core.api.tokens import lifetimes
from portal.core.formbase import PortalForm

#: The name of an area's level field ("level_subscriptions").
LEVEL_FIELD = "level_{}"


class TokenForm(PortalForm):
    description = forms.CharField(
        label=_("What is it for"),
        max_length=200,
        help_text=_("Say which script or tool uses it, so that you know what stops when you revoke it."),
    )
    days = forms.TypedChoiceField(label=_("Expires after"), coerce=int)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        days: Any = self.fields["days"]
        days.choices = [(d, ngettext("%(days)s day", "%(days)s days", d) % {"days": d}) for d in lifetimes()]
        days.initial = 90 if 90 in lifetimes() else lifetimes()[-1]
        caps = caps_of(user)
        for area in areas():
            cap = caps.get(area.key)
            if cap is None:
                continue
            offered = [lv for lv in Level if lv.rank <= cap.rank]
            self.fields[LEVEL_FIELD.format(area.key)] = forms.ChoiceField(
                label=str(area.label),
                choices=[(lv.value, lv.label) for lv in offered],
                initial=Level.NONE.value,
                required=False,  # left out: none
            )

    def main_fields(self) -> list:
        return [self[name] for name in self.fields if not name.startswith("level_")]

    def level_fields(self) -> list:
        return [self[name] for name in self.fields if name.startswith("level_")]

    def levels(self) -> dict[str, str]:
        return {
            name.removeprefix("level_"): value or Level.NONE.value
            for name, value in self.cleaned_data.items()
            if name.startswith("level_")
        }

    def clean(self):
        data = super().clean() or {}
        if not any(v not in ("", Level.NONE.value) for k, v in data.items() if k.startswith("level_")):
            raise forms.ValidationError(_("Give the token read or write in at least one area."))
        return data


class TokenState:
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


STATE_CHOICES = [
    ("", _("Any")),
    (TokenState.ACTIVE, pgettext_lazy("an API token", "Active")),
    (TokenState.EXPIRED, pgettext_lazy("an API token", "Expired")),
    (TokenState.REVOKED, pgettext_lazy("an API token", "Revoked")),
]


@dataclass(frozen=True)
class TokenFilters:
    q: str = ""
    state: str = ""
    sort: str = "-created"


class TokenFilterForm(PortalForm):
    """The filters of the tokens lists: a word of the owner, the description or the token's start, and the
    state."""

    q = forms.CharField(label=_("Owner, description or token"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("State"), required=False, choices=STATE_CHOICES)

    def to_filters(self, data: dict) -> TokenFilters:
        return TokenFilters(q=data.get("q") or "", state=data.get("state") or "", sort=data["sort"])


class MyTokenFilterForm(PortalForm):
    """One's own tokens: by state."""

    state = forms.ChoiceField(label=_("State"), required=False, choices=STATE_CHOICES)

    def to_filters(self, data: dict) -> TokenFilters:
        return TokenFilters(state=data.get("state") or "", sort=data["sort"])
