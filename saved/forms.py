"""The save form under every list's results: a name, shared or not, and the signed list it keeps."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.formbase import PortalForm
from saved.models import NAME_LENGTH
from saved.selectors import Listed, listed_from


class SaveViewForm(PortalForm):
    name = forms.CharField(label=_("Name of the view"), max_length=NAME_LENGTH, strip=True)
    shared = forms.BooleanField(label=_("Share with the team"), required=False)
    shared.help_text = _(
        "Everyone in the team sees a shared view; each sees only the rows their role may see."
    )
    view = forms.CharField(widget=forms.HiddenInput, max_length=6000)

    def __init__(self, *args, can_share: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not can_share:
            del self.fields["shared"]

    def clean_view(self) -> Listed:
        listed = listed_from(self.cleaned_data["view"])
        if listed is None:
            raise forms.ValidationError(_("This list can no longer be saved: open it again, then save it."))
        return listed
