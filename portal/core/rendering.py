"""How every form's widgets are drawn: Django's own templates, with the plain `<input>` (and a list filter's
`<select>`, `QuickSelect`) drawn in Python, and each field with its label, help and errors (`field_markup`).

Django renders each widget through a template of its own (`text.html` includes `input.html`, which includes
`attrs.html`): three template renders for one `<input>`, so a list's filter form cost more than its page of
rows (`python -m bench.options list` times such a page). `FormRenderer` (settings.FORM_RENDERER) draws the
widgets whose Django template is only `input.html` with the same markup in Python, and hands every other
template (select, textarea, radios, checkboxes groups, multi-widgets) to Django's renderer unchanged.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, cast

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.safestring import SafeString

from portal.core.vocabulary import translated

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: Django's widget templates whose whole content is `{% include "django/forms/widgets/input.html" %}`.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)


def markup(template: str, *args) -> SafeString:
    """`format_html` for a list's rows, where it runs a hundred times a page: the same markup, each argument
    escaped as text unless it is markup already (`__html__`), a whole number written as it is, without Django's
    check of every argument for a lazy translation on each call (`str()` translates one)."""
    return SafeString(template.format(*map(escaped_text, args)))


def escaped(value) -> SafeString:
    """`conditional_escape(value)`: text escaped, markup kept, as markup; for words escaped once and placed in
    many rows (`markup` leaves them as they are)."""
    return SafeString(escaped_text(value))


def escaped_text(value) -> str:
    """`conditional_escape(value)` as text, without its wrapper's check of the argument for a lazy translation on
    every call (Django's `escape` is `html.escape` of the text, as here)."""
    kind = type(value)
    if kind is str:
        return html.escape(value)
    if kind is int:
        return str(value)
    if kind is SafeString:
        return value
    if isinstance(value, Promise):
        value = str(value)  # a lazy translation, or lazy markup (a password's rules)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def hidden_inputs(pairs) -> SafeString:
    """A hidden `<input>` for each (name, value) of `pairs`, drawn in Python: the bulk change's page carries
    every key chosen (up to BULK_MAX_ROWS), where a template loop step for each key grew with the rows chosen."""
    return SafeString(
        "".join(
            f'<input type="hidden" name="{escaped_text(name)}" value="{escaped_text(value)}">'
            for name, value in pairs
        )
    )


def attrs_markup(attrs: dict) -> str:
    """`attrs.html` in Python: ` name="value"` for each attribute, ` name` alone for True, nothing for False."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {escaped_text(name)}")
        else:
            out.append(f' {escaped_text(name)}="{escaped_text(str(value))}"')
    return "".join(out)


def input_markup(widget: dict) -> SafeString:
    """`input.html` in Python, from the widget's template context (`Widget.get_context(...)["widget"]`)."""
    value = widget["value"]
    shown = "" if value is None else f' value="{escaped_text(str(value))}"'
    return SafeString(
        f'<input type="{escaped_text(widget["type"])}" name="{escaped_text(widget["name"])}"'
        f"{shown}{attrs_markup(widget['attrs'])}>"
    )


class FormRenderer(DjangoTemplates):
    """Django's default renderer, but an `<input>` widget is drawn in Python (same markup, tested against
    Django's own templates in tests/core/test_rendering.py)."""

    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES:
            return input_markup(context["widget"])
        return super().render(template_name, context, request)


class QuickSelect(forms.Select):
    """A filter's `<select>` drawn in Python, with the markup of Django's: Django builds and renders each
    `<option>` through a template of its own, which made a list's filter form cost more than its rows
    (`python -m bench.options list`). The list machinery (`portal.core.lists`) gives it to every plain select of
    a list's filter form; the renderer cannot, since the cost is in the widget's context, before any template."""

    def render(self, name, value, attrs=None, renderer=None):
        if any(isinstance(label, list | tuple) for _value, label in self.choices):
            return super().render(name, value, attrs, renderer)  # groups: Django's own drawing
        chosen = self.format_value(value)
        picked = chosen[0] if chosen else None
        read = translated()  # the options' labels: declared once, read once per language
        options = []
        for option_value, label in self.choices:
            text = "" if option_value is None else str(option_value)
            selected = text == picked
            picked = None if selected else picked  # only the first match, as Django does
            mark = " selected" if selected else ""
            # Without groups (drawn by Django above) each label is text or a lazy translation.
            shown = escaped_text(read(cast("StrOrPromise", label)))
            options.append(f'<option value="{html.escape(text)}"{mark}>{shown}</option>')
        attributes = attrs_markup(self.build_attrs(self.attrs, attrs))
        return SafeString(f'<select name="{html.escape(name)}"{attributes}>{"".join(options)}</select>')


REQUIRED_MARK = ' <span class="req" aria-hidden="true">*</span>'


def field_markup(field, text=None) -> SafeString:
    """One form field, accessibly (`{% fields form %}` draws each of a form's fields with it): the label (or, for a
    group of radios or checkboxes, a fieldset and its legend), the widget, the help text and the errors under the
    ids Django's widget already points to with aria-describedby (`<id>_helptext`, `<id>_error`). A grouped field
    puts that reference on its fieldset; a hidden field is only its input."""
    widget = str(field)
    if field.is_hidden:
        return SafeString(widget)
    text = text or translated()
    errors = field.errors
    help_text = text(field.help_text)
    auto_id = escaped_text(field.auto_id)
    invalid = " field-invalid" if errors else ""
    required = REQUIRED_MARK if field.field.required else ""
    label = escaped_text(text(field.label))
    if field.use_fieldset:
        ids = [f"{auto_id}_{part}" for part, shown in (("helptext", help_text), ("error", errors)) if shown]
        described = f' aria-describedby="{" ".join(ids)}"' if ids else ""
        parts = [
            f'<fieldset class="field field-group{invalid}"{described}>\n',
            f"  <legend>{label}{required}</legend>\n  {widget}\n",
        ]
        end = "</fieldset>"
    else:
        parts = [
            f'<div class="field{invalid}">\n',
            f'  <label for="{escaped_text(field.id_for_label)}">{label}{required}</label>\n  {widget}\n',
        ]
        end = "</div>"
    if help_text:
        parts.append(f'  <div class="help" id="{auto_id}_helptext">{escaped_text(help_text)}</div>\n')
    if errors:
        shown = "".join(f"<p>{escaped_text(error)}</p>" for error in errors)
        parts.append(f'  <div class="error" id="{auto_id}_error">{shown}</div>\n')
    parts.append(end + "\n")
    return SafeString("".join(parts))


def fields_markup(fields) -> SafeString:
    """Each field of a form (or of a list of bound fields, e.g. `form.visible_fields`), one after the other."""
    text = translated()  # labels and help texts: declared once, read once per language
    return SafeString("".join(field_markup(field, text) for field in fields))
