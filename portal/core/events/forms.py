"""The form of an event endpoint: its address (checked as the sender checks it), description and event types."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.events.delivery import address_refusal
from portal.core.events.types import event_types
from portal.core.formbase import PortalForm


class EndpointForm(PortalForm):
    url = forms.URLField(
        label=_("Address"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where your system receives the events; it answers each one with success."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    enabled = forms.BooleanField(label=_("Send events to this endpoint"), required=False, initial=True)

    def __init__(self, *args, endpoint=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.endpoint = endpoint
        self.fields["types"] = forms.MultipleChoiceField(
            label=_("Events it gets"),
            choices=[(kind.key, kind.label) for kind in event_types()],
            widget=forms.CheckboxSelectMultiple,
            error_messages={"required": _("Choose at least one event.")},
        )
        if endpoint is not None:  # the address is what the endpoint is: another address is another endpoint
            del self.fields["url"]
        else:
            del self.fields["enabled"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        refusal = address_refusal(url)
        if refusal:
            raise forms.ValidationError(refusal)
        return url
