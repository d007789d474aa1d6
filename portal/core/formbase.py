"""The one base of every form of the portal: what all of them clean the same way.

Free text a person types (a reason, a memo, a name) is shown to others later, on pages, in exports and in
LINE WORKS: a control character or a bidirectional override in it hides or reorders what they read (a reason
that reads "approved" but is stored "devorppa", an invisible character in a company name). Every free-text
field of every form refuses them, with a message that says which and where; line breaks and tabs stay allowed
where a text may have several lines.
"""

from __future__ import annotations

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

#: C0 and C1 controls (line breaks and tabs apart), and the characters that change the direction text is shown
#: in: the embeddings, overrides and isolates, and the marks (LRM, RLM, ALM).
HIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: The same, line breaks and tabs included (a one-line field).
HIDDEN_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _named(character: str) -> str:
    return f"U+{ord(character):04X} {unicodedata.name(character, '')}".strip()


class RefuseHiddenCharacters:
    """A validator: the text holds no control or direction-changing character (one-line fields: no line break
    or tab either)."""

    def __init__(self, *, multiline: bool) -> None:
        self.pattern = HIDDEN if multiline else HIDDEN_ONE_LINE

    def __call__(self, value) -> None:
        found = self.pattern.search(str(value or ""))
        if found:
            raise ValidationError(
                _(
                    "Remove the invisible character %(character)s (at position %(position)s): it would hide "
                    "or reorder what others read."
                ),
                code="hidden_character",
                params={"character": _named(found.group()), "position": found.start() + 1},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, RefuseHiddenCharacters) and other.pattern == self.pattern


def is_free_text(field: forms.Field) -> bool:
    """A text field whose value a person types freely: not a password, and not constrained by a pattern or a
    format of its own (an address, an e-mail, a choice)."""
    return (
        isinstance(field, forms.CharField)
        and not isinstance(
            field, forms.RegexField | forms.EmailField | forms.URLField | forms.GenericIPAddressField
        )
        and not isinstance(field.widget, forms.PasswordInput)
    )


class PortalForm(forms.Form):
    """Every form of the portal derives from this (tests/core/test_hostile_input.py checks that each does):
    its free-text fields refuse characters that hide or reorder text."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if is_free_text(field):
                multiline = isinstance(field.widget, forms.Textarea)
                field.validators.append(RefuseHiddenCharacters(multiline=multiline))
