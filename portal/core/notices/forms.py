"""The forms of the notices' pages: a person's choice per kind and their LINE WORKS ID; a team room."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.core.formbase import PortalForm
from portal.core.models import NoticeChoice, NoticeRoom
from portal.core.notices.kinds import NoticeKind, room_kinds
from portal.core.notices.rooms import webhook_url_refusal

#: Most LINE WORKS IDs are a login e-mail address; an ID is letters, digits and - _ . @ (no spaces).
LINE_WORKS_ID = r"^[A-Za-z0-9._@+-]{1,200}$"


class ChoicesForm(PortalForm):
    """One choice per kind the person may be told of (`way__<key>`), and where the bot finds them."""

    line_works_id = forms.RegexField(
        regex=LINE_WORKS_ID,
        required=False,
        max_length=200,
        label=_("Your LINE WORKS ID"),
        help_text=_("Leave it empty when it is your e-mail address, as it usually is."),
        error_messages={
            "invalid": _("Type the ID as LINE WORKS shows it: letters, digits and . _ @ + - only.")
        },
    )

    def __init__(self, *args, kinds: list[NoticeKind], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        for kind in kinds:
            self.fields[f"way__{kind.key}"] = forms.ChoiceField(
                label=kind.label,
                help_text=kind.help,
                choices=NoticeChoice.Way.choices,
                widget=forms.RadioSelect,
            )

    def rows(self):
        """Each kind with its field, for the page's table."""
        return [(kind, self[f"way__{kind.key}"]) for kind in self.kinds]

    def ways(self) -> dict[str, str]:
        return {kind.key: self.cleaned_data[f"way__{kind.key}"] for kind in self.kinds}


def _kinds_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Notices the room gets"),
        required=False,
        choices=[(kind.key, kind.for_rooms) for kind in room_kinds()],
        widget=forms.CheckboxSelectMultiple,
    )


class RoomForm(PortalForm):
    """A team room: its name, which notices it gets, in which language; its Webhook URL only when it is added."""

    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.CharField(
        label=_("Incoming Webhook URL"),
        max_length=500,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "In LINE WORKS, add the Incoming Webhook app to the room and copy the URL from its Webhook list. It is "
            "kept encrypted and never shown again."
        ),
    )
    language = forms.ChoiceField(label=_("Language of the notices"), choices=settings.LANGUAGES)
    enabled = forms.BooleanField(label=_("Send notices to this room"), required=False, initial=True)

    def __init__(self, *args, room: NoticeRoom | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.room = room
        self.fields["kinds"] = _kinds_field()
        if room is not None:  # the URL is never shown or changed: a new URL is a new room
            del self.fields["url"]
            self.fields["name"].disabled = True
        else:
            del self.fields["enabled"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        refusal = webhook_url_refusal(url)
        if refusal:
            raise forms.ValidationError(refusal)
        return url

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if self.room is None and NoticeRoom.objects.filter(name=name).exists():
            raise forms.ValidationError(_("A room of this name is there already: choose another name."))
        return name
